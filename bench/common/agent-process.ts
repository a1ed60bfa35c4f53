// The agent under test as a child process: `./bin/rc-agent run` pointed at a backend simulator, ports 0, parsed from
// its `listening http …` and `listening grpc …` lines (DESIGN.md "Contracts").
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { BenchError } from '../error.js';
import { trackChild, stopChild } from './child-registry.js';
import { pinnedCommand } from './cpu-pinning.js';
import { waitReady } from './http.js';
import { readProcSample, type ProcSample } from './proc-stats.js';

export type AgentPolicy = 'legacy' | 'fastlane';

export interface AgentProcessOptions {
  /** The checkout root (holds bin/rc-agent). */
  readonly repoRoot: string;
  readonly policy: AgentPolicy;
  readonly backendUrl: string;
  /** Holds the simulator's `config-root.json` and `director-root.json`. */
  readonly backendStateDir: string;
  /** The agent's data dir (a fresh one per run: every tracer is then a new client). */
  readonly runPath: string;
  /** taskset CPU list. */
  readonly cpus?: string;
  /** When set, the agent runs under `node --cpu-prof` and writes its profile here on exit. */
  readonly cpuProfDir?: string;
  /** Extra `DD_…` variables (they win). */
  readonly env?: Readonly<Record<string, string>>;
  /** Default 30000. */
  readonly startTimeoutMs?: number;
}

export interface AgentProcess {
  readonly pid: number;
  readonly httpUrl: string;
  /** `127.0.0.1:PORT` */
  readonly grpcAddress: string;
  readonly runPath: string;
  /** The environment the agent ran with (for the results). */
  readonly env: Readonly<Record<string, string>>;
  readonly alive: boolean;
  sample(): ProcSample | undefined;
  /** Last 16 KiB of stderr. */
  stderrTail(): string;
  waitReady(timeoutMs: number): Promise<void>;
  stop(graceMs?: number): Promise<void>;
}

const STDERR_LIMIT_CHARS = 16 * 1024;

export function agentEnv(opts: AgentProcessOptions): Record<string, string> {
  return {
    DD_RUN_PATH: opts.runPath,
    DD_APM_RECEIVER_PORT: '0',
    DD_CMD_PORT: '0',
    DD_REMOTE_CONFIGURATION_POLICY: opts.policy,
    DD_API_KEY: 'bench',
    DD_REMOTE_CONFIGURATION_RC_DD_URL: opts.backendUrl,
    DD_REMOTE_CONFIGURATION_NO_TLS: 'true',
    DD_REMOTE_CONFIGURATION_CONFIG_ROOT: join(opts.backendStateDir, 'config-root.json'),
    DD_REMOTE_CONFIGURATION_DIRECTOR_ROOT: join(opts.backendStateDir, 'director-root.json'),
    DD_LOG_LEVEL: 'warn',
    DD_STOP_TIMEOUT: '2s',
    ...opts.env,
  };
}

export async function startAgentProcess(opts: AgentProcessOptions): Promise<AgentProcess> {
  const ddEnv = agentEnv(opts);
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    // The agent reads only the variables given here: none of the bench's own DD_ settings or loaders leak in.
    if (v === undefined || k.startsWith('DD_') || k === 'NODE_OPTIONS') continue;
    env[k] = v;
  }
  Object.assign(env, ddEnv);

  const bin = join(opts.repoRoot, 'bin', 'rc-agent');
  const base =
    opts.cpuProfDir === undefined
      ? { command: bin, args: ['run'] }
      : {
          // bin/rc-agent's choice of entry and node flags, plus the profiler (--cpu-prof is not allowed in
          // NODE_OPTIONS): the built agent, as the bench runs it, unless src/ was edited since the build.
          command: process.execPath,
          args: [
            '--cpu-prof',
            `--cpu-prof-dir=${opts.cpuProfDir}`,
            '--enable-source-maps',
            ...(builtIsFresh(opts.repoRoot)
              ? [join(opts.repoRoot, 'dist', 'cli.js')]
              : [
                  '--import',
                  `file://${join(opts.repoRoot, 'node_modules', 'tsx', 'dist', 'loader.mjs')}`,
                  join(opts.repoRoot, 'src', 'cli.ts'),
                ]),
            'run',
          ],
        };
  const { command, args } = pinnedCommand(base.command, base.args, opts.cpus);
  const child = spawn(command, args, { cwd: opts.repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  trackChild(child);

  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_LIMIT_CHARS);
  });

  try {
    const { httpUrl, grpcAddress } = await readListeners(child, opts.startTimeoutMs ?? 30_000, () => stderr);
    return new RunningAgentProcess(child, httpUrl, grpcAddress, opts.runPath, ddEnv, () => stderr);
  } catch (err) {
    await stopChild(child, 2000);
    throw err;
  }
}

function readListeners(
  child: ChildProcess,
  timeoutMs: number,
  stderr: () => string,
): Promise<{ httpUrl: string; grpcAddress: string }> {
  return new Promise((resolve, reject) => {
    let httpUrl: string | undefined;
    let grpcAddress: string | undefined;
    const lines = createInterface({ input: child.stdout! });
    const fail = (message: string): void => {
      cleanup();
      reject(new BenchError('AGENT_START', `${message}; agent stderr:\n${stderr()}`));
    };
    const timer = setTimeout(() => fail(`no listening lines within ${timeoutMs} ms`), timeoutMs);
    const onExit = (code: number | null, signal: string | null): void =>
      fail(`the agent exited (code ${code}, signal ${signal}) before listening`);
    const cleanup = (): void => {
      clearTimeout(timer);
      child.off('exit', onExit);
      lines.off('line', onLine);
    };
    const onLine = (line: string): void => {
      const http = /^listening http (http:\/\/\S+)$/.exec(line);
      if (http?.[1]) httpUrl = http[1];
      const grpc = /^listening grpc (\S+)$/.exec(line);
      if (grpc?.[1]) grpcAddress = grpc[1];
      if (httpUrl !== undefined && grpcAddress !== undefined) {
        cleanup();
        // Keep draining stdout so the child never blocks on a full pipe.
        child.stdout?.resume();
        resolve({ httpUrl, grpcAddress });
      }
    };
    lines.on('line', onLine);
    child.once('exit', onExit);
  });
}

class RunningAgentProcess implements AgentProcess {
  constructor(
    private readonly child: ChildProcess,
    readonly httpUrl: string,
    readonly grpcAddress: string,
    readonly runPath: string,
    readonly env: Readonly<Record<string, string>>,
    private readonly stderr: () => string,
  ) {}

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  sample(): ProcSample | undefined {
    return readProcSample(this.pid);
  }

  stderrTail(): string {
    return this.stderr();
  }

  waitReady(timeoutMs: number): Promise<void> {
    return waitReady(this.httpUrl, timeoutMs, () => this.alive);
  }

  stop(graceMs = 8000): Promise<void> {
    return stopChild(this.child, graceMs);
  }
}

/** bin/rc-agent's test: dist/cli.js exists and no file under src/ is newer. */
function builtIsFresh(repoRoot: string): boolean {
  const built = join(repoRoot, 'dist', 'cli.js');
  if (!existsSync(built)) return false;
  const builtMs = statSync(built).mtimeMs;
  const newer = (dir: string): boolean =>
    readdirSync(dir, { withFileTypes: true }).some((e) =>
      e.isDirectory() ? newer(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs > builtMs,
    );
  return !existsSync(join(repoRoot, 'src')) || !newer(join(repoRoot, 'src'));
}
