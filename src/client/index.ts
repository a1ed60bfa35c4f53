// RC client: a tracer's side of `/v0.7/config` (PROTOCOL.md §3, §7), as a library and a tracer emulator.
export { RcClient, DEFAULT_MAX_BACKOFF_MS, DEFAULT_MAX_RETRY_AFTER_MS, DEFAULT_TRACER_VERSION } from './rc-client.js';
export { buildRequestBody, encodeCapabilities, APPLY_STATE } from './request-body.js';
export { DD_TRACE_JS_CAPABILITIES, FFE_FLAG_CONFIGURATION_RULES, splitCapabilities } from './capabilities.js';
export type { RcConfigStateEntry, RcCachedTargetFile } from './request-body.js';
export { nextPollDelay } from './schedule.js';
