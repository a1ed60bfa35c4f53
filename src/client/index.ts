// RC client: a tracer's side of `/v0.7/config` (PROTOCOL.md §3, §7), as a library and a tracer emulator.
export {
  RcClient,
  DEFAULT_POLL_INTERVAL_MS,
  DEFAULT_FAST_POLL_INTERVAL_MS,
  DEFAULT_FAST_LANE_INITIAL_INTERVAL_MS,
  DEFAULT_REQUEST_TIMEOUT_MS,
  DEFAULT_MAX_BACKOFF_MS,
  DEFAULT_MAX_RETRY_AFTER_MS,
  DEFAULT_FAST_LANE_PRODUCTS,
  DEFAULT_TRACER_VERSION,
} from './rc-client.js';
export { buildRequestBody, encodeCapabilities, APPLY_STATE } from './request-body.js';
export {
  DD_TRACE_JS_CAPABILITIES,
  DD_TRACE_JS_PRODUCT_CAPABILITIES,
  FFE_FLAG_CONFIGURATION_RULES,
  RC_CAPABILITY,
  decodeCapabilities,
  productCapabilities,
  splitCapabilities,
} from './capabilities.js';
export type { RcProductCapabilities, LaneCapabilities } from './capabilities.js';
export {
  ConcurrencyLimit,
  createFetchPools,
  DEFAULT_FAST_LANE_MAX_CONCURRENT,
  DEFAULT_STANDARD_MAX_CONCURRENT,
} from './fetch-pools.js';
export type { RcFetchPools, RcFetchPoolOptions, ReleaseSlot } from './fetch-pools.js';
export { clientOptionsFromEnv, resolveClientOptions, RC_CLIENT_ENV } from './options.js';
export { MAX_DELAY_MS } from './checks.js';
export type { RcClientEnv, RcClientEnvOptions } from './options.js';
export type {
  ApplyState,
  RcRequestState,
  RcTracerInfo,
  RcConfigStateEntry,
  RcCachedTargetFile,
} from './request-body.js';
export { nextPollDelay, fullJitterMs, backoffCeilingMs, parseRetryAfterMs } from './schedule.js';
export type { NextPollInput } from './schedule.js';
export { RcClientError, RC_CLIENT_ERROR_CODES } from './error.js';
export type { RcClientErrorCode } from './error.js';
export { systemClock, type Clock } from '../clock/index.js';
export type {
  RcPolicy,
  RcLaneName,
  RcAction,
  RcConfigChange,
  RcProductHandler,
  RcClientOptions,
  RcResponseEvent,
  RcScheduledEvent,
  RcClientStats,
  RcClientEvents,
} from './types.js';
