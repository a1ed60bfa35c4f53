// The emulated herd: tracers (RcClient) spread over worker threads so the load generator has event loops of its
// own; boots are interleaved across workers so each worker carries an even share of the ramp.
import type { Worker } from 'node:worker_threads';
import type { RcPolicy } from '../../src/client/index.js';
import { BenchError } from '../error.js';
import { absoluteNowMs, startTsWorker } from '../common/index.js';
import type { HerdLoad } from './herd-load.js';
import type { EventLoopDelay, HerdProgress, HerdWorkerData, HerdWorkerMessage, TracerResult } from './herd-protocol.js';

export interface EmulatedLoadOptions {
  readonly agentUrl: string;
  readonly tracers: number;
  readonly rampMs: number;
  readonly workers: number;
  readonly clientPolicy: RcPolicy;
  readonly products: readonly string[];
  readonly expectedPaths: readonly string[];
  readonly ffeProduct: string;
  readonly pollIntervalMs: number;
  readonly fastPollIntervalMs: number;
  readonly requestTimeoutMs: number;
  /** Default 60000: how long workers may take to load. */
  readonly workerStartTimeoutMs?: number;
}

const PROGRESS_INTERVAL_MS = 250;
/** Lead time between the start signal and the first boot, so every worker gets it before its first timer. */
const START_LEAD_MS = 100;

interface WorkerState {
  readonly worker: Worker;
  progress: HerdProgress;
  result?: TracerResult[];
  eventLoopDelay?: EventLoopDelay;
  onResult?: () => void;
}

/** Tracer i boots at i·ramp/N: an even ramp, the whole herd inside the window. */
export function bootOffsetMs(index: number, tracers: number, rampMs: number): number {
  return tracers <= 1 ? 0 : Math.floor((index * rampMs) / tracers);
}

export async function startEmulatedLoad(opts: EmulatedLoadOptions): Promise<HerdLoad> {
  const workerCount = Math.max(1, Math.min(opts.workers, opts.tracers));
  const shares: Array<Array<{ index: number; bootOffsetMs: number }>> = Array.from({ length: workerCount }, () => []);
  for (let i = 0; i < opts.tracers; i++) {
    shares[i % workerCount]!.push({ index: i, bootOffsetMs: bootOffsetMs(i, opts.tracers, opts.rampMs) });
  }

  let fail: (err: BenchError) => void = () => undefined;
  const failed = new Promise<never>((_resolve, reject) => (fail = reject));
  failed.catch(() => undefined);
  const states: WorkerState[] = [];
  const ready: Array<Promise<void>> = [];
  for (const share of shares) {
    const data: HerdWorkerData = {
      agentUrl: opts.agentUrl,
      clientPolicy: opts.clientPolicy,
      products: opts.products,
      expectedPaths: opts.expectedPaths,
      ffeProduct: opts.ffeProduct,
      pollIntervalMs: opts.pollIntervalMs,
      fastPollIntervalMs: opts.fastPollIntervalMs,
      requestTimeoutMs: opts.requestTimeoutMs,
      tracers: share,
      progressIntervalMs: PROGRESS_INTERVAL_MS,
    };
    const worker = startTsWorker(new URL('./herd-worker.ts', import.meta.url), data);
    const state: WorkerState = { worker, progress: { booted: 0, ffe: 0, all: 0 } };
    states.push(state);
    ready.push(
      new Promise<void>((resolve) => {
        worker.on('message', (message: HerdWorkerMessage) => {
          if (message.type === 'ready') resolve();
          else if (message.type === 'progress') state.progress = message;
          else {
            state.result = [...message.tracers];
            state.eventLoopDelay = message.eventLoopDelay;
            state.onResult?.();
          }
        });
      }),
    );
    worker.on('error', (err) => fail(new BenchError('LOAD_GENERATOR', 'a herd worker failed', { cause: err })));
    worker.on('exit', (code) => {
      if (state.result === undefined) {
        fail(new BenchError('LOAD_GENERATOR', `a herd worker exited (code ${code}) before reporting`));
      }
    });
  }

  const startTimeoutMs = opts.workerStartTimeoutMs ?? 60_000;
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      Promise.all(ready),
      failed,
      new Promise<never>((_resolve, reject) => {
        timer = setTimeout(
          () => reject(new BenchError('LOAD_GENERATOR', `herd workers not ready within ${startTimeoutMs} ms`)),
          startTimeoutMs,
        );
      }),
    ]);
  } catch (err) {
    await Promise.all(states.map((s) => s.worker.terminate()));
    throw err;
  } finally {
    clearTimeout(timer);
  }

  const startAtMs = absoluteNowMs() + START_LEAD_MS;
  for (const s of states) s.worker.postMessage({ type: 'start', startAtMs });

  return {
    total: opts.tracers,
    failed,
    progress: () =>
      states.reduce(
        (sum, s) => ({
          booted: sum.booted + s.progress.booted,
          ffe: sum.ffe + s.progress.ffe,
          all: sum.all + s.progress.all,
        }),
        { booted: 0, ffe: 0, all: 0 },
      ),
    async stop() {
      const results = states.map(
        (s) =>
          new Promise<TracerResult[]>((resolve) => {
            if (s.result !== undefined) resolve(s.result);
            else s.onResult = () => resolve(s.result!);
          }),
      );
      for (const s of states) s.worker.postMessage({ type: 'stop' });
      const all = (await Promise.race([Promise.all(results), failed])).flat();
      await Promise.all(states.map((s) => s.worker.terminate()));
      const delays = states.flatMap((s) => (s.eventLoopDelay === undefined ? [] : [s.eventLoopDelay]));
      return {
        tracers: all.sort((a, b) => a.index - b.index),
        eventLoopDelay:
          delays.length === 0
            ? null
            : {
                p99Ms: Math.max(...delays.map((d) => d.p99Ms)),
                maxMs: Math.max(...delays.map((d) => d.maxMs)),
              },
      };
    },
  };
}
