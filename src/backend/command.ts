// `rc-agent backend`: runs the backend simulator until SIGTERM/SIGINT (DESIGN.md "Contracts").
import { Option, InvalidArgumentError, type Command } from 'commander';
import { startBackendSimulator } from './simulator.js';
import { ATTACK_MODES, FAULT_MODES, type AttackMode, type FaultMode } from './types.js';

interface BackendCommandOptions {
  port: number;
  host: string;
  configs: string;
  state?: string;
  apiKey?: string;
  rttMs: number;
  rateLimit?: number;
  fault: FaultMode;
  attack: AttackMode;
  orgId: number;
  refreshIntervalS?: number;
}

export function registerBackendCommand(program: Command): void {
  program
    .command('backend')
    .description('run the RC backend simulator: signed TUF/Uptane repositories served over the backend HTTP protocol')
    .option('--port <n>', 'listen port (0 = pick a free one)', integer(0, 65535), 0)
    .option('--host <host>', 'listen address', '127.0.0.1')
    .option('--configs <dir>', 'config directory <PRODUCT>/<config_id>/<name>', 'examples/configs')
    .option('--state <dir>', 'keep signing keys here across runs; writes config-root.json and director-root.json')
    .option('--api-key <key>', 'require this DD-Api-Key (401 otherwise)')
    .option('--rtt-ms <n>', 'delay before every answer, ms', integer(0, 3_600_000), 0)
    .option('--rate-limit <n>', 'requests per second before 429 + Retry-After', integer(1, 1_000_000))
    .addOption(new Option('--fault <mode>', 'answer every request with a fault').choices(FAULT_MODES).default('none'))
    .addOption(
      new Option('--attack <mode>', 'serve metadata the agent must reject').choices(ATTACK_MODES).default('none'),
    )
    .option('--org-id <n>', 'org ID in target paths', integer(1, Number.MAX_SAFE_INTEGER), 2)
    .option('--refresh-interval-s <n>', 'director custom agent_refresh_interval, s', integer(-1, 86_400))
    .action(async (opts: BackendCommandOptions) => {
      const log = (line: string): void => void process.stderr.write(`${line}\n`);
      let sim;
      try {
        sim = await startBackendSimulator({
          port: opts.port,
          host: opts.host,
          configsDir: opts.configs,
          ...(opts.state === undefined ? {} : { stateDir: opts.state }),
          ...(opts.apiKey === undefined ? {} : { apiKey: opts.apiKey }),
          rttMs: opts.rttMs,
          ...(opts.rateLimit === undefined ? {} : { rateLimitPerS: opts.rateLimit }),
          fault: opts.fault,
          attack: opts.attack,
          orgId: opts.orgId,
          ...(opts.refreshIntervalS === undefined ? {} : { agentRefreshIntervalS: opts.refreshIntervalS }),
          log,
        });
      } catch (err) {
        log(
          `rc-agent backend: ${describe(err)}${err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : ''}`,
        );
        process.exitCode = 1;
        return;
      }
      process.stdout.write(`listening backend ${sim.url}\n`);
      const stop = (signal: NodeJS.Signals): void => {
        log(`${signal}: closing the backend simulator`);
        sim.close().then(
          () => undefined,
          (err: unknown) => {
            log(`close failed: ${describe(err)}`);
            process.exitCode = 1;
          },
        );
      };
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    });
}

function integer(min: number, max: number): (value: string) => number {
  return (value) => {
    if (!/^-?\d+$/.test(value)) throw new InvalidArgumentError('not an integer');
    const n = Number(value);
    if (n < min || n > max) throw new InvalidArgumentError(`must be between ${min} and ${max}`);
    return n;
  };
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
