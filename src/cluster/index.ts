// Several rc-agent replicas as one through Redis (README "Replicas on Redis"): leader election, one backend call per
// round, fleet-wide bypass budgets, and every byte read from Redis verified by each replica before it is served.
export {
  Cluster,
  CLUSTER_MODES,
  ASK_TIMEOUT_MS,
  type ClusterMode,
  type ClusterOptions,
  type ClusterHooks,
} from './cluster.js';
export { FleetBudget, type FleetBudgetOptions, type TokenSource } from './fleet-budget.js';
export { ClusterError, type ClusterErrorCode } from './error.js';
export { clusterKeys, type ClusterKeys } from './keys.js';
export {
  basisOf,
  composeRoundRequest,
  roundAnswers,
  decodeRound,
  encodeRound,
  type RoundRecord,
  type RoundBasis,
  type Ask,
  type Registration,
} from './rounds.js';
