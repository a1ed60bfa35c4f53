// Target lookup in the config repository through delegated roles (go-tuf `getTargetFileMeta`, TUF 5.6.7,
// PROTOCOL.md §5.5 F2): pre-order DFS from top-level targets over at most 32 roles.
import { sha256Hex } from './crypto.js';
import { metaMapOf, type FileMeta } from './envelope.js';
import { UptaneError, wrapError } from './error.js';
import { localMatches } from './file-meta.js';
import { pathMatch } from './path-match.js';
import { download, type RemoteRepo } from './repo-update.js';
import { verifySigned, type DelegatedRole, type RoleDb } from './role-db.js';
import type { TargetMeta, VerifiedMeta } from './types.js';
import { delegationsOf, envelopeOf, rootDbOf, targetsOf, toVerifiedMeta } from './verified-meta.js';

export const MAX_DELEGATIONS = 32;

export interface ConfigView {
  readonly root: VerifiedMeta;
  readonly snapshot: VerifiedMeta | undefined;
  readonly targets: VerifiedMeta | undefined;
  /** delegated documents already in the local store */
  readonly delegated: ReadonlyMap<string, VerifiedMeta>;
}

export interface LookupResult {
  /** config-repo target meta per requested path */
  readonly found: ReadonlyMap<string, TargetMeta>;
  /** delegated roles loaded on the way, in visit order */
  readonly visited: ReadonlyMap<string, VerifiedMeta>;
}

interface Pending {
  readonly role: DelegatedRole;
  readonly db: RoleDb;
}

/** Find every path in the config repo; NotFound becomes E18 (`failed to find target in config repository: …`). */
export function lookupConfigTargets(
  paths: readonly string[],
  config: ConfigView,
  remote: RemoteRepo,
  nowMs: number,
): LookupResult {
  const rootDb = rootDbOf(config.root);
  // The local snapshot is reloaded with expiry (go-tuf `loadLocalSnapshot`).
  if (config.snapshot === undefined) throw new UptaneError('MISSING_METADATA', 'tuf: no snapshot stored locally');
  try {
    verifySigned(envelopeOf(config.snapshot), rootDb, 'snapshot', 0, nowMs);
  } catch (err) {
    throw wrapError(err, 'tuf: failed to decode snapshot.json');
  }
  const snapshotFiles = metaMapOf(config.snapshot.signed);
  const snapshotVersion = config.snapshot.version;
  const visited = new Map<string, VerifiedMeta>();
  const loaded = new Map<string, VerifiedMeta>();

  const load = (name: string, db: RoleDb): VerifiedMeta => {
    const cacheKey = `${name}\u0000${name === 'targets' ? '' : dbKey(db)}`;
    const cached = loaded.get(cacheKey);
    if (cached !== undefined) return cached;
    const fileName = `${name}.json`;
    const fileMeta = snapshotFiles.get(fileName);
    if (fileMeta === undefined)
      throw new UptaneError('ROLE_NOT_IN_SNAPSHOT', `tuf: role ${name} not in snapshot version ${snapshotVersion}`);
    const doc = loadRole(name, fileName, fileMeta, db, config, remote, nowMs);
    loaded.set(cacheKey, doc);
    if (name !== 'targets') visited.set(name, doc);
    return doc;
  };

  const found = new Map<string, TargetMeta>();
  for (const path of paths) {
    const top: Pending = { role: { name: 'targets', terminating: false, paths: [], pathHashPrefixes: [] }, db: rootDb };
    const stack: Pending[] = [top];
    const seen = new Set<string>();
    let meta: TargetMeta | undefined;
    let exhausted = false;
    for (let i = 0; i < MAX_DELEGATIONS; i++) {
      let next: Pending | undefined;
      // 5.6.7.1: skip visited roles (cycles).
      while ((next = stack.pop()) !== undefined && seen.has(next.role.name));
      if (next === undefined) {
        exhausted = true;
        break;
      }
      seen.add(next.role.name);
      // 5.6.7.2: a terminating role is the last one searched.
      if (next.role.terminating) stack.length = 0;
      const doc = load(next.role.name, next.db);
      meta = targetsOf(doc).get(path);
      if (meta !== undefined) break;
      const { db, roles } = delegationsOf(doc);
      for (let r = roles.length - 1; r >= 0; r--) {
        const role = roles[r]!;
        if (matchesPath(role, path)) stack.push({ role, db });
      }
    }
    if (meta === undefined) {
      if (exhausted) {
        throw new UptaneError(
          'TARGET_NOT_IN_CONFIG',
          `failed to find target in config repository: tuf: file not found: ${path}`,
        );
      }
      throw new UptaneError(
        'MAX_DELEGATIONS',
        `tuf: max delegation of ${MAX_DELEGATIONS} reached searching for ${path} with snapshot version ${snapshotVersion}`,
      );
    }
    found.set(path, meta);
  }
  return { found, visited };
}

function loadRole(
  name: string,
  fileName: string,
  fileMeta: FileMeta,
  db: RoleDb,
  config: ConfigView,
  remote: RemoteRepo,
  nowMs: number,
): VerifiedMeta {
  // 5.6.1/5.6.2/5.6.4: use the local copy if it matches the snapshot entry, else download with length/hash/version checks.
  const local = name === 'targets' ? config.targets : config.delegated.get(name);
  const env =
    local !== undefined && localMatches(local.raw, local.version, fileMeta)
      ? envelopeOf(local)
      : download(
          fileName,
          name === 'targets' ? remote.targets.get(fileMeta.version) : remote.delegated.get(name)?.get(fileMeta.version),
          fileMeta,
        );
  try {
    // 5.6.3/5.6.5: the delegator's keys and threshold, `_type` targets, version, expiry.
    const meta = verifySigned(env, db, name, fileMeta.version, nowMs);
    const doc = local !== undefined && env.raw === local.raw ? local : toVerifiedMeta(env, meta);
    targetsOf(doc);
    return doc;
  } catch (err) {
    throw wrapError(err, `tuf: failed to decode ${fileName}`);
  }
}

function matchesPath(role: DelegatedRole, path: string): boolean {
  if (role.paths.length > 0 && role.pathHashPrefixes.length > 0) {
    throw new UptaneError('DECODE', 'tuf: paths and path_hash_prefixes are both set');
  }
  if (role.paths.some((p) => pathMatch(p, path))) return true;
  if (role.pathHashPrefixes.length === 0) return false;
  const digest = sha256Hex(Buffer.from(path, 'utf8'));
  return role.pathHashPrefixes.some((prefix) => digest.startsWith(prefix));
}

const dbIds = new WeakMap<RoleDb, number>();
let nextDbId = 0;
function dbKey(db: RoleDb): number {
  let id = dbIds.get(db);
  if (id === undefined) {
    id = ++nextDbId;
    dbIds.set(db, id);
  }
  return id;
}
