// Public surface of the pure TUF/Uptane verifier (PROTOCOL.md §5). No I/O; time is always passed in.
export type {
  TrustedState,
  VerifiedMeta,
  TargetMeta,
  RepoState,
  ConfigRepoState,
  TufVersions,
  PersistedState,
  PersistedRepo,
  ReadExpiry,
} from './types.js';
export { UptaneError, UPTANE_ERROR_CODES, type UptaneErrorCode } from './error.js';
export { verifyUpdate, configMetasUpdateSummary, trimHashTargetPath } from './verify-update.js';
export { verifyOrg, type OrgCheck } from './org.js';
export {
  createTrustedState,
  exportState,
  isDirectorTimestampExpired,
  restoreState,
  tufVersions,
  verifyAtRead,
} from './trusted-state.js';
export { canonicalBytes, keyId, sha256Hex, sha512Hex, type TufPublicKey } from './crypto.js';
export { formatGoTime, formatRfc3339Seconds, parseRfc3339 } from './go-time.js';
export { parseConfigPath, type ConfigPath } from './config-path.js';
