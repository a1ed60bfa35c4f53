// Errors of the gRPC transport's own set-up. Service errors become gRPC statuses in src/grpc/status.ts.
import { CodedError, codesOf, type ErrorCodeDocs } from '../errors/index.js';

export const GRPC_SETUP_ERROR_DOCS = {
  INVALID_CREDENTIALS: 'auth_token or ipc_cert.pem exists but cannot be used',
  BIND_FAILED: 'the listener could not bind',
} as const satisfies ErrorCodeDocs<string>;

export type GrpcSetupErrorCode = keyof typeof GRPC_SETUP_ERROR_DOCS;
export const GRPC_SETUP_ERROR_CODES = codesOf(GRPC_SETUP_ERROR_DOCS);

export class GrpcSetupError extends CodedError<GrpcSetupErrorCode> {
  override readonly name = 'GrpcSetupError';
}
