// `rc-agent config-stream --name NAME`: registers as a remote agent, streams rc-agent's configuration and prints
// the snapshot, then each update (JSON lines with --json).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Option, type Command } from 'commander';
import { AUTH_TOKEN_FILE, IPC_CERT_FILE } from '../grpc/index.js';
import { createRemoteAgentClient } from './client.js';
import { ConfigStreamConsumer } from './consumer.js';
import { RegisteredSession } from './session.js';

interface Opts {
  name: string;
  url: string;
  runPath: string;
  json?: boolean;
  readyTimeout: string;
}

export function registerConfigStreamCommand(program: Command): void {
  program
    .command('config-stream')
    .description('register as a remote agent and print the streamed configuration: the snapshot, then each update')
    .requiredOption('--name <name>', 'remote agent flavor and stream name (e.g. trace-agent)')
    .addOption(new Option('--url <host:port>', 'the agent gRPC address').default('127.0.0.1:5001'))
    .addOption(
      new Option('--run-path <dir>', 'the agent data dir (auth_token, ipc_cert.pem)')
        .env('DD_RUN_PATH')
        .default('./.rc-agent'),
    )
    .option('--json', 'print JSON lines')
    .addOption(new Option('--ready-timeout <seconds>', 'give up when no snapshot arrives in time').default('60'))
    .action(async (opts: Opts) => {
      let token: string;
      let certPem: string;
      try {
        token = readFileSync(join(opts.runPath, AUTH_TOKEN_FILE), 'utf8').trim();
        certPem = readFileSync(join(opts.runPath, IPC_CERT_FILE), 'utf8');
      } catch (err) {
        process.stderr.write(`rc-agent config-stream: cannot read the agent credentials: ${(err as Error).message}\n`);
        process.exit(2);
      }
      const client = createRemoteAgentClient(opts.url.replace(/^[a-z]+:\/\//, ''), { token, certPem });
      const session = new RegisteredSession({
        client,
        registration: { pid: String(process.pid), flavor: opts.name, displayName: opts.name, services: [] },
        onError: (err) => process.stderr.write(`rc-agent config-stream: session refresh failed: ${err.message}\n`),
      });
      const consumer = new ConfigStreamConsumer({
        client,
        name: opts.name,
        sessionIdProvider: session,
        readyTimeoutMs: Number(opts.readyTimeout) * 1000,
      });
      const print = (line: object, text: string): void => {
        process.stdout.write(opts.json ? `${JSON.stringify(line)}\n` : `${text}\n`);
      };
      consumer.on('snapshot', (sequenceId, origin) => {
        const settings = [...consumer.all()]
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([key, s]) => ({ key, value: s.value, source: s.source }));
        print(
          { type: 'snapshot', origin, sequenceId, settings },
          [
            `snapshot #${sequenceId} from ${origin} (${settings.length} settings)`,
            ...settings.map((s) => `  ${s.key} = ${JSON.stringify(s.value)}  [${s.source}]`),
          ].join('\n'),
        );
      });
      consumer.on('disconnected', (reason) =>
        process.stderr.write(`rc-agent config-stream: ${reason}; reconnecting\n`),
      );
      consumer.subscribe((c) => {
        // snapshot differences are in the snapshot lines
        if (c.via !== 'update') return;
        print(
          {
            type: 'update',
            sequenceId: c.sequenceId,
            key: c.key,
            old: c.oldValue,
            value: c.newValue,
            source: c.source,
          },
          `update #${c.sequenceId}: ${c.key} = ${JSON.stringify(c.newValue)}  [${c.source}] (was ${JSON.stringify(c.oldValue)})`,
        );
      });
      // the library's timers do not hold the process; this command lives until it is stopped
      const keepAlive = setInterval(() => undefined, 1 << 30);
      const stop = (): void => {
        clearInterval(keepAlive);
        consumer.close();
        session.close();
        client.close();
        process.exit(0);
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
      try {
        await consumer.waitReady();
      } catch (err) {
        process.stderr.write(`rc-agent config-stream: ${(err as Error).message}\n`);
        consumer.close();
        session.close();
        client.close();
        process.exit(1);
      }
    });
}
