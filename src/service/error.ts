// Errors of the RC service. Each carries a gRPC-style code; transports map codes in exactly one place each
// (src/http/error-handler.ts, src/grpc/status.ts).
import { UptaneError } from '../uptane/index.js';

export type ServiceErrorCode =
  /** request validation (PROTOCOL.md §4.1) */
  | 'INVALID_ARGUMENT'
  /** remote configuration disabled / not initialised */
  | 'UNIMPLEMENTED'
  | 'NOT_FOUND'
  /** the caller went away */
  | 'CANCELLED'
  /** the service is stopping */
  | 'UNAVAILABLE'
  /** everything else: TUF/store errors, semver errors, bad cached hashes */
  | 'UNKNOWN';

export const SERVICE_ERROR_CODES: readonly ServiceErrorCode[] = [
  'INVALID_ARGUMENT',
  'UNIMPLEMENTED',
  'NOT_FOUND',
  'CANCELLED',
  'UNAVAILABLE',
  'UNKNOWN',
];

export class ServiceError extends Error {
  override readonly name = 'ServiceError';
  constructor(
    readonly code: ServiceErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
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
