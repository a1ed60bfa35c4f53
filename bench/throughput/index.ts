// `rc-agent bench throughput`: steady-state /v0.7/config and gRPC load against the agent and the HTTP stack's limit.
export { runThroughput, validateThroughputOptions, type ThroughputRunOutput } from './run-throughput.js';
export { renderThroughputReport, throughputSummaryTable } from './throughput-report.js';
export { summarizeCpuProfile, areaOf, type ProfileSummary, type ProfileEntry } from './cpu-profile-summary.js';
export { buildClientPool, withoutCache, type ClientPool } from './client-pool.js';
export { VARIANTS } from './throughput-types.js';
export type {
  ThroughputOptions,
  ThroughputResults,
  Variant,
  VariantResult,
  AgentLoadResult,
} from './throughput-types.js';
export type { LoadResult, LatencySummary } from './throughput-protocol.js';
