// Errors of the backend client, the backend simulator and the local signed source. Messages follow the reference
// agent's wording (PROTOCOL.md §1, `pkg/config/remote/api/http.go`) because they travel upstream as `api: <err>`.
import { CodedError, codesOf, type CodedErrorOptions, type ErrorCodeDocs } from '../errors/index.js';

export const BACKEND_ERROR_DOCS = {
  UNAUTHORIZED: '401: the API key is wrong or lacks the Remote Config scope',
  PROXY: 'any other 4xx (the reference suspects a proxy), 429 included',
  SERVICE_UNAVAILABLE: '503',
  GATEWAY_TIMEOUT: '504',
  NON_200: 'any other non-200 status',
  TIMEOUT: 'no complete answer within `fetchTimeoutMs` (reference deviation #5)',
  NETWORK: 'connection refused, reset, TLS failure …',
  BAD_RESPONSE: 'a 200 whose body is not the expected protobuf message',
  ABORTED: "the caller's AbortSignal fired",
  INVALID_CONFIG:
    'a client refused at construction (e.g. plain http without `no_tls`) or a bad simulator/local-source setting',
} as const satisfies ErrorCodeDocs<string>;

export type BackendErrorCode = keyof typeof BACKEND_ERROR_DOCS;
export const BACKEND_ERROR_CODES = codesOf(BACKEND_ERROR_DOCS);

export const UNAUTHORIZED_MESSAGE =
  'unauthorized. Please make sure your API key is valid and has the Remote Config scope';
export const PROXY_MESSAGE =
  '4XX status code. This might be related to the proxy settings. ' +
  'Please make sure the agent can reach Remote Configuration with the proxy setup';

export class BackendError extends CodedError<BackendErrorCode> {
  override readonly name = 'BackendError';
  /** HTTP status when the backend answered, undefined otherwise. */
  readonly status: number | undefined;
  /** `Retry-After` of a 429/503 in milliseconds, when the backend sent one. */
  readonly retryAfterMs: number | undefined;

  constructor(
    code: BackendErrorCode,
    message: string,
    options?: CodedErrorOptions & { status?: number; retryAfterMs?: number },
  ) {
    super(code, message, options);
    this.status = options?.status;
    this.retryAfterMs = options?.retryAfterMs;
  }
}

/** Maps a non-200 status to the reference's error (PROTOCOL.md §1 "Errors"). */
export function statusError(status: number, retryAfterMs?: number): BackendError {
  const opts = { status, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
  if (status === 401) return new BackendError('UNAUTHORIZED', UNAUTHORIZED_MESSAGE, opts);
  if (status >= 400 && status <= 499) return new BackendError('PROXY', `${PROXY_MESSAGE}: ${status}`, opts);
  if (status === 503)
    return new BackendError('SERVICE_UNAVAILABLE', `service unavailable: non-200 response code: ${status}`, opts);
  if (status === 504)
    return new BackendError('GATEWAY_TIMEOUT', `gateway timeout: non-200 response code: ${status}`, opts);
  return new BackendError('NON_200', `non-200 response code: ${status}`, opts);
}
