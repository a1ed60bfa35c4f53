// Errors of the TUF/Uptane verifier. Messages reproduce the reference agent's wording (PROTOCOL.md §5.9) because
// they travel upstream in `LatestConfigsRequest.error`; the code says which check failed.

export type UptaneErrorCode =
  /** E1 */
  | 'NO_SIGNATURES'
  /** E2 */
  | 'UNKNOWN_ROLE'
  /** E3: below threshold (wrong key, bad rotation, tampered signed part) */
  | 'THRESHOLD'
  /** E4 */
  | 'WRONG_TYPE'
  /** E5 */
  | 'ROLLBACK'
  /** E6 */
  | 'EXPIRED'
  /** E7 */
  | 'INVALID_THRESHOLD'
  /** E8: root version is not N+1 */
  | 'ROOT_VERSION'
  /** E9 */
  | 'MISSING_METADATA'
  /** E10 */
  | 'TOO_LARGE'
  /** E11: metadata or target file length */
  | 'WRONG_LENGTH'
  /** E12 */
  | 'WRONG_HASH'
  /** E13 */
  | 'UNKNOWN_HASH_ALGORITHM'
  /** E14: snapshot/targets version differs from the one its parent lists */
  | 'WRONG_VERSION'
  /** E15 */
  | 'ROLE_DROPPED'
  /** E16 */
  | 'ROLE_NOT_IN_SNAPSHOT'
  /** E17 */
  | 'MAX_DELEGATIONS'
  /** E18 */
  | 'TARGET_NOT_IN_CONFIG'
  /** E19 */
  | 'FILE_NOT_FOUND'
  /** E20–E24: director ⇔ config cross-check */
  | 'CROSS_CHECK'
  /** E25 */
  | 'SNAPSHOT_CUSTOM'
  /** E26 */
  | 'ORG_UUID_UNAVAILABLE'
  /** E27 */
  | 'ORG_UUID_MISMATCH'
  /** E28 */
  | 'ORG_ID_MISMATCH'
  /** E29 */
  | 'CONFIG_PATH'
  /** E30: read-time store errors */
  | 'STORE'
  /** unparsable JSON, bad hex, bad time, invalid key or delegation */
  | 'DECODE'
  /** a persisted state that does not re-verify */
  | 'CORRUPT_STATE';

export const UPTANE_ERROR_CODES: readonly UptaneErrorCode[] = [
  'NO_SIGNATURES',
  'UNKNOWN_ROLE',
  'THRESHOLD',
  'WRONG_TYPE',
  'ROLLBACK',
  'EXPIRED',
  'INVALID_THRESHOLD',
  'ROOT_VERSION',
  'MISSING_METADATA',
  'TOO_LARGE',
  'WRONG_LENGTH',
  'WRONG_HASH',
  'UNKNOWN_HASH_ALGORITHM',
  'WRONG_VERSION',
  'ROLE_DROPPED',
  'ROLE_NOT_IN_SNAPSHOT',
  'MAX_DELEGATIONS',
  'TARGET_NOT_IN_CONFIG',
  'FILE_NOT_FOUND',
  'CROSS_CHECK',
  'SNAPSHOT_CUSTOM',
  'ORG_UUID_UNAVAILABLE',
  'ORG_UUID_MISMATCH',
  'ORG_ID_MISMATCH',
  'CONFIG_PATH',
  'STORE',
  'DECODE',
  'CORRUPT_STATE',
];

export class UptaneError extends Error {
  override readonly name = 'UptaneError';
  constructor(
    readonly code: UptaneErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

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
