// Errors of the TUF/Uptane verifier. Messages reproduce the reference agent's wording (PROTOCOL.md §5.9) because
// they travel upstream in `LatestConfigsRequest.error`; the code says which check failed.
import { CodedError, codesOf, type ErrorCodeDocs } from '../errors/index.js';

export const UPTANE_ERROR_DOCS = {
  NO_SIGNATURES: 'E1: metadata with no signatures',
  UNKNOWN_ROLE: 'E2: a role the root does not define',
  THRESHOLD: 'E3: below threshold (wrong key, bad rotation, tampered signed part)',
  WRONG_TYPE: 'E4: `_type` is not the role expected',
  ROLLBACK: 'E5: a version lower than the trusted one',
  EXPIRED: 'E6: metadata past its `expires`',
  INVALID_THRESHOLD: 'E7: a role threshold below 1',
  ROOT_VERSION: 'E8: root version is not N+1',
  MISSING_METADATA: 'E9: a metadata file the update needs is absent',
  TOO_LARGE: 'E10: metadata over its size limit (timestamp 16384, root 512000 bytes)',
  WRONG_LENGTH: 'E11: metadata or target file length',
  WRONG_HASH: 'E12: a listed hash does not match',
  UNKNOWN_HASH_ALGORITHM: 'E13: a hash algorithm other than sha256/sha512',
  WRONG_VERSION: 'E14: snapshot/targets version differs from the one its parent lists',
  ROLE_DROPPED: 'E15: a targets role the previous snapshot listed is gone',
  ROLE_NOT_IN_SNAPSHOT: 'E16: a delegated role the snapshot does not list',
  MAX_DELEGATIONS: 'E17: more than 32 delegated roles searched',
  TARGET_NOT_IN_CONFIG: 'E18: a director target the config repository does not list',
  FILE_NOT_FOUND: 'E19: a target file that was never sent',
  CROSS_CHECK: 'E20–E24: director ⇔ config cross-check',
  SNAPSHOT_CUSTOM: 'E25: the config snapshot `custom` cannot be parsed',
  ORG_UUID_UNAVAILABLE: 'E26: the stored or remote org UUID cannot be obtained',
  ORG_UUID_MISMATCH: 'E27: the snapshot org UUID differs from the stored/remote one',
  ORG_ID_MISMATCH: "E28: a director path's org ID differs from the RC key's",
  CONFIG_PATH: 'E29: a director path that does not parse',
  STORE: 'E30: read-time store errors',
  DECODE: 'unparsable JSON, bad hex, bad time, invalid key or delegation',
  CORRUPT_STATE: 'a persisted state that does not re-verify',
} as const satisfies ErrorCodeDocs<string>;

export type UptaneErrorCode = keyof typeof UPTANE_ERROR_DOCS;
export const UPTANE_ERROR_CODES = codesOf(UPTANE_ERROR_DOCS);

export class UptaneError extends CodedError<UptaneErrorCode> {
  override readonly name = 'UptaneError';

  /** Prefix the message the way the reference wraps errors (`fmt.Errorf("…: %w")`), keeping code and cause. */
  wrap(prefix: string): UptaneError {
    return new UptaneError(this.code, `${prefix}: ${this.message}`, { cause: this });
  }
}

/** Wrap any thrown value as an UptaneError with `prefix` (non-Uptane errors become DECODE). */
export function wrapError(err: unknown, prefix: string): UptaneError {
  if (err instanceof UptaneError) return err.wrap(prefix);
  const message = err instanceof Error ? err.message : String(err);
  return new UptaneError('DECODE', `${prefix}: ${message}`, { cause: err });
}
