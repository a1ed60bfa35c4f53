// Public surface of the pure TUF/Uptane verifier (PROTOCOL.md §5). No I/O; time is always passed in.
export type { TrustedState, TufVersions, PersistedState } from './types.js';
export { UptaneError } from './error.js';
export { verifyUpdate } from './verify-update.js';
export { verifyOrg } from './org.js';
export { createTrustedState, exportState, restoreState, tufVersions, verifyAtRead } from './trusted-state.js';
export { canonicalBytes, keyId, sha256Hex, type TufPublicKey } from './crypto.js';
export { formatRfc3339Seconds } from './go-time.js';
export { parseConfigPath } from './config-path.js';
