// One repository's TUF update (go-tuf `Client.Update`, PROTOCOL.md §5.5 C1–C8): root rotation, timestamp,
// snapshot, top-level targets. Pure: the "remote store" is what the response carried.
import { metaMapOf, parseEnvelope, signedMeta, type Envelope, type FileMeta } from './envelope.js';
import { UptaneError, wrapError } from './error.js';
import { bytesMatchLenAndHashes, localMatches } from './file-meta.js';
import { formatGoParsedTime } from './go-time.js';
import { dbFromRoot, verifySignatures, verifySigned, type RoleDb } from './role-db.js';
import type { RepoState, VerifiedMeta } from './types.js';
import { envelopeOf, rootDbOf, toVerifiedMeta } from './verified-meta.js';

export const MAX_ROOT_ROTATIONS = 1000;
export const MAX_ROOT_BYTES = 512_000;
export const MAX_TIMESTAMP_BYTES = 16_384;

/** The remote store of one repository: role → proto version → raw (PROTOCOL.md §5.4). */
export interface RemoteRepo {
  readonly roots: ReadonlyMap<number, Uint8Array>;
  /** the latest timestamp (`timestamp.json`) */
  readonly timestamp: Uint8Array | undefined;
  readonly snapshot: ReadonlyMap<number, Uint8Array>;
  readonly targets: ReadonlyMap<number, Uint8Array>;
  /** config repo only: delegated role → version → raw */
  readonly delegated: ReadonlyMap<string, ReadonlyMap<number, Uint8Array>>;
}

export interface RepoUpdate {
  readonly roots: ReadonlyMap<number, Uint8Array>;
  readonly root: VerifiedMeta;
  readonly timestamp: VerifiedMeta | undefined;
  readonly snapshot: VerifiedMeta | undefined;
  readonly targets: VerifiedMeta | undefined;
  /** false when no root arrived and the timestamp version was unchanged (the update stopped early) */
  readonly changed: boolean;
}

interface LocalMetas {
  timestamp: VerifiedMeta | undefined;
  snapshot: VerifiedMeta | undefined;
  targets: VerifiedMeta | undefined;
}

export function updateRepo(trusted: RepoState, remote: RemoteRepo, nowMs: number): RepoUpdate {
  const { root, roots, rotated } = rotateRoots(trusted, remote);
  const rootDb = rootDbOf(root);
  // 5.3.10 (C3): check for a freeze attack on the final root only; expiry wrapped as go-tuf Update does.
  const rootMeta = verifySigned(envelopeOf(root), rootDb, 'root', 0, undefined);
  if (nowMs >= rootMeta.expires.ms) {
    throw new UptaneError(
      'EXPIRED',
      `tuf: failed to decode root.json: expired at ${formatGoParsedTime(rootMeta.expires)}`,
    );
  }

  const local: LocalMetas = { timestamp: trusted.timestamp, snapshot: trusted.snapshot, targets: trusted.targets };
  if (rotated) {
    fastForwardRecovery(rootDbOf(trusted.root), rootDb, local);
    // C5: local metadata that the new root's keys no longer sign is ignored.
    for (const role of ['timestamp', 'snapshot', 'targets'] as const) {
      const doc = local[role];
      if (doc === undefined) continue;
      try {
        verifySignatures(envelopeOf(doc), rootDb, role);
      } catch {
        local[role] = undefined;
      }
    }
  }
  const tsVer = local.timestamp?.version ?? 0;
  const snapVer = local.snapshot?.version ?? 0;
  const tgtVer = local.targets?.version ?? 0;

  // C6: timestamp (5.4).
  const tsRaw = remote.timestamp;
  if (tsRaw === undefined) throw new UptaneError('MISSING_METADATA', 'tuf: missing remote metadata timestamp.json');
  if (tsRaw.length > MAX_TIMESTAMP_BYTES) {
    throw new UptaneError(
      'TOO_LARGE',
      `tuf: timestamp.json size ${tsRaw.length} bytes greater than maximum ${MAX_TIMESTAMP_BYTES} bytes`,
    );
  }
  let timestamp: VerifiedMeta;
  let snapshotMeta: FileMeta;
  try {
    // 5.4.2–5.4.4: signatures, type, rollback (version >= trusted), freeze (expiry), even for an unchanged version.
    const env = parseEnvelope(tsRaw);
    const meta = verifySigned(env, rootDb, 'timestamp', tsVer, nowMs);
    snapshotMeta = metaMapOf(env.signed).get('snapshot.json') ?? { version: 0, length: 0, hashes: {} };
    timestamp = meta.version === tsVer && local.timestamp !== undefined ? local.timestamp : toVerifiedMeta(env, meta);
    if (meta.version === tsVer) {
      // 5.4.3.1: same version, nothing to update; a new snapshot or targets beside it is ignored.
      return { roots, root, ...local, changed: rotated };
    }
  } catch (err) {
    throw wrapError(err, 'tuf: failed to decode timestamp.json');
  }
  // 5.4.3.2: snapshot rollback.
  if (snapshotMeta.version < snapVer) {
    throw new UptaneError('ROLLBACK', `version ${snapshotMeta.version} is lower than current version ${snapVer}`);
  }

  // C7: snapshot (5.5).
  const snapEnv = download('snapshot.json', remote.snapshot.get(snapshotMeta.version), snapshotMeta);
  let snapshot: VerifiedMeta;
  let snapshotFiles: Map<string, FileMeta>;
  try {
    const meta = verifySigned(snapEnv, rootDb, 'snapshot', snapshotMeta.version, nowMs);
    snapshotFiles = metaMapOf(snapEnv.signed);
    snapshot = toVerifiedMeta(snapEnv, meta);
  } catch (err) {
    throw wrapError(err, 'tuf: failed to decode snapshot.json');
  }
  const targetsMeta = snapshotFiles.get('targets.json') ?? { version: 0, length: 0, hashes: {} };
  // 5.5.5: top-level targets rollback, then every previously listed role still listed at no lower version.
  if (targetsMeta.version < tgtVer) {
    throw new UptaneError('ROLLBACK', `version ${targetsMeta.version} is lower than current version ${tgtVer}`);
  }
  if (local.snapshot !== undefined) {
    for (const [name, old] of metaMapOf(envelopeOf(local.snapshot).signed)) {
      const now = snapshotFiles.get(name);
      if (now === undefined)
        throw new UptaneError('ROLE_DROPPED', 'tuf: missing previously listed targets metadata file');
      if (now.version < old.version)
        throw new UptaneError('ROLLBACK', `version ${now.version} is lower than current version ${old.version}`);
    }
  }

  // C8: top-level targets (5.6), kept when the local copy still matches the snapshot entry.
  let targets = local.targets;
  if (targets === undefined || !localMatches(targets.raw, targets.version, targetsMeta)) {
    const env = download('targets.json', remote.targets.get(targetsMeta.version), targetsMeta);
    try {
      targets = toVerifiedMeta(env, verifySigned(env, rootDb, 'targets', targetsMeta.version, nowMs));
    } catch (err) {
      throw wrapError(err, 'tuf: failed to decode targets.json');
    }
  }
  return { roots, root, timestamp, snapshot, targets, changed: true };
}

