// Errors of the RC client. Codes say where a poll failed; `cause` keeps the original error.
import { CodedError, codesOf, type CodedErrorOptions, type ErrorCodeDocs } from '../errors/index.js';

export const RC_CLIENT_ERROR_DOCS = {
  NETWORK: 'connection refused, reset, DNS… (undici rejected)',
  TIMEOUT: 'no reply within `requestTimeoutMs`',
  HTTP_STATUS: 'the agent answered with a non-2xx status',
  INVALID_JSON: 'the reply body, its base64 `targets` or a config file is not JSON',
  INVALID_REPLY: 'the reply has an unexpected shape',
  MISSING_TARGET: '`client_configs` names a path that `targets` does not list',
  MISSING_FILE: '`client_configs` names a path with no file in `target_files` and no matching applied config',
  INVALID_PATH: 'a config path outside `datadog/<org>/<product>/<id>/<name>` or `employee/<product>/<id>/<name>`',
  LISTENER: 'an `apply`/`modify`/`unapply` listener threw',
  INVALID_OPTION: 'an option, setter argument or `DD_RC_*` environment variable has a value the client cannot use',
} as const satisfies ErrorCodeDocs<string>;

export type RcClientErrorCode = keyof typeof RC_CLIENT_ERROR_DOCS;
export const RC_CLIENT_ERROR_CODES = codesOf(RC_CLIENT_ERROR_DOCS);

export class RcClientError extends CodedError<RcClientErrorCode> {
  override readonly name = 'RcClientError';
  /** HTTP status for `HTTP_STATUS`. */
  readonly status: number | undefined;

  constructor(code: RcClientErrorCode, message: string, options?: CodedErrorOptions & { status?: number }) {
    super(code, message, options);
    this.status = options?.status;
  }
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
