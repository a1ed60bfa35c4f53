// Errors of the repository signer.
import { CodedError, codesOf, type ErrorCodeDocs } from '../../errors/index.js';

export const SIGNER_ERROR_DOCS = {
  INVALID_PATH: 'a file path that is not an RC config path (PROTOCOL.md §4.1)',
  INVALID_STATE: 'a serialized signer that cannot be resumed',
  UNKNOWN_ROLE: 'an unknown repo or role name',
} as const satisfies ErrorCodeDocs<string>;

export type SignerErrorCode = keyof typeof SIGNER_ERROR_DOCS;
export const SIGNER_ERROR_CODES = codesOf(SIGNER_ERROR_DOCS);

export class SignerError extends CodedError<SignerErrorCode> {
  override readonly name = 'SignerError';
}
