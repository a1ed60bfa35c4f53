// Errors of the repository signer.

export type SignerErrorCode =
  /** a file path that is not an RC config path (PROTOCOL.md §4.1) */
  | 'INVALID_PATH'
  /** a serialized signer that cannot be resumed */
  | 'INVALID_STATE'
  /** an unknown repo or role name */
  | 'UNKNOWN_ROLE';

export const SIGNER_ERROR_CODES: readonly SignerErrorCode[] = ['INVALID_PATH', 'INVALID_STATE', 'UNKNOWN_ROLE'];

export class SignerError extends Error {
  override readonly name = 'SignerError';
  constructor(
    readonly code: SignerErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
