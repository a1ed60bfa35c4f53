// The HTTP transport: /v0.7/config with the Go encoding/json contract (PROTOCOL.md §3), /info, health, status,
// metrics.
export { buildHttpApp, CONFIG_PATH, DEFAULT_BODY_LIMIT_BYTES, DEFAULT_KEEP_ALIVE_TIMEOUT_MS } from './app.js';
export type { HttpAppOptions, MetricsSource } from './app.js';
export { FALLBACK_LISTEN_BACKLOG, httpListenOptions, kernelMaxListenBacklog } from './listen-options.js';
export type { HttpListenOptions } from './listen-options.js';
export type { RequestDoneInfo } from './config-route.js';
export { containerIdFromHeaders } from './config-route.js';
export { decodeClientGetConfigsRequest } from './decode-request.js';
export { encodeClientGetConfigsResponse, encodeClientGetConfigsResponseBytes } from './encode-response.js';
export { HttpBodyError, JsonDecodeError, HTTP_BODY_ERROR_CODES, JSON_DECODE_ERROR_CODES } from './error.js';
export type { HttpBodyErrorCode, JsonDecodeErrorCode } from './error.js';
export {
  httpStatusForBodyError,
  httpStatusForDecodeError,
  httpStatusForServiceError,
  toHttpFailure,
} from './error-handler.js';
export type { HttpFailure } from './error-handler.js';
export { goJsonString } from './go-json-string.js';
export { DecodedRequestCache } from './request-cache.js';
export { normalizeService, normalizeTag } from './normalize.js';
export {
  createContainerTagSource,
  ContainerTagsError,
  type ContainerTagSource,
  type ContainerTagSourceOptions,
  type ContainerTagsErrorCode,
} from './container-tags.js';
