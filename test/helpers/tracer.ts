// A real dd-trace-js process (test/helpers/tracer-app.cjs) pointed at an agent URL, observed over IPC.
// Used by the client shape test, the rc-agent + real tracer integration test and `bench herd --real N`.
import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';

const APP_PATH = fileURLToPath(new URL('./tracer-app.cjs', import.meta.url));
const OUTPUT_LIMIT_CHARS = 64 * 1024;
const KILL_GRACE_MS = 2000;

export interface SpawnTracerOptions {
  /** The rc-agent (or fake agent) HTTP URL, e.g. `http://127.0.0.1:8126`. */
  agentUrl: string;
  service?: string;
  env?: string;
  /** `DD_VERSION`. */
  version?: string;
  /** `DD_REMOTE_CONFIG_POLL_INTERVAL_SECONDS` (dd-trace default 5). */
  pollIntervalS?: number;
  /** Subscribe FFE_FLAGS over remote config (`DD_FEATURE_FLAGS_CONFIGURATION_SOURCE=remote_config`). Default true. */
  featureFlags?: boolean;
  /** Report every RC request/reply over IPC (`rc-request`, `rc-response` events). Default true. */
  reportRc?: boolean;
  /** Wins over every variable set here. */
  extraEnv?: Record<string, string>;
  /** How long to wait for the process to report `started`. Default 15000. */
  startTimeoutMs?: number;
}

/** A message from inside the tracer process; see tracer-app.cjs for the list. */
export interface TracerEvent {
  readonly type: string;
  readonly [key: string]: unknown;
}

export interface FlagEvent extends TracerEvent {
  readonly type: 'flag';
  readonly key: string;
  readonly value: unknown;
  readonly reason?: string;
  readonly variant?: string;
  readonly errorCode?: string;
}

export interface TracerProcess {
  readonly pid: number;
  readonly runtimeId: string;
  /** Every event received so far, in order. */
  readonly events: readonly TracerEvent[];
  /** The first event at index >= `fromIndex` matching `predicate`, already received or yet to come. */
  waitFor(predicate: (event: TracerEvent) => boolean, timeoutMs: number, fromIndex?: number): Promise<TracerEvent>;
  /** Evaluates a flag through OpenFeature inside the tracer; the default's type picks the flag type. */
  evaluate(key: string, defaultValue: boolean | string | number | object, targetingKey?: string): Promise<FlagEvent>;
  /** Creates and finishes one span inside the tracer (it flushes to the agent URL on its own schedule). */
  span(name?: string): Promise<void>;
  /** /v0.7/config bodies dd-trace built, parsed. */
  rcRequests(): unknown[];
  /** The process's stdout and stderr (last 64 KiB), for failure messages. */
  output(): string;
  readonly exited: boolean;
  kill(): Promise<void>;
}

/** The environment the tracer runs with: RC on, quiet and cheap (no telemetry, profiling, crash tracking, git tags). */
export function tracerEnv(opts: SpawnTracerOptions): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    // Do not leak the parent's tracer settings or test-runner loaders into the tracer.
    if (v === undefined || k.startsWith('DD_') || k.startsWith('OTEL_') || k === 'NODE_OPTIONS') continue;
    if (k === 'NODE_V8_COVERAGE') continue;
    env[k] = v;
  }
  Object.assign(env, {
    DD_TRACE_AGENT_URL: opts.agentUrl,
    DD_SERVICE: opts.service ?? 'rc-agent-test',
    DD_REMOTE_CONFIGURATION_ENABLED: 'true',
    DD_REMOTE_CONFIG_POLL_INTERVAL_SECONDS: String(opts.pollIntervalS ?? 5),
    DD_INSTRUMENTATION_TELEMETRY_ENABLED: 'false',
    DD_TRACE_STARTUP_LOGS: 'false',
    DD_PROFILING_ENABLED: 'false',
    DD_CRASHTRACKING_ENABLED: 'false',
    DD_RUNTIME_METRICS_ENABLED: 'false',
    DD_TRACE_GIT_METADATA_ENABLED: 'false',
    DD_FLAGGING_EVALUATION_COUNTS_ENABLED: 'false',
  });
  if (opts.env !== undefined) env.DD_ENV = opts.env;
  if (opts.version !== undefined) env.DD_VERSION = opts.version;
  if (opts.featureFlags ?? true) env.DD_FEATURE_FLAGS_CONFIGURATION_SOURCE = 'remote_config';
  if (opts.reportRc === false) env.TRACER_APP_REPORT_RC = 'false';
  Object.assign(env, opts.extraEnv);
  return env;
}

