// Options and results of `rc-agent bench herd`.
import type { AgentPolicy, CpuPlan, Distribution, RunInfo } from '../common/index.js';
import type { GeneratorStats } from './herd-protocol.js';
import type { Population } from './populations.js';

export const TIMINGS = ['ready', 'steady', 'changed'] as const;
/**
 * When the herd starts: `ready` the instant `/readyz` first answers 200; `steady` well after readiness and after at
 * least one refresh; `changed` like steady, with the FFE_FLAGS document changed at the backend 2 s before the herd
 * while the agent already holds the old one.
 */
export type Timing = (typeof TIMINGS)[number];

/**
 * How N > 1 replicas run: `redis` shares one Redis (remote_configuration.cluster.redis_url: one backend call per
 * round, fleet-wide budgets), `independent` runs the same replicas without it (each polls the backend itself).
 */
export const FLEETS = ['redis', 'independent'] as const;
export type Fleet = (typeof FLEETS)[number];

export interface HerdScenarioSpec {
  readonly policy: AgentPolicy;
  readonly population: Population;
  readonly timing: Timing;
  /** Absent: one agent (the single-agent herd). */
  readonly fleet?: Fleet;
}

export interface HerdOptions {
  readonly repoRoot: string;
  /** Where results.json and report.html go. */
  readonly outDir: string;
  readonly tracers: number;
  /** Boots are spread evenly over this window. */
  readonly rampMs: number;
  /** A scenario stops when every tracer has all its configs, or this long after the last boot. */
  readonly capMs: number;
  /** Backend simulator latency before every answer. */
  readonly backendRttMs: number;
  readonly scenarios: readonly HerdScenarioSpec[];
  /** Each scenario runs this many times; tables show medians and the spread. */
  readonly rounds: number;
  /** Load-generator child processes. */
  readonly generatorProcs: number;
  readonly products: readonly string[];
  readonly pollIntervalMs: number;
  readonly fastPollIntervalMs: number;
  readonly requestTimeoutMs: number;
  /** `steady` and `changed`: the herd starts at least this long after readiness. */
  readonly steadyDelayMs: number;
  /** After every tracer is served, agent CPU is measured over this many ms of steady polls (0: skip). */
  readonly steadyWindowMs: number;
  /** Pin agent and load to separate cores with taskset when possible. */
  readonly pin: boolean;
  /** Real dd-trace-js processes instead of emulated tracers. */
  readonly real?: { readonly launchPerS: number };
  /** Show progress bars on stderr (a TTY is needed anyway). */
  readonly progress: boolean;
  /** Extra `DD_…` settings for the agent child. */
  readonly agentEnv?: Readonly<Record<string, string>>;
  /** Agent replicas per scenario (default 1); the herd is spread round-robin over them. Scenarios then carry a fleet. */
  readonly replicas?: number;
}

export interface Samples {
  /** Delivered times, ascending, ms. */
  readonly deliveredMs: readonly number[];
  readonly undelivered: number;
}

/** One run of one scenario. */
export interface HerdRoundResult {
  readonly round: number;
  readonly stoppedBy: 'all-delivered' | 'cap';
  /** From the herd's start to the stop (the steady window not included). */
  readonly herdMs: number;
  /** Readiness (first 200 from `/readyz`) to the herd's start. */
  readonly startAfterReadyMs: number;
  readonly ffe: Distribution;
  readonly allConfigs: Distribution;
  /** Tracers whose first FFE_FLAGS reply held the current flags (null when not observable). */
  readonly firstPollCurrent: number | null;
  readonly samples: { readonly ffe: Samples; readonly allConfigs: Samples };
  readonly backend: {
    /** Backend requests during the herd (the simulator's count). */
    readonly requests: number;
    /** `rc_backend_refreshes_total` by `reason/result` during the herd. */
    readonly byReason: Readonly<Record<string, number>>;
    /**
     * Mean duration of the agent's backend refreshes during the herd, ms (`rc_backend_refresh_seconds`: request,
     * verification, persistence, publication): what a request that joins a refresh waits at most. Null without any.
     */
    readonly meanRoundMs: number | null;
  };
  /** `rc_bypass_requests_total` by `lane/outcome` during the herd: every label the agent exposes. */
  readonly bypass: Readonly<Record<string, number>>;
  /** `rc_client_get_configs_total` by `lane/transport/code` during the herd. */
  readonly getConfigs: Readonly<Record<string, number>>;
  /** Why the agent's counters after the herd are missing (its `/metrics` did not answer), else null. */
  readonly metricsError: string | null;
  /** Upper bound of the p99 bucket of `rc_state_lock_hold_seconds`, ms, and how many holds it covers. */
  readonly lockHold: { readonly p99AtMostMs: number | null; readonly count: number };
  readonly agent: {
    readonly pid: number;
    /** Agent CPU during the herd window. */
    readonly herdCpuSeconds: number;
    /** herdCpuSeconds ÷ tracers × 1000 (equally: ms of agent CPU per new tracer). */
    readonly cpuSecondsPer1kNewTracers: number;
    /** Steady window after every tracer was served (null when skipped or not everyone was served). */
    readonly steady: {
      readonly windowMs: number;
      readonly polls: number;
      readonly cpuSeconds: number;
      readonly cpuSecondsPer1kPolls: number | null;
    } | null;
    readonly rssPeakBytes: number;
    readonly rssEndBytes: number;
  } | null;
  /** The emulated herd's generator processes (null for real tracers). */
  readonly generator: {
    readonly procs: number;
    /** Cores the bench process and its generators may use. */
    readonly cores: number;
    readonly stats: readonly GeneratorStats[];
    /** Sum of the children's boot rates. */
    readonly bootRatePerS: number | null;
    readonly valid: boolean;
    /** Why not valid: which generator exceeded which limit. */
    readonly invalidReasons: readonly string[];
  } | null;
  readonly client: {
    readonly requests: number | null;
    /** Requests given up at the client's timeout (dd-trace-js: 2 s). */
    readonly timeouts: number | null;
    readonly errors: number | null;
    /** Longest time any answered request waited for its reply, ms. */
    readonly maxHoldMs: number | null;
  };
  /** 1-minute load average of the machine before and after (other work shifts every figure). */
  readonly machineLoad1m: { readonly before: number; readonly after: number };
  /** The agent's event-loop lag over the herd (prom-client default metrics); the worst replica's with replicas. */
  readonly agentEventLoopLag: { readonly p99Ms: number | null; readonly maxMs: number | null };
  /** Per replica (only with --replicas N > 1; `agent` then sums CPU over replicas and keeps the largest RSS). */
  readonly replicas?: readonly ReplicaResult[];
}

