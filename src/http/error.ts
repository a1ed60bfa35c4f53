// Errors of the HTTP transport. Statuses are assigned in one place: src/http/error-handler.ts.
import { CodedError, codesOf, type ErrorCodeDocs } from '../errors/index.js';

export const JSON_DECODE_ERROR_DOCS = {
  JSON_SYNTAX: 'not JSON at all (Go `*json.SyntaxError`)',
  JSON_TYPE: 'valid JSON of the wrong shape for a field (Go `*json.UnmarshalTypeError`)',
  JSON_BASE64: 'a bytes field holding a string that is not padded standard base64 (Go `base64.CorruptInputError`)',
} as const satisfies ErrorCodeDocs<string>;

export type JsonDecodeErrorCode = keyof typeof JSON_DECODE_ERROR_DOCS;
export const JSON_DECODE_ERROR_CODES = codesOf(JSON_DECODE_ERROR_DOCS);

/** The message is the one Go's `json.Unmarshal` gives for the same input; the handler sends it back as is. */
export class JsonDecodeError extends CodedError<JsonDecodeErrorCode> {
  override readonly name = 'JsonDecodeError';
}

export const HTTP_BODY_ERROR_DOCS = {
  BODY_TOO_LARGE: 'more than `bodyLimitBytes`',
  BODY_UNREADABLE: 'the body stream failed (client gone, bad content length)',
} as const satisfies ErrorCodeDocs<string>;

export type HttpBodyErrorCode = keyof typeof HTTP_BODY_ERROR_DOCS;
export const HTTP_BODY_ERROR_CODES = codesOf(HTTP_BODY_ERROR_DOCS);

export class HttpBodyError extends CodedError<HttpBodyErrorCode> {
  override readonly name = 'HttpBodyError';
}
