// What the orchestrator needs from a herd load generator, emulated or real.
import type { EventLoopDelay, HerdProgress, TracerResult } from './herd-protocol.js';

export interface HerdLoad {
  readonly total: number;
  /** Latest counts (updated a few times a second). */
  progress(): HerdProgress;
  /** Stops every tracer and returns what each measured, and the worst load-generator event-loop delay if known. */
  stop(): Promise<{ tracers: TracerResult[]; eventLoopDelay: EventLoopDelay | null }>;
  /** Rejects when the load generator itself fails (not when tracers miss their configs). */
  readonly failed: Promise<never>;
}