/** One replica of a fleet during the herd. */
export interface ReplicaResult {
  readonly index: number;
  readonly pid: number;
  /** `rc_cluster_mode` after the herd: leader, follower or standalone (null when its metrics were unreadable). */
  readonly mode: string | null;
  readonly herdCpuSeconds: number | null;
  /** Backend refreshes this replica ran (its `rc_backend_refreshes_total`), by reason/result. */
  readonly refreshes: Readonly<Record<string, number>>;
  /** `rc_cluster_rounds_total` by result: published (leader), used, rejected, fallback (follower). */
  readonly clusterRounds: Readonly<Record<string, number>>;
  /**
   * `rc_cluster_round_phase_seconds` during the herd, by phase: queued (ask → leader's backend request; leader side),
   * fetch (leader's request → publish), delivery (publish → read; follower side), ask (follower's whole wait).
   */
  readonly roundPhases: Readonly<
    Record<string, { readonly count: number; readonly meanMs: number; readonly p99AtMostMs: number | null }>
  >;
  readonly rssPeakBytes: number;
}

/** A figure over rounds. */
export interface Spread {
  readonly median: number | null;
  readonly min: number | null;
  readonly max: number | null;
}

export interface HerdScenarioResult extends HerdScenarioSpec {
  readonly key: string;
  readonly tracers: number;
  /** Every round's generator stayed valid. */
  readonly valid: boolean;
  /** The round whose FFE p99 is the median (its samples draw the charts). */
  readonly representative: HerdRoundResult;
  readonly summary: {
    readonly ffeP50Ms: Spread;
    readonly ffeP90Ms: Spread;
    readonly ffeP99Ms: Spread;
    readonly ffeMaxMs: Spread;
    readonly deliveredPct: Spread;
    readonly allP99Ms: Spread;
    readonly timeouts: Spread;
    readonly maxHoldMs: Spread;
    readonly backendRequests: Spread;
    readonly meanRoundMs: Spread;
    readonly cpuSecondsPer1kNewTracers: Spread;
    readonly cpuSecondsPer1kSteadyPolls: Spread;
    readonly rssPeakBytes: Spread;
  };
  readonly rounds: readonly HerdRoundResult[];
}

export interface HerdComparison {
  readonly population: Population;
  readonly timing: Timing;
  readonly fleet?: Fleet;
  /** Rounds paired: legacy round i against fast-lane round i. */
  readonly rounds: number;
  /**
   * legacy p50 ÷ fast-lane p50 (FFE) of each paired round — how many times faster — as the median and range over the
   * rounds; a round where either side is undelivered has no finite ratio (null, sorted last).
   */
  readonly ffeP50Speedup: Spread;
  readonly ffeP99Speedup: Spread;
}

export interface HerdResults {
  readonly kind: 'herd';
  readonly run: RunInfo;
  readonly cpu: CpuPlan;
  readonly config: Omit<HerdOptions, 'repoRoot' | 'outDir' | 'progress'> & {
    readonly mode: 'emulated' | 'real';
    readonly expectedPaths: readonly string[];
    /** Local addresses the emulated tracers' connections were bound to in turn (empty: the system's choice). */
    readonly sourceAddresses: readonly string[];
    /** The DD_ environment of the last agent child. */
    readonly agentChildEnv: Readonly<Record<string, string>> | null;
    /** Generator validity limits. */
    readonly validity: { readonly maxEventLoopDelayP99Ms: number; readonly maxCpuBusiestSecond: number };
  };
  readonly scenarios: Readonly<Record<string, HerdScenarioResult>>;
  readonly comparisons: readonly HerdComparison[];
}

export function scenarioKey(spec: HerdScenarioSpec): string {
  return `${spec.policy}/${spec.population}/${spec.timing}${spec.fleet === undefined ? '' : `/${spec.fleet}`}`;
}
