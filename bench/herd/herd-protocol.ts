// Messages between the herd orchestrator and its load-generator workers.
import type { RcPolicy } from '../../src/client/index.js';

export interface HerdWorkerData {
  readonly agentUrl: string;
  readonly clientPolicy: RcPolicy;
  readonly products: readonly string[];
  /** Every config path a tracer must hold to count as "all configs delivered". */
  readonly expectedPaths: readonly string[];
  readonly ffeProduct: string;
  readonly pollIntervalMs: number;
  readonly fastPollIntervalMs: number;
  readonly requestTimeoutMs: number;
  /** This worker's tracers: global index and boot offset from the start signal. */
  readonly tracers: ReadonlyArray<{ readonly index: number; readonly bootOffsetMs: number }>;
  readonly progressIntervalMs: number;
}

/** Per tracer, what a herd measured. Times are from the tracer's boot. */
export interface TracerResult {
  readonly index: number;
  /** Boot to the first FFE_FLAGS config applied; null if it never came. */
  readonly ffeMs: number | null;
  /** Boot to holding every expected config; null if that never happened. */
  readonly allMs: number | null;
  /** RC requests sent (null when not observable, e.g. a real tracer). */
  readonly requests: number | null;
  readonly timeouts: number | null;
  readonly errors: number | null;
}

export interface HerdProgress {
  readonly booted: number;
  readonly ffe: number;
  readonly all: number;
}

export type HerdWorkerMessage =
  | { readonly type: 'ready' }
  | ({ readonly type: 'progress' } & HerdProgress)
  | { readonly type: 'result'; readonly tracers: readonly TracerResult[]; readonly eventLoopDelay: EventLoopDelay };

/** Event-loop delay of a load generator thread, ms: high values mean the measurement waited on the load generator. */
export interface EventLoopDelay {
  readonly p99Ms: number;
  readonly maxMs: number;
}

export type HerdParentMessage =
  /** Boot offsets count from `startAtMs` (absolute, see absoluteNowMs). */
  { readonly type: 'start'; readonly startAtMs: number } | { readonly type: 'stop' };
