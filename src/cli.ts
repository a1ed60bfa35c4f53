// rc-agent command line: `run` (the agent), `backend` (the backend simulator), `status`, `bench …`.
import { Command } from 'commander';
import { registerBackendCommand } from './backend/index.js';
import { ConfigError, loadConfig, loadConfigWithSources } from './config/index.js';
import { registerConfigStreamCommand, scrubSetting } from './configstream/index.js';
import { startAgent, startupErrorMessage } from './agent.js';
import { ContainerTagsError } from './http/index.js';
import { fetchStatus, formatStatus } from './status.js';
import { RC_AGENT_VERSION } from './version.js';

/** After stop_timeout, what the process gets to exit on its own before it is ended. */
const FORCED_EXIT_GRACE_MS = 900;

const program = new Command('rc-agent')
  .description('Remote Configuration agent service')
  .version(RC_AGENT_VERSION)
  .showHelpAfterError();

program
  .command('run')
  .description('run the agent: /v0.7/config over HTTP, AgentSecure over gRPC, polling a verified backend')
  .option('-c, --config <file>', 'datadog.yaml to read (DD_ environment variables override it)')
  .action(async (opts: { config?: string }) => {
    let config;
    let settings;
    const load = { file: opts.config, env: { ...process.env } };
    try {
      ({ config, settings } = loadConfigWithSources(load));
    } catch (err) {
      if (err instanceof ConfigError) {
        process.stderr.write(`rc-agent: ${err.message}\n`);
        process.exit(2);
      }
      throw err;
    }
    const reload = () => loadConfig({ file: opts.config, env: process.env });
    let agent;
    try {
      agent = await startAgent({
        config,
        reload: { file: opts.config, load: reload, sighup: true },
        configStream: { load, settings },
      });
    } catch (err) {
      // a configured file that cannot be used (container_tags_file …), a busy port, a data dir in use: one line
      const known =
        err instanceof ConfigError || err instanceof ContainerTagsError
          ? err.message
          : startupErrorMessage(err, config);
      if (known !== undefined) {
        process.stderr.write(`rc-agent: ${known}\n`);
        process.exit(2);
      }
      throw err;
    }
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) {
        // a second signal: the operator does not want to wait for the drain
        process.stderr.write(`rc-agent: ${signal} received again, exiting now\n`);
        process.exit(1);
      }
      stopping = true;
      process.stderr.write(`rc-agent: ${signal} received, stopping (stop_timeout ${config.stopTimeoutMs} ms)\n`);
      // the drain is bounded by stop_timeout; this only catches a component that ignores its deadline
      setTimeout(() => {
        process.stderr.write('rc-agent: still stopping after stop_timeout + 1 s, exiting\n');
        process.exit(1);
      }, config.stopTimeoutMs + FORCED_EXIT_GRACE_MS).unref();
      agent.stop().then(
        () => process.exit(0),
        (err: unknown) => {
          process.stderr.write(`rc-agent: error while stopping: ${String(err)}\n`);
          process.exit(1);
        },
      );
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
  });

program
  .command('config')
  .description('print the effective settings and where each comes from (default, file, env), secrets scrubbed')
  .option('-c, --config <file>', 'datadog.yaml to read (DD_ environment variables override it)')
  .option('--json', 'print JSON: {key: {value, source}}')
  .action((opts: { config?: string; json?: boolean }) => {
    try {
      const { config, settings } = loadConfigWithSources({ file: opts.config, env: process.env });
      const rows = [...settings.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([key, s]) => ({ key, value: scrubSetting(key, s.value), source: s.source }));
      if (opts.json) {
        const out = Object.fromEntries(rows.map((r) => [r.key, { value: r.value, source: r.source }]));
        process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
      } else {
        const width = Math.max(...rows.map((r) => r.key.length));
        for (const r of rows)
          process.stdout.write(`${r.key.padEnd(width)}  ${JSON.stringify(r.value)}  (${r.source})\n`);
      }
      for (const warning of config.warnings) process.stderr.write(`rc-agent config: warning: ${warning}\n`);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      process.stderr.write(`rc-agent config: ${err.message}\n`);
      process.exit(2);
    }
  });

program
  .command('status')
  .description(
    'show what the running agent serves: repo versions, configs, active clients, bypass counters, last error',
  )
  .option(
    '--url <url>',
    'the agent HTTP address (default: bind_host and apm_config.receiver_port, as `run` reads them)',
  )
  .option('-c, --config <file>', 'datadog.yaml to read the address from (DD_ environment variables override it)')
  .option('--json', 'print the raw status JSON')
  .action(async (opts: { url?: string; config?: string; json?: boolean }) => {
    try {
      const status = await fetchStatus(opts.url ?? agentUrl(opts.config));
      process.stdout.write(opts.json ? `${JSON.stringify(status, null, 2)}\n` : formatStatus(status));
    } catch (err) {
      process.stderr.write(`rc-agent status: ${(err as Error).message}\n`);
      process.exit(1);
    }
  });

program
  .command('bench')
  .description('benchmarks (herd, throughput, soak): `rc-agent bench <name> --help`')
  .allowUnknownOption()
  .allowExcessArguments()
  .action(() => {
    // bin/rc-agent runs bench/cli.ts itself; reaching this means the compiled CLI was started directly.
    process.stderr.write('rc-agent bench: run it as `./bin/rc-agent bench …` in a checkout after `npm ci`\n');
    process.exit(2);
  });

/** The agent's HTTP address from the same config file and DD_ environment variables `run` reads. */
function agentUrl(file: string | undefined): string {
  const config = loadConfig({ file, env: process.env });
  const host = config.bindHost.includes(':') ? `[${config.bindHost}]` : config.bindHost;
  return `http://${host}:${config.httpPort}`;
}

registerBackendCommand(program);
registerConfigStreamCommand(program);
await program.parseAsync(process.argv);
