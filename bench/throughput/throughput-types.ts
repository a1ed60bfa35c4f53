// Options and results of `rc-agent bench throughput`.
import type { AgentPolicy, CpuPlan, RunInfo } from '../common/index.js';
import type { ProfileSummary } from './cpu-profile-summary.js';
import type { LoadResult } from './throughput-protocol.js';

export interface ThroughputOptions {
  readonly repoRoot: string;
  readonly outDir: string;
  /** Distinct RC clients, each an already-active client with its own request body. */
  readonly clients: number;
  /** autocannon connections. */
  readonly connections: number;
  readonly durationS: number;
  readonly warmupS: number;
  /** Alternating agent/static rounds; the best of each counts. */
  readonly rounds: number;
  readonly grpc: boolean;
  readonly grpcConcurrency: number;
  readonly backendRttMs: number;
  readonly pin: boolean;
  readonly progress: boolean;
  readonly cpuProf: boolean;
  /** Default fastlane. */
  readonly policy?: AgentPolicy;
  readonly agentEnv?: Readonly<Record<string, string>>;
}

/**
 * `steady`: the client is up to date (targets_version current, cached files, acknowledged states) → `{}`.
 * `full`: the same active client with no cached files and targets_version 0 → the full reply with every file.
 */
export type Variant = 'steady' | 'full';
export const VARIANTS: readonly Variant[] = ['steady', 'full'];

export interface AgentLoadResult extends LoadResult {
  /** Server CPU during the measured run, in cores (1.0 = one core busy). */
  readonly agentCpuCores: number | null;
  /** Server CPU per reply, µs. */
  readonly cpuUsPerReply: number | null;
}

export interface VariantResult {
  readonly replyBytes: number;
  readonly agent: AgentLoadResult;
  readonly static: AgentLoadResult;
  /** agent req/s ÷ static req/s (best rounds). */
  readonly ratio: number;
  /** CPU per reply (cheapest round of each): static µs ÷ agent µs is the ratio the contention does not skew. */
  readonly cpu: {
    readonly agentUsPerReply: number | null;
    readonly staticUsPerReply: number | null;
    readonly ratio: number | null;
  };
  readonly rounds: { readonly agent: readonly AgentLoadResult[]; readonly static: readonly AgentLoadResult[] };
}

export interface ThroughputResults {
  readonly kind: 'throughput';
  readonly run: RunInfo;
  readonly cpu: CpuPlan;
  readonly config: Omit<ThroughputOptions, 'repoRoot' | 'outDir' | 'progress'> & {
    readonly policy: AgentPolicy;
    readonly agentEnv: Readonly<Record<string, string>>;
  };
  readonly http: Readonly<Record<Variant, VariantResult>>;
  readonly grpc: Readonly<Record<Variant, AgentLoadResult>> | null;
  /** gRPC's floor: a static grpc-js server (the agent's TLS and token check) answering the same reply bytes. */
  readonly grpcStatic: Readonly<Record<Variant, AgentLoadResult>> | null;
  /** Where the agent's .cpuprofile was written (with --cpu-prof). */
  readonly cpuProfile: string | null;
  readonly profile: ProfileSummary | null;
}
