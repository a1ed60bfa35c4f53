// rc-agent command line: `run` (the agent), `backend` (the backend simulator), `status`, `bench …`.
import { Command, Option } from 'commander';
import { registerBackendCommand } from './backend/index.js';
import { ConfigError, loadConfig } from './config/index.js';
import { startAgent } from './agent.js';
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
    try {
      config = loadConfig({ file: opts.config, env: process.env });
    } catch (err) {
      if (err instanceof ConfigError) {
        process.stderr.write(`rc-agent: ${err.message}\n`);
        process.exit(2);
      }
      throw err;
    }
    const agent = await startAgent({ config });
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
  .command('status')
  .description(
    'show what the running agent serves: repo versions, configs, active clients, bypass counters, last error',
  )
  .addOption(new Option('--url <url>', 'the agent HTTP address').default('http://127.0.0.1:8126'))
  .option('--json', 'print the raw status JSON')
  .action(async (opts: { url: string; json?: boolean }) => {
    try {
      const status = await fetchStatus(opts.url);
      process.stdout.write(opts.json ? `${JSON.stringify(status, null, 2)}\n` : formatStatus(status));
    } catch (err) {
      process.stderr.write(`rc-agent status: ${(err as Error).message}\n`);
      process.exit(1);
    }
  });

registerBackendCommand(program);
await program.parseAsync(process.argv);
