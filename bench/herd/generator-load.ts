// The emulated herd: tracers spread over `procs` generator child processes (they inherit the bench's CPU affinity,
// so they run on the cores left after the agent's). Children load before the agent starts and wait for a start
// signal, so a herd can begin the instant the agent is ready.
import { fork, type ChildProcess } from 'node:child_process';
import { BenchError } from '../error.js';
import { stopChild, trackChild, tsxLoaderUrl } from '../common/index.js';
import type { FfeTimeline } from './freshness.js';
import type { HerdLoad } from './herd-load.js';
import type {
  GeneratorChildMessage,
  GeneratorData,
  GeneratorParentMessage,
  GeneratorStats,
  HerdProgress,
  TracerResult,
} from './herd-protocol.js';
import type { LaneSpec, PollTiming } from './populations.js';

export interface GeneratorOptions {
  readonly repoRoot: string;
  readonly procs: number;
  readonly tracers: number;
  readonly rampMs: number;
  readonly lanes: readonly LaneSpec[];
  readonly timing: PollTiming;
  readonly requestTimeoutMs: number;
  readonly expectedPaths: readonly string[];
  readonly ffePath: string;
  /** Default 60000: how long children may take to load. */
  readonly startTimeoutMs?: number;
}

export interface PreparedGenerators {
  /**
   * Boots the herd now (plus a few ms for the signal to reach every child); tracer i polls ports[i % ports.length],
   * its connections bound in turn to `sourceAddresses` (empty: the system's choice).
   */
  start(host: string, ports: readonly number[], sourceAddresses: readonly string[], timeline: FfeTimeline): HerdLoad;
  /** Kills the children if the herd never started or failed. */
  close(): Promise<void>;
}

const PROGRESS_INTERVAL_MS = 200;
/** Lead time between the start signal and the first boot, so every child gets it before its first timer. */
const START_LEAD_MS = 15;
const ZERO: HerdProgress = { booted: 0, ffe: 0, all: 0, sent: 0, replies: 0, timeouts: 0 };

interface ChildState {
  readonly child: ChildProcess;
  progress: HerdProgress;
  result?: { tracers: readonly TracerResult[]; stats: GeneratorStats };
  onResult?: () => void;
}

/** Tracer i boots at i·ramp/N: an even ramp, the whole herd inside the window. */
export function bootOffsetMs(index: number, tracers: number, rampMs: number): number {
  return tracers <= 1 ? 0 : Math.floor((index * rampMs) / tracers);
}

export async function prepareGenerators(opts: GeneratorOptions): Promise<PreparedGenerators> {
  const procs = Math.max(1, Math.min(opts.procs, opts.tracers));
  const shares: Array<Array<{ index: number; bootOffsetMs: number }>> = Array.from({ length: procs }, () => []);
  // Interleaved: every child carries an even share of the ramp at every moment.
  for (let i = 0; i < opts.tracers; i++) {
    shares[i % procs]!.push({ index: i, bootOffsetMs: bootOffsetMs(i, opts.tracers, opts.rampMs) });
  }

  let fail: (err: BenchError) => void = () => undefined;
  const failed = new Promise<never>((_resolve, reject) => (fail = reject));
  failed.catch(() => undefined);
  let stopping = false;
  const states: ChildState[] = [];
  const ready: Array<Promise<void>> = [];
  for (const [generator, share] of shares.entries()) {
    const child = fork(new URL('./generator-child.ts', import.meta.url).pathname, [], {
      cwd: opts.repoRoot,
      execArgv: ['--import', tsxLoaderUrl(opts.repoRoot)],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'advanced',
    });
    trackChild(child);
    const state: ChildState = { child, progress: ZERO };
    states.push(state);
    ready.push(
      new Promise<void>((resolve) => {
        child.on('message', (message: GeneratorChildMessage) => {
          if (message.type === 'ready') resolve();
          else if (message.type === 'progress') state.progress = message;
          else if (message.type === 'result') {
            state.result = { tracers: message.tracers, stats: message.stats };
            state.onResult?.();
          } else fail(new BenchError('LOAD_GENERATOR', `generator ${generator} failed: ${message.message}`));
        });
      }),
    );
    child.on('error', (err) => fail(new BenchError('LOAD_GENERATOR', `generator ${generator} failed`, { cause: err })));
    child.on('exit', (code) => {
      if (state.result === undefined && !stopping) {
        fail(new BenchError('LOAD_GENERATOR', `generator ${generator} exited (code ${code}) before reporting`));
      }
    });
    const data: GeneratorData = {
      generator,
      lanes: opts.lanes,
      timing: opts.timing,
      requestTimeoutMs: opts.requestTimeoutMs,
      expectedPaths: opts.expectedPaths,
      ffePath: opts.ffePath,
      tracers: share,
      progressIntervalMs: PROGRESS_INTERVAL_MS,
    };
    child.send({ type: 'init', data } satisfies GeneratorParentMessage);
  }

  const close = async (): Promise<void> => {
    stopping = true;
    await Promise.all(states.map((s) => stopChild(s.child, 2000)));
  };
  const startTimeoutMs = opts.startTimeoutMs ?? 60_000;
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      Promise.all(ready),
      failed,
      new Promise<never>((_resolve, reject) => {
        timer = setTimeout(
          () => reject(new BenchError('LOAD_GENERATOR', `generators not ready within ${startTimeoutMs} ms`)),
          startTimeoutMs,
        );
      }),
    ]);
  } catch (err) {
    await close();
    throw err;
  } finally {
    clearTimeout(timer);
  }

  return {
    close,
    start(host, ports, sourceAddresses, timeline) {
      const startAtMs = Date.now() + START_LEAD_MS;
      for (const s of states) s.child.send({ type: 'start', host, ports, sourceAddresses, startAtMs, timeline });
      return {
        total: opts.tracers,
        failed,
        progress: () =>
          states.reduce(
            (sum, s) => ({
              booted: sum.booted + s.progress.booted,
              ffe: sum.ffe + s.progress.ffe,
              all: sum.all + s.progress.all,
              sent: sum.sent + s.progress.sent,
              replies: sum.replies + s.progress.replies,
              timeouts: sum.timeouts + s.progress.timeouts,
            }),
            ZERO,
          ),
        async stop() {
          const results = states.map(
            (s) =>
              new Promise<NonNullable<ChildState['result']>>((resolve) => {
                if (s.result !== undefined) resolve(s.result);
                else s.onResult = () => resolve(s.result!);
              }),
          );
          for (const s of states) s.child.send({ type: 'stop' } satisfies GeneratorParentMessage);
          const all = await Promise.race([Promise.all(results), failed]);
          await close();
          return {
            tracers: all.flatMap((r) => r.tracers).sort((a, b) => a.index - b.index),
            generators: all.map((r) => r.stats),
          };
        },
      };
    },
  };
}