export async function spawnTracer(opts: SpawnTracerOptions): Promise<TracerProcess> {
  const child = fork(APP_PATH, [], {
    env: tracerEnv(opts),
    execArgv: [],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    serialization: 'json',
  });
  const tracer = new ForkedTracer(child);
  try {
    const started = await tracer.waitFor((e) => e.type === 'started', opts.startTimeoutMs ?? 15_000);
    tracer.setStarted(started);
  } catch (err) {
    await tracer.kill();
    throw err;
  }
  return tracer;
}

type Waiter = { readonly check: () => boolean };

class ForkedTracer implements TracerProcess {
  readonly events: TracerEvent[] = [];
  private runtime = '';
  private out = '';
  private done = false;
  private readonly waiters = new Set<Waiter>();
  private readonly exit: Promise<void>;

  constructor(private readonly child: ChildProcess) {
    const collect = (chunk: Buffer): void => {
      this.out = (this.out + chunk.toString()).slice(-OUTPUT_LIMIT_CHARS);
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    child.on('message', (message: unknown) => {
      if (typeof message !== 'object' || message === null || typeof (message as TracerEvent).type !== 'string') return;
      this.events.push(message as TracerEvent);
      this.notify();
    });
    this.exit = new Promise((resolve) => {
      child.once('exit', () => {
        this.done = true;
        this.notify();
        resolve();
      });
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get runtimeId(): string {
    return this.runtime;
  }

  get exited(): boolean {
    return this.done;
  }

  setStarted(event: TracerEvent): void {
    this.runtime = typeof event.runtimeId === 'string' ? event.runtimeId : '';
  }

  output(): string {
    return this.out;
  }

  rcRequests(): unknown[] {
    return this.events.filter((e) => e.type === 'rc-request').map((e) => JSON.parse(String(e.body)) as unknown);
  }

  waitFor(predicate: (event: TracerEvent) => boolean, timeoutMs: number, fromIndex = 0): Promise<TracerEvent> {
    return new Promise((resolve, reject) => {
      let scanned = fromIndex;
      const waiter: Waiter = {
        check: () => {
          for (; scanned < this.events.length; scanned++) {
            const event = this.events[scanned]!;
            if (predicate(event)) {
              finish();
              resolve(event);
              return true;
            }
          }
          if (this.done) {
            finish();
            reject(new Error(`tracer process exited before the awaited event; output:\n${this.out}`));
            return true;
          }
          return false;
        },
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`no matching tracer event within ${timeoutMs} ms (${this.events.length} events so far)`));
      }, timeoutMs);
      const finish = (): void => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
      };
      if (!waiter.check()) this.waiters.add(waiter);
    });
  }

  async evaluate(
    key: string,
    defaultValue: boolean | string | number | object,
    targetingKey?: string,
  ): Promise<FlagEvent> {
    const id = randomUUID();
    const from = this.events.length;
    this.child.send({ type: 'evaluate', id, key, default: defaultValue, targetingKey });
    return (await this.waitFor((e) => e.type === 'flag' && e.id === id, 5000, from)) as FlagEvent;
  }

  async span(name = 'rc-agent.test'): Promise<void> {
    const id = randomUUID();
    const from = this.events.length;
    this.child.send({ type: 'span', id, name });
    await this.waitFor((e) => e.type === 'span-done' && e.id === id, 5000, from);
  }

  async kill(): Promise<void> {
    if (this.done) return;
    // Disconnecting makes tracer-app exit on its own; SIGTERM then SIGKILL cover a wedged process.
    if (this.child.connected) this.child.disconnect();
    this.child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), KILL_GRACE_MS);
    });
    const first = await Promise.race([this.exit.then(() => 'exited' as const), grace]);
    clearTimeout(timer);
    if (first === 'timeout') {
      this.child.kill('SIGKILL');
      await this.exit;
    }
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter.check();
  }
}
