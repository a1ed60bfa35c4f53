export { RemoteConfigService, STANDARD_BLOCK_TTL_MS, type RemoteConfigServiceOptions } from './rc-service.js';
export { StateStore, type StoreIdentity, type StoreOpenResult } from './state-store.js';
export {
  ServiceError,
  isInternalFailure,
  type ServiceErrorCode,
  type ClusterStatus,
  type RcService,
  type RequestContext,
  type StatusReport,
  type Transport,
} from './contract.js';
export { SERVICE_ERROR_CODES, invalidArgument } from './error.js';
export { createServiceMetrics, type ServiceMetrics } from './metrics.js';
export { systemClock, sleep, type Clock } from './clock.js';
export { silentLogger, type Logger } from './logger.js';
export { createLaneClassifier, LANES, type Lane } from './lanes.js';
export { validateRequest, MAX_CLIENT_PRODUCTS } from './validate.js';
export { MIN_REFRESH_SPACING_MS, FAST_LANE_OUTAGE_RETRY_MS, type RefreshReason } from './refresher.js';
export { MAX_UPSTREAM_CLIENTS } from './rc-service.js';
export { FRESHNESS_WINDOW_MS, MAX_HOLD_MS } from './fast-lane-policy.js';
export { LEGACY_BLOCK_TTL_MS } from './legacy-policy.js';
export type { Snapshot, SnapshotTarget } from './snapshot.js';
export { BYPASS_OUTCOMES, type BypassOutcome, type BypassBudget } from './scheduling.js';
export {
  buildLatestConfigsRequest,
  upstreamIdentityFromConfig,
  type UpstreamIdentity,
  type LatestConfigsRequestInput,
} from './latest-configs-request.js';
export { compilePredicates, matchesPredicates, type CompiledPredicate } from './predicates.js';
export { cachedFileIsCurrent, isTargetLive } from './selection.js';
export { ClientTracker } from './client-tracker.js';
