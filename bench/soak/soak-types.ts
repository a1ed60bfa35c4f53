// Options and results of `rc-agent bench soak`.
import type { CpuPlan, RunInfo } from '../common/index.js';

export interface SoakOptions {
  readonly repoRoot: string;
  readonly outDir: string;
  /** Distinct known tracer clients; each is polled every clients ÷ rate seconds (10,000 at 2,000/s: every 5 s). */
  readonly clients: number;
  /** Steady polls per second, open loop (sent on schedule whatever the agent's latency). */
  readonly ratePerS: number;
  readonly connections: number;
  readonly durationS: number;
  /** Samples before this are warm-up: growth is measured from the first sample after it. */
  readonly warmupS: number;
  readonly sampleS: number;
  readonly pin: boolean;
  readonly progress: boolean;
}

export interface SoakSample {
  /** Seconds since the load started. */
  readonly atS: number;
  readonly rssBytes: number;
  /** nodejs_heap_size_used_bytes / _total_bytes from the agent's /metrics; null if unreadable. */
  readonly heapUsedBytes: number | null;
  readonly heapTotalBytes: number | null;
  /** Tracked (active) clients: rc_active_clients{product="FFE_FLAGS"}. */
  readonly activeClients: number | null;
  /** Replies per second and p99 latency since the previous sample. */
  readonly repliesPerS: number;
  readonly p99Ms: number | null;
  readonly errors: number;
}

export interface SoakResults {
  readonly kind: 'soak';
  readonly run: RunInfo;
  readonly cpu: CpuPlan;
  readonly config: Omit<SoakOptions, 'repoRoot' | 'outDir' | 'progress'>;
  readonly samples: readonly SoakSample[];
  /** RSS right after warm-up (every client tracked): the memory of `clients` tracked clients. */
  readonly rssAfterWarmupBytes: number;
  readonly rssMaxBytes: number;
  /** (last − first after warm-up) ÷ first after warm-up, percent. */
  readonly rssGrowthPercent: number;
  readonly heapUsedGrowthPercent: number | null;
  readonly requests: { readonly sent: number; readonly ok: number; readonly failed: number; readonly skipped: number };
  /** Goals of issue 9 (P5): RSS growth ≤ 10 % after warm-up; ≤ 200 MB with 10,000 tracked clients. */
  readonly goals: { readonly growthOk: boolean; readonly rssOk: boolean | null };
}
