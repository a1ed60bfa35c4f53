// Options and results of `rc-agent bench herd`.
import type { RcPolicy } from '../../src/client/index.js';
import type { AgentPolicy, CpuPlan, Distribution, RunInfo } from '../common/index.js';

export type ClientKind = RcPolicy | 'dd-trace-js';

export interface HerdScenarioSpec {
  /** `external` when the bench targets an agent it did not start (`--agent URL`). */
  readonly agentPolicy: AgentPolicy | 'external';
  readonly clientPolicy: ClientKind;
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
  /** Load-generator worker threads (emulated tracers). */
  readonly workers: number;
  readonly products: readonly string[];
  readonly pollIntervalMs: number;
  readonly fastPollIntervalMs: number;
  readonly requestTimeoutMs: number;
  /** Pin agent and load to separate cores with taskset when possible. */
  readonly pin: boolean;
  /** Target this agent instead of starting one per scenario. */
  readonly agentUrl?: string;
  /** Real dd-trace-js processes instead of emulated tracers. */
  readonly real?: { readonly launchPerS: number };
  /** Show progress bars on stderr (a TTY is needed anyway). */
  readonly progress: boolean;
  /** Extra `DD_…` settings for the agent child. */
  readonly agentEnv?: Readonly<Record<string, string>>;
}

export interface Samples {
  /** Delivered times, ascending, ms. */
  readonly deliveredMs: readonly number[];
  readonly undelivered: number;
}

export interface HerdScenarioResult {
  readonly key: string;
  /** The load generator's event loop lagged (p99 > 200 ms): timeouts and delivery times are partly its own. */
  readonly loadGeneratorSaturated: boolean;
  readonly agentPolicy: HerdScenarioSpec['agentPolicy'];
  readonly clientPolicy: ClientKind;
  readonly tracers: number;
  readonly stoppedBy: 'all-delivered' | 'cap';
  /** From the start of the ramp to the stop. */
  readonly durationMs: number;
  readonly ffe: Distribution;
  readonly allConfigs: Distribution;
  readonly samples: { readonly ffe: Samples; readonly allConfigs: Samples };
  readonly backend: {
    /** Backend requests during the scenario: simulator count, or the agent's refresh counter when external. */
    readonly refreshes: number;
    /** `rc_backend_refreshes_total` by `reason/result`. */
    readonly byReason: Readonly<Record<string, number>>;
  };
  /** `rc_bypass_requests_total` by `lane/outcome`. */
  readonly bypass: Readonly<Record<string, number>>;
  /** `rc_client_get_configs_total` by `lane/transport/code`. */
  readonly getConfigs: Readonly<Record<string, number>>;
  /** Upper bound of the p99 bucket of `rc_state_lock_hold_seconds`, ms, and how many holds it covers. */
  readonly lockHold: { readonly p99AtMostMs: number | null; readonly count: number };
  readonly agent: {
    readonly pid: number;
    readonly cpuSeconds: number;
    /** CPU seconds / scenario seconds (1.0 = one core busy). */
    readonly cpuCores: number;
    readonly rssPeakBytes: number;
    readonly rssEndBytes: number;
  } | null;
  /**
   * The bench process (load workers, backend simulator) during the scenario: CPU in cores, cores it had, and the worst
   * worker event-loop delay. Near saturation, delivery times measure the load generator rather than the agent.
   */
  readonly loadGenerator: {
    readonly cpuCores: number | null;
    readonly cores: number;
    readonly eventLoopDelay: { readonly p99Ms: number; readonly maxMs: number } | null;
  };
  /** 1-minute load average of the machine before and after the scenario. */
  readonly machineLoad1m: { readonly before: number; readonly after: number };
  /** The agent's event-loop lag over the scenario (prom-client default metrics, reset at each scrape). */
  readonly agentEventLoopLag: { readonly p99Ms: number | null; readonly maxMs: number | null };
  readonly client: {
    readonly requests: number | null;
    readonly timeouts: number | null;
    readonly errors: number | null;
  };
}

export interface HerdComparison {
  readonly baseline: string;
  readonly candidate: string;
  /** baseline p50 / candidate p50 (FFE): how many times faster. null when either is undelivered. */
  readonly ffeP50Speedup: number | null;
  readonly ffeP99Speedup: number | null;
}

export interface HerdResults {
  readonly kind: 'herd';
  readonly run: RunInfo;
  readonly cpu: CpuPlan;
  readonly config: Omit<HerdOptions, 'repoRoot' | 'outDir' | 'progress'> & {
    readonly mode: 'emulated' | 'real';
    readonly expectedPaths: readonly string[];
    /** The DD_ environment of the last agent child (null when external). */
    readonly agentChildEnv: Readonly<Record<string, string>> | null;
  };
  readonly scenarios: Readonly<Record<string, HerdScenarioResult>>;
  readonly comparisons: readonly HerdComparison[];
}

export function scenarioKey(spec: HerdScenarioSpec): string {
  return `agent=${spec.agentPolicy},client=${spec.clientPolicy}`;
}
