// Keys and roles of a root or a delegation, and go-tuf's `DB.Verify` (PROTOCOL.md §5.3): signatures to threshold,
// `_type`, minimum version, then expiry.
import { createKeyVerifier, isTufPublicKey, type KeyVerifier } from './crypto.js';
import { cannotUnmarshal, int64, isObject, signedMeta, type Envelope, type SignedMeta } from './envelope.js';
import { UptaneError } from './error.js';
import { formatGoParsedTime } from './go-time.js';

export interface Role {
  readonly keyIds: ReadonlySet<string>;
  readonly threshold: number;
}

export interface RoleDb {
  readonly verifiers: ReadonlyMap<string, KeyVerifier>;
  readonly roles: ReadonlyMap<string, Role>;
}

export interface DelegatedRole {
  readonly name: string;
  readonly terminating: boolean;
  readonly paths: readonly string[];
  readonly pathHashPrefixes: readonly string[];
}

export const TOP_LEVEL_ROLES: ReadonlySet<string> = new Set(['root', 'targets', 'snapshot', 'timestamp']);

function addKeys(keys: unknown, verifiers: Map<string, KeyVerifier>): void {
  if (keys === undefined || keys === null) return;
  if (!isObject(keys)) throw cannotUnmarshal(keys, 'map[string]*data.PublicKey', 'keys');
  for (const [id, key] of Object.entries(keys)) {
    if (!isTufPublicKey(key)) throw cannotUnmarshal(key, 'data.PublicKey', `keys.${id}`);
    // TAP-12: any key id string is accepted; signatures still de-duplicate by the computed id.
    verifiers.set(id, createKeyVerifier(key));
  }
}

function roleOf(value: unknown, name: string): Role {
  if (!isObject(value)) throw cannotUnmarshal(value, 'data.Role', `roles.${name}`);
  const keyIds = value.keyids ?? [];
  if (!Array.isArray(keyIds) || !keyIds.every((k) => typeof k === 'string')) {
    throw cannotUnmarshal(keyIds, '[]string', `roles.${name}.keyids`);
  }
  const threshold = int64(value, 'threshold');
  if (threshold < 1) throw new UptaneError('INVALID_THRESHOLD', 'tuf: invalid role threshold');
  return { keyIds: new Set(keyIds), threshold };
}

/** Keys and roles of a root `signed` (go-tuf AddKey/AddRole). */
export function dbFromRoot(signed: Readonly<Record<string, unknown>>): RoleDb {
  const verifiers = new Map<string, KeyVerifier>();
  addKeys(signed.keys, verifiers);
  const roles = new Map<string, Role>();
  const rawRoles = signed.roles;
  if (rawRoles !== undefined && rawRoles !== null) {
    if (!isObject(rawRoles)) throw cannotUnmarshal(rawRoles, 'map[string]*data.Role', 'roles');
    for (const [name, r] of Object.entries(rawRoles)) roles.set(name, roleOf(r, name));
  }
  return { verifiers, roles };
}

/** Keys and roles of a targets `delegations` block (go-tuf NewDBFromDelegations), plus the roles in order. */
export function dbFromDelegations(delegations: unknown): { db: RoleDb; roles: DelegatedRole[] } {
  const verifiers = new Map<string, KeyVerifier>();
  const roles = new Map<string, Role>();
  const ordered: DelegatedRole[] = [];
  if (delegations === undefined || delegations === null) return { db: { verifiers, roles }, roles: ordered };
  if (!isObject(delegations)) throw cannotUnmarshal(delegations, 'data.Delegations', 'delegations');
  const rawRoles = delegations.roles ?? [];
  if (!Array.isArray(rawRoles)) throw cannotUnmarshal(rawRoles, '[]data.DelegatedRole', 'delegations.roles');
  for (const r of rawRoles) {
    if (!isObject(r)) throw cannotUnmarshal(r, 'data.DelegatedRole');
    const name = r.name ?? '';
    if (typeof name !== 'string') throw cannotUnmarshal(name, 'string', 'name');
    if (TOP_LEVEL_ROLES.has(name)) throw new UptaneError('DECODE', 'tuf: invalid delegated role');
    roles.set(name, roleOf(r, name));
    ordered.push({
      name,
      terminating: r.terminating === true,
      paths: stringList(r.paths, 'paths'),
      pathHashPrefixes: stringList(r.path_hash_prefixes, 'path_hash_prefixes'),
    });
  }
  addKeys(delegations.keys, verifiers);
  return { db: { verifiers, roles }, roles: ordered };
}

function stringList(value: unknown, field: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string'))
    throw cannotUnmarshal(value, '[]string', field);
  return value;
}

// Envelopes already verified to threshold, per key database and role: unchanged documents skip the crypto.
const verifiedCache = new WeakMap<RoleDb, Map<string, WeakSet<Uint8Array>>>();

/** go-tuf `VerifySignatures`: bad signatures are skipped, each distinct key counts once. */
export function verifySignatures(env: Envelope, db: RoleDb, roleName: string): void {
  if (env.signatures.length === 0) throw new UptaneError('NO_SIGNATURES', 'tuf: data has no signatures');
  const role = db.roles.get(roleName);
  if (role === undefined) throw new UptaneError('UNKNOWN_ROLE', `tuf: unknown role ${JSON.stringify(roleName)}`);
  let perRole = verifiedCache.get(db);
  if (perRole === undefined) {
    perRole = new Map();
    verifiedCache.set(db, perRole);
  }
  let verified = perRole.get(roleName);
  if (verified === undefined) {
    verified = new WeakSet();
    perRole.set(roleName, verified);
  }
  if (verified.has(env.raw)) return;
  const seen = new Set<string>();
  for (const sig of env.signatures) {
    if (!role.keyIds.has(sig.keyid)) continue;
    const verifier = db.verifiers.get(sig.keyid);
    if (verifier === undefined || seen.has(verifier.id)) continue;
    if (!verifier.verify(env.message(), sig.sig)) continue;
    seen.add(verifier.id);
  }
  if (seen.size < role.threshold) throw new UptaneError('THRESHOLD', 'tuf: valid signatures did not meet threshold');
  verified.add(env.raw);
}

/**
 * go-tuf `DB.Verify` (with `nowMs`) or `VerifyIgnoreExpiredCheck` (nowMs undefined): signatures, `_type`
 * (top-level roles case-insensitively, delegated roles must be `targets`), `version >= minVersion`, expiry.
 */
export function verifySigned(
  env: Envelope,
  db: RoleDb,
  roleName: string,
  minVersion: number,
  nowMs: number | undefined,
): SignedMeta {
  verifySignatures(env, db, roleName);
  const meta = signedMeta(env.signed);
  const expectedType = TOP_LEVEL_ROLES.has(roleName) ? roleName : 'targets';
  if (meta.type.toLowerCase() !== expectedType) throw new UptaneError('WRONG_TYPE', 'tuf: meta file has wrong type');
  if (meta.version < minVersion) {
    throw new UptaneError('ROLLBACK', `version ${meta.version} is lower than current version ${minVersion}`);
  }
  if (nowMs !== undefined && nowMs >= meta.expires.ms) {
    throw new UptaneError('EXPIRED', `expired at ${formatGoParsedTime(meta.expires)}`);
  }
  return meta;
}
