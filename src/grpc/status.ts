// The one place where errors become gRPC statuses (STYLE.md rule 4; PROTOCOL.md §4.3: InvalidArgument for
// validation, Unimplemented without a service, Unknown for everything else).
import { status } from '@grpc/grpc-js';
import { isInternalFailure, ServiceError, type ServiceErrorCode } from '../service/index.js';

export function grpcStatusForServiceErrorCode(code: ServiceErrorCode): status {
  switch (code) {
    case 'INVALID_ARGUMENT':
      return status.INVALID_ARGUMENT;
    case 'UNIMPLEMENTED':
      return status.UNIMPLEMENTED;
    case 'NOT_FOUND':
      return status.NOT_FOUND;
    case 'CANCELLED':
      return status.CANCELLED;
    case 'UNAVAILABLE':
      return status.UNAVAILABLE;
    case 'UNKNOWN':
      return status.UNKNOWN;
    default:
      return unreachable(code);
  }
}

function unreachable(code: never): never {
  throw new TypeError(`unmapped error code ${String(code)}`);
}

/**
 * Service errors keep their message (it is the reference's); an internal failure is not described: the client gets
 * `internal error` and, when given, the ID of the log line holding the stack.
 */
export function serviceErrorToGrpcStatus(e: unknown, errorId?: string): { code: status; details: string } {
  if (e instanceof ServiceError && !isInternalFailure(e))
    return { code: grpcStatusForServiceErrorCode(e.code), details: e.message };
  return { code: status.UNKNOWN, details: errorId === undefined ? 'internal error' : `internal error (id ${errorId})` };
}
