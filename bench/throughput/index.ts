// `rc-agent bench throughput`: steady-state /v0.7/config and gRPC load against the agent and the HTTP stack's limit.
export { runThroughput } from './run-throughput.js';
export { profileSection, throughputSummaryTable } from './throughput-report.js';
export { summarizeCpuProfile, areaOf, takeAgentProfile, type ProfileSummary } from './cpu-profile-summary.js';
export { buildClientPool, withoutCache } from './client-pool.js';
