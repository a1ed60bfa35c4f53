export { RemoteConfigService } from './rc-service.js';
export { StateStore } from './state-store.js';
export {
  ServiceError,
  isInternalFailure,
  type ServiceErrorCode,
  type ClusterStatus,
  type RcService,
  type RequestContext,
  type StatusReport,
} from './contract.js';
export { createServiceMetrics } from './metrics.js';
export { systemClock, type Clock } from '../clock/index.js';
export { silentLogger, type Logger } from './logger.js';
export type { Lane } from './lanes.js';
export { MAX_UPSTREAM_CLIENTS } from './rc-service.js';
export type { BypassBudget } from './scheduling.js';
export { upstreamIdentityFromConfig } from './latest-configs-request.js';
export { base64OfBytes, grpcBytesOfFrozenReply, httpBodyOfFrozenReply } from './frozen-caches.js';
export { DecodedRequestCache, deepFreeze } from './request-cache.js';
