// Errors of the RC service. Each carries a gRPC-style code; transports map codes in exactly one place each
// (src/http/error-handler.ts, src/grpc/status.ts).

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
