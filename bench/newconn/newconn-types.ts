// Options and results of `rc-agent bench newconn`.
import type { CpuPlan, RunInfo } from '../common/index.js';
import type { HerdRoundResult } from '../herd/index.js';
import type { ProfileSummary } from '../throughput/index.js';

export const NEWCONN_TARGETS = ['node', 'fastify', 'agent'] as const;
export type NewconnTarget = (typeof NEWCONN_TARGETS)[number];

export const TARGET_DESCRIPTIONS: Readonly<Record<NewconnTarget, string>> = {
  node: 'bare node:http createServer, the captured reply from memory (the floor)',
  fastify: 'a fastify route set up like the agent app, the same bytes from memory',
  agent: 'rc-agent (fastlane), a real first poll of a new client',
};

export interface NewconnOptions {
  readonly repoRoot: string;
  readonly outDir: string;
  readonly tracers: number;
  readonly rampMs: number;
  readonly rounds: number;
  readonly capMs: number;
  readonly pin: boolean;
  readonly progress: boolean;
  /** Run the agent under `node --cpu-prof`; its profile and a summary land in the results. */
  readonly cpuProf?: boolean;
  readonly agentEnv?: Readonly<Record<string, string>>;
}

export interface NewconnRound {
  readonly target: NewconnTarget;
  readonly round: number;
  readonly cpuSeconds: number;
  /** server CPU per new tracer, ms (the herd's window includes the few second polls of the earliest tracers) */
  readonly cpuMsPerNewTracer: number;
  /**
   * server CPU per request, ms: the steadier figure when the generator was late (a timed-out request is retried on
   * a new connection, as dd-trace-js does, so a tracer then costs more than one connection)
   */
  readonly cpuMsPerRequest: number;
  readonly requests: number;
  readonly delivered: number;
  readonly timeouts: number;
  readonly errors: number;
  readonly stoppedBy: 'all-delivered' | 'cap';
  readonly generator: NonNullable<HerdRoundResult['generator']>;
}

export interface NewconnTargetResult {
  /** cheapest valid round (cheapest round when none is valid) */
  readonly cpuMsPerNewTracer: number;
  /** cheapest valid round's (cheapest round's when none is valid) CPU per request */
  readonly cpuMsPerRequest: number;
  /** this target's CPU per new tracer ÷ the bare node floor's */
  readonly timesFloor: number;
  /** the same by CPU per request */
  readonly timesFloorPerRequest: number;
  readonly valid: boolean;
}

export interface NewconnResults {
  readonly kind: 'newconn';
  readonly run: RunInfo;
  readonly cpu: CpuPlan;
  readonly config: Omit<NewconnOptions, 'repoRoot' | 'outDir' | 'progress'> & { readonly replyBytes: number };
  readonly targets: Readonly<Record<NewconnTarget, NewconnTargetResult>>;
  /** floor ÷ agent: the share of the agent's cost per new tracer that any Node HTTP server pays */
  readonly platformShare: number;
  /** the same by CPU per request */
  readonly platformSharePerRequest: number;
  readonly rounds: readonly NewconnRound[];
  /** The agent's whole run under `--cpu-prof` (start-up, the capture poll and every agent round), else null. */
  readonly cpuProfile: string | null;
  readonly profile: ProfileSummary | null;
}
