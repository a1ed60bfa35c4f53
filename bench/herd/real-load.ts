// The real herd (`bench herd --real N`): N dd-trace-js processes (test/helpers/tracer-app.cjs, forked by path),
// launched at a bounded rate so their start-up CPU does not swamp the measurement. Delivery is observed inside each
// process: FFE through the OpenFeature provider's Ready event, the other configs through dd-trace's RC dispatch.
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { BenchError } from '../error.js';
import { absoluteNowMs, stopChild, trackChild } from '../common/index.js';
import type { HerdLoad } from './herd-load.js';
import type { HerdProgress, TracerResult } from './herd-protocol.js';

export interface RealLoadOptions {
  readonly repoRoot: string;
  readonly agentUrl: string;
  readonly tracers: number;
  /** Process launches per second. */
  readonly launchPerS: number;
  readonly expectedPaths: readonly string[];
  /** dd-trace's `DD_REMOTE_CONFIG_POLL_INTERVAL_SECONDS`. */
  readonly pollIntervalS: number;
}

interface RealTracer {
  readonly index: number;
  readonly child: ChildProcess;
  readonly forkedMs: number;
  /** When the process reported `started` (dd-trace init() done, first RC poll under way). */
  startedMs?: number;
  ffeMs?: number;
  allMs?: number;
  readonly held: Set<string>;
  fatal?: string;
}

export const TRACER_APP_PATH = join('test', 'helpers', 'tracer-app.cjs');

/** The tracer's environment: RC on, FFE over RC, everything else that costs CPU off. */
export function realTracerEnv(agentUrl: string, index: number, pollIntervalS: number): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined || k.startsWith('DD_') || k.startsWith('OTEL_') || k === 'NODE_OPTIONS') continue;
    env[k] = v;
  }
  return Object.assign(env, {
    DD_TRACE_AGENT_URL: agentUrl,
    DD_SERVICE: `bench-svc-${index % 100}`,
    DD_ENV: 'bench',
    DD_VERSION: '1.0.0',
    DD_REMOTE_CONFIGURATION_ENABLED: 'true',
    DD_REMOTE_CONFIG_POLL_INTERVAL_SECONDS: String(pollIntervalS),
    DD_FEATURE_FLAGS_CONFIGURATION_SOURCE: 'remote_config',
    DD_INSTRUMENTATION_TELEMETRY_ENABLED: 'false',
    DD_TRACE_STARTUP_LOGS: 'false',
    DD_PROFILING_ENABLED: 'false',
    DD_CRASHTRACKING_ENABLED: 'false',
    DD_RUNTIME_METRICS_ENABLED: 'false',
    DD_TRACE_GIT_METADATA_ENABLED: 'false',
    DD_FLAGGING_EVALUATION_COUNTS_ENABLED: 'false',
    TRACER_APP_REPORT_RC: 'false',
  });
}

export function startRealLoad(opts: RealLoadOptions): Promise<HerdLoad> {
  const tracers: RealTracer[] = [];
  let stopping = false;
  let fail: (err: BenchError) => void = () => undefined;
  const failed = new Promise<never>((_resolve, reject) => (fail = reject));
  failed.catch(() => undefined);
  const counts = { ffe: 0, all: 0 };
  const appPath = join(opts.repoRoot, TRACER_APP_PATH);

  const launch = (index: number): void => {
    if (stopping) return;
    const child = fork(appPath, [], {
      env: realTracerEnv(opts.agentUrl, index, opts.pollIntervalS),
      execArgv: [],
      stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
      serialization: 'json',
    });
    trackChild(child);
    const tracer: RealTracer = { index, child, forkedMs: absoluteNowMs(), held: new Set() };
    tracers.push(tracer);
    const checkAll = (): void => {
      if (tracer.allMs !== undefined || tracer.startedMs === undefined || tracer.ffeMs === undefined) return;
      if (opts.expectedPaths.length > 0 && opts.expectedPaths.every((p) => tracer.held.has(p))) {
        tracer.allMs = absoluteNowMs() - tracer.startedMs;
        counts.all++;
      }
    };
    child.on('message', (message: { type?: string; action?: string; path?: string; message?: string }) => {
      const now = absoluteNowMs();
      switch (message.type) {
        case 'started':
          tracer.startedMs = now;
          break;
        case 'ffe-ready':
          if (tracer.ffeMs === undefined && tracer.startedMs !== undefined) {
            tracer.ffeMs = now - tracer.startedMs;
            counts.ffe++;
          }
          checkAll();
          break;
        case 'rc-apply':
          if (typeof message.path !== 'string') break;
          if (message.action === 'unapply') tracer.held.delete(message.path);
          else tracer.held.add(message.path);
          checkAll();
          break;
        case 'fatal':
          tracer.fatal = String(message.message);
          break;
      }
    });
    child.once('exit', (code) => {
      if (!stopping && tracer.allMs === undefined) {
        fail(
          new BenchError('LOAD_GENERATOR', `dd-trace process ${index} exited (code ${code}): ${tracer.fatal ?? ''}`),
        );
      }
    });
  };

  // Launch i at i / rate: a steady, bounded stream of process start-ups.
  const intervalMs = 1000 / opts.launchPerS;
  const timers: NodeJS.Timeout[] = [];
  for (let i = 0; i < opts.tracers; i++) timers.push(setTimeout(() => launch(i), Math.floor(i * intervalMs)));

  const load: HerdLoad = {
    total: opts.tracers,
    failed,
    progress: (): HerdProgress => ({
      booted: tracers.filter((t) => t.startedMs !== undefined).length,
      ...counts,
      sent: 0,
      replies: 0,
      timeouts: 0,
    }),
    async stop() {
      stopping = true;
      for (const timer of timers) clearTimeout(timer);
      const results: TracerResult[] = [];
      for (let i = 0; i < opts.tracers; i++) {
        const t = tracers.find((x) => x.index === i);
        results.push({
          index: i,
          ffeMs: t?.ffeMs ?? null,
          allMs: t?.allMs ?? null,
          firstPollCurrent: null,
          requests: null,
          timeouts: null,
          errors: null,
          maxHoldMs: null,
        });
      }
      await Promise.all(
        tracers.map(async (t) => {
          if (t.child.connected) t.child.disconnect();
          await stopChild(t.child, 2000);
        }),
      );
      return { tracers: results, generators: null };
    },
  };
  return Promise.resolve(load);
}
