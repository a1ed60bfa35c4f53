// Errors of the HTTP transport. Statuses are assigned in one place: src/http/error-handler.ts.

export type JsonDecodeErrorCode =
  /** not JSON at all (Go `*json.SyntaxError`) */
  | 'JSON_SYNTAX'
  /** valid JSON of the wrong shape for a field (Go `*json.UnmarshalTypeError`) */
  | 'JSON_TYPE'
  /** a bytes field holding a string that is not padded standard base64 (Go `base64.CorruptInputError`) */
  | 'JSON_BASE64';

export const JSON_DECODE_ERROR_CODES: readonly JsonDecodeErrorCode[] = ['JSON_SYNTAX', 'JSON_TYPE', 'JSON_BASE64'];

/** The message is the one Go's `json.Unmarshal` gives for the same input; the handler sends it back as is. */
export class JsonDecodeError extends Error {
  override readonly name = 'JsonDecodeError';
  constructor(
    readonly code: JsonDecodeErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export type HttpBodyErrorCode =
  /** more than `bodyLimitBytes` */
  | 'BODY_TOO_LARGE'
  /** the body stream failed (client gone, bad content length) */
  | 'BODY_UNREADABLE';

export const HTTP_BODY_ERROR_CODES: readonly HttpBodyErrorCode[] = ['BODY_TOO_LARGE', 'BODY_UNREADABLE'];

export class HttpBodyError extends Error {
  override readonly name = 'HttpBodyError';
  constructor(
    readonly code: HttpBodyErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