/** C2 (5.3): walk `<N+1>.root.json` while present; each signed by N's keys and its own, version exactly N+1. */
function rotateRoots(
  trusted: RepoState,
  remote: RemoteRepo,
): { root: VerifiedMeta; roots: ReadonlyMap<number, Uint8Array>; rotated: boolean } {
  let root = trusted.root;
  let rootDb: RoleDb = rootDbOf(root);
  let roots: Map<number, Uint8Array> | undefined;
  for (let i = 0; i < MAX_ROOT_ROTATIONS; i++) {
    const next = root.version + 1;
    const raw = remote.roots.get(next);
    if (raw === undefined) break;
    if (raw.length > MAX_ROOT_BYTES) {
      throw new UptaneError(
        'TOO_LARGE',
        `tuf: ${next}.root.json size ${raw.length} bytes greater than maximum ${MAX_ROOT_BYTES} bytes`,
      );
    }
    const env = parseEnvelope(raw);
    // 5.3.4: N signs N+1, then N+1 signs itself; expiry of intermediate roots does not matter (5.3.6).
    verifySignatures(env, rootDb, 'root');
    const nextDb = dbFromRoot(env.signed);
    verifySignatures(env, nextDb, 'root');
    const meta = signedMeta(env.signed);
    // 5.3.5: rollback of the root version.
    if (meta.version !== next)
      throw new UptaneError('ROOT_VERSION', `version ${meta.version} does not match the expected version ${next}`);
    root = toVerifiedMeta(env, meta);
    rootDb = nextDb;
    roots ??= new Map(trusted.roots);
    roots.set(next, raw);
  }
  return { root, roots: roots ?? trusted.roots, rotated: roots !== undefined };
}

/** 5.3.11: a threshold of a role's old keys revoked → forget the metadata it vouched for. */
function fastForwardRecovery(oldDb: RoleDb, newDb: RoleDb, local: LocalMetas): void {
  const revoked = (role: string): boolean => {
    const before = oldDb.roles.get(role);
    const after = newDb.roles.get(role);
    if (before === undefined) return false;
    let removed = 0;
    for (const id of before.keyIds) if (after?.keyIds.has(id) !== true) removed++;
    return removed >= before.threshold;
  };
  if (revoked('timestamp')) local.timestamp = undefined;
  if (revoked('snapshot')) {
    local.timestamp = undefined;
    local.snapshot = undefined;
  }
  if (revoked('targets')) {
    local.snapshot = undefined;
    local.targets = undefined;
  }
}

/** go-tuf `downloadMetaFrom{Timestamp,Snapshot}`: presence (E9), size (E11), hashes (E12/E13), version (E14). */
export function download(name: string, raw: Uint8Array | undefined, expected: FileMeta): Envelope {
  if (raw === undefined) throw new UptaneError('MISSING_METADATA', `tuf: missing remote metadata ${name}`);
  if (expected.length !== 0 && raw.length !== expected.length) {
    throw new UptaneError(
      'WRONG_LENGTH',
      `tuf: unexpected file size: ${name} (expected ${expected.length} bytes, got ${raw.length} bytes)`,
    );
  }
  try {
    bytesMatchLenAndHashes(raw, expected.length, expected.hashes);
  } catch (err) {
    throw wrapError(err, `tuf: failed to download ${name}`);
  }
  const env = parseEnvelope(raw);
  const version = signedMeta(env.signed).version;
  if (version !== expected.version) {
    throw new UptaneError(
      'WRONG_VERSION',
      `tuf: failed to download ${name}: wrong version, expected ${expected.version} got ${version}`,
    );
  }
  return env;
}
