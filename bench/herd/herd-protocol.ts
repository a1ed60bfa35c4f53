// Messages between the herd orchestrator and its load-generator child processes, and what they measure.
import type { FfeTimeline } from './freshness.js';
import type { LaneSpec, PollTiming } from './populations.js';

export interface GeneratorData {
  /** Which child this is (for messages). */
  readonly generator: number;
  readonly lanes: readonly LaneSpec[];
  readonly timing: PollTiming;
  readonly requestTimeoutMs: number;
  /** Every config path a tracer must hold to count as "all configs delivered". */
  readonly expectedPaths: readonly string[];
  /** The FFE_FLAGS config path whose document freshness decides delivery. */
  readonly ffePath: string;
  /** This child's tracers: global index and boot offset from the start signal. */
  readonly tracers: ReadonlyArray<{ readonly index: number; readonly bootOffsetMs: number }>;
  readonly progressIntervalMs: number;
}

export type GeneratorParentMessage =
  | { readonly type: 'init'; readonly data: GeneratorData }
  | {
      readonly type: 'start';
      readonly host: string;
      /** The agents' ports: tracer i polls ports[i % ports.length] (round-robin over replicas). */
      readonly ports: readonly number[];
      /** Local addresses the connections are bound to in turn (empty: the system's choice); see source-addresses.ts. */
      readonly sourceAddresses: readonly string[];
      /** Boot offsets count from here (epoch ms). */
      readonly startAtMs: number;
      readonly timeline: FfeTimeline;
    }
  | { readonly type: 'stop' };

/** Per tracer, what a herd measured. Times are from the tracer's boot. */
export interface TracerResult {
  readonly index: number;
  /** Boot to holding the current FFE_FLAGS document (see freshness.ts); null if that never happened. */
  readonly ffeMs: number | null;
  /** Boot to holding every expected config with current flags; null if that never happened. */
  readonly allMs: number | null;
  /** The reply to the tracer's first FFE_FLAGS request held the current flags (null when not observable). */
  readonly firstPollCurrent: boolean | null;
  /** RC requests sent (null when not observable, e.g. a real tracer). */
  readonly requests: number | null;
  /** Requests given up at the client timeout (a reply after it does not count). */
  readonly timeouts: number | null;
  /** Network errors, non-2xx and replies the tracer would reject. */
  readonly errors: number | null;
  /** Longest time any answered request of this tracer waited for its reply, ms. */
  readonly maxHoldMs: number | null;
}

export interface HerdProgress {
  readonly booted: number;
  readonly ffe: number;
  readonly all: number;
  /** Requests sent so far: the steady window counts polls with it. */
  readonly sent: number;
  /** Replies received (any status) so far. */
  readonly replies: number;
  readonly timeouts: number;
}

/** How hard a generator process worked: its event-loop delay and CPU (of one core) while the herd ran. */
export interface GeneratorStats {
  readonly generator: number;
  readonly pid: number;
  readonly tracers: number;
  readonly eventLoopDelay: { readonly p99Ms: number; readonly maxMs: number };
  /** CPU seconds over wall seconds from the start signal to the stop. */
  readonly cpuMean: number;
  /** The busiest whole second (1.0 = the core was busy throughout). */
  readonly cpuBusiestSecond: number;
  /** Boots actually achieved per second over this child's ramp (null for a single boot). */
  readonly bootRatePerS: number | null;
}

export type GeneratorChildMessage =
  | { readonly type: 'ready' }
  | ({ readonly type: 'progress' } & HerdProgress)
  | { readonly type: 'result'; readonly tracers: readonly TracerResult[]; readonly stats: GeneratorStats }
  | { readonly type: 'error'; readonly message: string };
