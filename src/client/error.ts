// Errors of the RC client. Codes say where a poll failed; `cause` keeps the original error.
export type RcClientErrorCode =
  /** connection refused, reset, DNS… (undici rejected) */
  | 'NETWORK'
  /** no reply within `requestTimeoutMs` */
  | 'TIMEOUT'
  /** the agent answered with a non-2xx status */
  | 'HTTP_STATUS'
  /** the reply body, its base64 `targets` or a config file is not JSON */
  | 'INVALID_JSON'
  /** the reply has an unexpected shape */
  | 'INVALID_REPLY'
  /** `client_configs` names a path that `targets` does not list */
  | 'MISSING_TARGET'
  /** `client_configs` names a path with no file in `target_files` and no matching applied config */
  | 'MISSING_FILE'
  /** a config path outside `datadog/<org>/<product>/<id>/<name>` or `employee/<product>/<id>/<name>` */
  | 'INVALID_PATH'
  /** an `apply`/`modify`/`unapply` listener threw */
  | 'LISTENER'
  /** an option, setter argument or `DD_RC_*` environment variable has a value the client cannot use */
  | 'INVALID_OPTION';

export const RC_CLIENT_ERROR_CODES: readonly RcClientErrorCode[] = [
  'NETWORK',
  'TIMEOUT',
  'HTTP_STATUS',
  'INVALID_JSON',
  'INVALID_REPLY',
  'MISSING_TARGET',
  'MISSING_FILE',
  'INVALID_PATH',
  'LISTENER',
  'INVALID_OPTION',
];

export class RcClientError extends Error {
  override readonly name = 'RcClientError';
  constructor(
    readonly code: RcClientErrorCode,
    message: string,
    options?: { cause?: unknown; status?: number },
  ) {
    super(message, options);
    this.status = options?.status;
  }
  /** HTTP status for `HTTP_STATUS`. */
  readonly status: number | undefined;
}

/**
 * The `client.state.error` text dd-trace-js would report for this failure: it stores `err.toString()` of a plain
 * `Error` (or of the `SyntaxError` thrown by `JSON.parse`), PROTOCOL.md §7.
 */
export function wireErrorText(err: unknown): string {
  if (err instanceof RcClientError) {
    if ((err.code === 'INVALID_JSON' || err.code === 'INVALID_REPLY') && err.cause instanceof Error) {
      return String(err.cause);
    }
    return `Error: ${err.message}`;
  }
  return String(err);
}
