// What the orchestrator needs from a running herd, emulated or real.
import type { GeneratorStats, HerdProgress, TracerResult } from './herd-protocol.js';

export interface HerdLoad {
  readonly total: number;
  /** Latest counts (updated a few times a second). */
  progress(): HerdProgress;
  /** Stops every tracer; returns what each measured and, for the emulated herd, each generator's own load. */
  stop(): Promise<{ tracers: TracerResult[]; generators: GeneratorStats[] | null }>;
  /** Rejects when the load generator itself fails (not when tracers miss their configs). */
  readonly failed: Promise<never>;
}
