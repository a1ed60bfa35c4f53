// Errors of the gRPC transport's own set-up. Service errors become gRPC statuses in src/grpc/status.ts.

export type GrpcSetupErrorCode =
  /** auth_token or ipc_cert.pem exists but cannot be used */
  | 'INVALID_CREDENTIALS'
  /** the listener could not bind */
  | 'BIND_FAILED';

export const GRPC_SETUP_ERROR_CODES: readonly GrpcSetupErrorCode[] = ['INVALID_CREDENTIALS', 'BIND_FAILED'];

export class GrpcSetupError extends Error {
  override readonly name = 'GrpcSetupError';
  constructor(
    readonly code: GrpcSetupErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
