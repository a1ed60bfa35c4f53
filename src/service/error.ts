// Errors of the RC service. Each carries a gRPC-style code; transports map codes in exactly one place each
// (src/http/error-handler.ts, src/grpc/status.ts).
import { CodedError, codesOf, type ErrorCodeDocs } from '../errors/index.js';
import { UptaneError } from '../uptane/index.js';

export const SERVICE_ERROR_DOCS = {
  INVALID_ARGUMENT: 'request validation (PROTOCOL.md §4.1)',
  UNIMPLEMENTED: 'remote configuration disabled / not initialised',
  NOT_FOUND: 'a requested item does not exist (mapped by both transports; the service raises none today)',
  CANCELLED: 'the caller went away',
  UNAVAILABLE: 'the service is stopping',
  UNKNOWN: 'everything else: TUF/store errors, semver errors, bad cached hashes',
} as const satisfies ErrorCodeDocs<string>;

export type ServiceErrorCode = keyof typeof SERVICE_ERROR_DOCS;
export const SERVICE_ERROR_CODES = codesOf(SERVICE_ERROR_DOCS);

export class ServiceError extends CodedError<ServiceErrorCode> {
  override readonly name = 'ServiceError';
}

export function invalidArgument(message: string): ServiceError {
  return new ServiceError('INVALID_ARGUMENT', message);
}

/**
 * True for a failure whose message must not reach a client: anything that is not a ServiceError, or an UNKNOWN
 * wrapping an unexpected exception (a bug, a store or system error) rather than a verification outcome. Transports
 * answer these with a generic message and an ID, and log them with their stack.
 */
export function isInternalFailure(e: unknown): boolean {
  if (!(e instanceof ServiceError)) return true;
  if (e.code !== 'UNKNOWN' || e.cause === undefined) return false;
  return !(e.cause instanceof UptaneError || e.cause instanceof ServiceError);
}
