// Attack modes of the backend simulator: each turns the honest answer into one the agent must reject
// (PROTOCOL.md §5.8 step 9, §5.9). Documents are re-signed through the signer's `signRaw`, so every attack is
// well-formed and fails only on the property it targets.
import { createHash } from 'node:crypto';
import type { IFile, ILatestConfigsRequest, ILatestConfigsResponse, ITopMeta } from '../proto/index.js';
import type { RepositorySigner } from './signer/index.js';
import type { AttackMode } from './types.js';

type Json = Record<string, unknown>;
type Repo = 'config' | 'director';

/** The org UUID claimed by the `org-uuid-mismatch` config snapshot. */
export const FOREIGN_ORG_UUID = '00000000-0000-4000-8000-00000000dead';

export function applyAttack(
  attack: Exclude<AttackMode, 'none'>,
  signer: RepositorySigner,
  req: ILatestConfigsRequest,
  honest: ILatestConfigsResponse,
  nowMs: number,
): ILatestConfigsResponse {
  // Attacks work on a full answer (every meta and file for the request's products), so they hit an agent at any
  // version; the roots stay those the honest answer carries.
  const full = signer.latestConfigs({ ...req, currentConfigSnapshotVersion: 0, hasError: true });
  const base: ILatestConfigsResponse = {
    configMetas: { ...full.configMetas, roots: honest.configMetas?.roots ?? [] },
    directorMetas: { ...full.directorMetas, roots: honest.directorMetas?.roots ?? [] },
    targetFiles: full.targetFiles ?? [],
  };
  switch (attack) {
    case 'tampered-file':
      // [E11] length differs from the director's and the config repo's
      return withFile(base, (raw) => concat(raw, Buffer.from(' ')));
    case 'tampered-file-same-length':
      // [E12] same length, wrong hash
      return withFile(base, flipLastByte);
    case 'rollback':
      // [E5] fresh timestamp and snapshot listing a director targets older than the agent's, validly signed
      return newDirectorGeneration(base, signer, (targets) => {
        targets.version = Math.max(0, versionOf(targets) - 2);
      });
    case 'expired-timestamp':
      // [E6] same version, expired an hour ago
      return withDirectorTimestamp(base, signer, (signed) => {
        signed.expires = rfc3339(nowMs - 3_600_000);
      });
    case 'wrong-key':
      // [E3] a new director targets signed by a key the director root does not list
      return newDirectorGeneration(base, signer, () => undefined, { wrongKey: true });
    case 'director-config-mismatch':
      // [E24] the director lists other bytes (same length) than the config repo for one target
      return directorConfigMismatch(base, signer);
    case 'org-uuid-mismatch':
      // [E27] a config snapshot bound to another org; caught by the org check (verifyOrg)
      return newConfigSnapshot(base, signer, (signed) => {
        signed.custom = { ...asJson(signed.custom), org_uuid: FOREIGN_ORG_UUID };
      });
    case 'org-id-mismatch':
      // [E28] another org's configs, consistent in both repos: only the RC key's org-ID check catches them
      return orgIdMismatch(base, signer, foreignOrgId(signer.orgId));
  }
}

/** The org ID of the `org-id-mismatch` paths: the next one after the simulator's. */
export function foreignOrgId(orgId: number): number {
  return orgId + 1;
}

/** Moves every `datadog/<org>/…` target to `datadog/<foreign>/…` in the director, the config repo and the files. */
function orgIdMismatch(res: ILatestConfigsResponse, signer: RepositorySigner, foreign: number): ILatestConfigsResponse {
  const move = (path: string): string => path.replace(/^datadog\/\d+\//, `datadog/${foreign}/`);
  const moveKeys = (signed: Json): void => {
    signed.targets = Object.fromEntries(Object.entries(asJson(signed.targets)).map(([k, v]) => [move(k), v]));
  };
  const metas = res.configMetas;
  const delegated = (metas?.delegatedTargets ?? []).map((d) => {
    const signed = signedOf(d.raw ?? new Uint8Array());
    signed.version = versionOf(signed) + 1;
    moveKeys(signed);
    const role = d.role ?? '';
    return { role, version: versionOf(signed), raw: signer.signRaw('config', role, signed) };
  });
  const withConfig = newConfigSnapshot(res, signer, (snap) => {
    for (const d of delegated) setMetaEntry(snap, `${d.role}.json`, d.raw, d.version);
  });
  const out = newDirectorGeneration(withConfig, signer, moveKeys);
  return {
    ...out,
    configMetas: { ...out.configMetas, delegatedTargets: delegated },
    targetFiles: (res.targetFiles ?? []).map((f) => ({ path: move(f.path ?? ''), raw: f.raw })),
  };
}

function withFile(res: ILatestConfigsResponse, tamper: (raw: Uint8Array) => Uint8Array): ILatestConfigsResponse {
  const files = res.targetFiles ?? [];
  const victim = files[0];
  if (victim === undefined) return res; // nothing to tamper with for these products
  return {
    ...res,
    targetFiles: [{ path: victim.path ?? '', raw: tamper(victim.raw ?? new Uint8Array()) }, ...files.slice(1)],
  };
}

function withDirectorTimestamp(
  res: ILatestConfigsResponse,
  signer: RepositorySigner,
  mutate: (signed: Json) => void,
): ILatestConfigsResponse {
  const ts = res.directorMetas?.timestamp;
  if (!ts?.raw) return res;
  const signed = signedOf(ts.raw);
  mutate(signed);
  return {
    ...res,
    directorMetas: {
      ...res.directorMetas,
      timestamp: topMeta(signer.signRaw('director', 'timestamp', signed), signed),
    },
  };
}

/**
 * Re-signs director targets (after `mutate`), snapshot and timestamp with versions one above the current ones,
 * so the agent cannot stop at "same timestamp version" and must read the new targets.
 */
function newDirectorGeneration(
  res: ILatestConfigsResponse,
  signer: RepositorySigner,
  mutate: (targets: Json) => void,
  targetsOpts?: { wrongKey?: boolean },
): ILatestConfigsResponse {
  const metas = res.directorMetas;
  if (!metas?.targets?.raw || !metas.snapshot?.raw || !metas.timestamp?.raw) return res;
  const targets = signedOf(metas.targets.raw);
  targets.version = versionOf(targets) + 1;
  mutate(targets);
  const targetsRaw = signer.signRaw('director', 'targets', targets, targetsOpts);
  const { snapshot, snapshotRaw, timestamp, timestampRaw } = resignSnapshotAndTimestamp(
    signer,
    'director',
    metas.snapshot.raw,
    metas.timestamp.raw,
    (snap) => {
      setMetaEntry(snap, 'targets.json', targetsRaw, versionOf(targets));
    },
  );
  return {
    ...res,
    directorMetas: {
      ...metas,
      targets: topMeta(targetsRaw, targets),
      snapshot: topMeta(snapshotRaw, snapshot),
      timestamp: topMeta(timestampRaw, timestamp),
    },
  };
}

function newConfigSnapshot(
  res: ILatestConfigsResponse,
  signer: RepositorySigner,
  mutate: (snapshot: Json) => void,
): ILatestConfigsResponse {
  const metas = res.configMetas;
  if (!metas?.snapshot?.raw || !metas.timestamp?.raw) return res;
  const { snapshot, snapshotRaw, timestamp, timestampRaw } = resignSnapshotAndTimestamp(
    signer,
    'config',
    metas.snapshot.raw,
    metas.timestamp.raw,
    mutate,
  );
  return {
    ...res,
    configMetas: { ...metas, snapshot: topMeta(snapshotRaw, snapshot), timestamp: topMeta(timestampRaw, timestamp) },
  };
}

function directorConfigMismatch(res: ILatestConfigsResponse, signer: RepositorySigner): ILatestConfigsResponse {
  const victim = res.targetFiles?.[0];
  if (!victim?.raw || !victim.path) return res;
  const forged = flipLastByte(victim.raw);
  const targetPath = trimmedPath(victim.path);
  const forgedFile: IFile = { path: rehashedPath(victim.path, forged), raw: forged };
  const out = newDirectorGeneration(res, signer, (targets) => {
    const entry = asJson(asJson(targets.targets)[targetPath]);
    entry.hashes = hashesLike(asJson(entry.hashes), forged);
    asJson(targets.targets)[targetPath] = entry;
  });
  return { ...out, targetFiles: [forgedFile, ...(res.targetFiles ?? []).slice(1)] };
}

function resignSnapshotAndTimestamp(
  signer: RepositorySigner,
  repo: Repo,
  snapshotRawIn: Uint8Array,
  timestampRawIn: Uint8Array,
  mutateSnapshot: (snapshot: Json) => void,
): { snapshot: Json; snapshotRaw: Uint8Array; timestamp: Json; timestampRaw: Uint8Array } {
  const snapshot = signedOf(snapshotRawIn);
  const timestamp = signedOf(timestampRawIn);
  // Config timestamp and snapshot versions move in tandem (PROTOCOL.md §2); keep that for both repos.
  const version = Math.max(versionOf(snapshot), versionOf(timestamp)) + 1;
  snapshot.version = version;
  mutateSnapshot(snapshot);
  const snapshotRaw = signer.signRaw(repo, 'snapshot', snapshot);
  timestamp.version = version;
  setMetaEntry(timestamp, 'snapshot.json', snapshotRaw, version);
  const timestampRaw = signer.signRaw(repo, 'timestamp', timestamp);
  return { snapshot, snapshotRaw, timestamp, timestampRaw };
}

/** Points a snapshot/timestamp `meta` entry at new bytes, keeping the fields (length, hashes) it already had. */
function setMetaEntry(signed: Json, name: string, raw: Uint8Array, version: number): void {
  const meta = asJson(signed.meta);
  const old = asJson(meta[name]);
  const entry: Json = { ...old, version };
  if ('length' in old) entry.length = raw.length;
  if ('hashes' in old) entry.hashes = hashesLike(asJson(old.hashes), raw);
  meta[name] = entry;
  signed.meta = meta;
}

function hashesLike(old: Json, raw: Uint8Array): Json {
  const algorithms = Object.keys(old).length > 0 ? Object.keys(old) : ['sha256'];
  return Object.fromEntries(algorithms.map((a) => [a, createHash(a).update(raw).digest('hex')]));
}

function topMeta(raw: Uint8Array, signed: Json): ITopMeta {
  return { version: versionOf(signed), raw };
}

function signedOf(raw: Uint8Array): Json {
  const envelope = JSON.parse(Buffer.from(raw).toString('utf8')) as { signed?: unknown };
  return structuredClone(asJson(envelope.signed));
}

function asJson(v: unknown): Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {};
}

function versionOf(signed: Json): number {
  return typeof signed.version === 'number' ? signed.version : 0;
}

/** TUF `expires`: RFC 3339 UTC without fractions. */
function rfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

function flipLastByte(raw: Uint8Array): Uint8Array {
  const out = Uint8Array.from(raw);
  if (out.length > 0) out[out.length - 1] = (out[out.length - 1] ?? 0) ^ 0x01;
  return out;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** `<dir>/<sha256>.<base>` → `<dir>/<base>` (PROTOCOL.md §5.4); plain paths are unchanged. */
function trimmedPath(path: string): string {
  const slash = path.lastIndexOf('/');
  const base = path.slice(slash + 1);
  const dot = base.indexOf('.');
  return dot < 0 ? path : path.slice(0, slash + 1) + base.slice(dot + 1);
}

function rehashedPath(path: string, raw: Uint8Array): string {
  const trimmed = trimmedPath(path);
  if (trimmed === path) return path;
  const slash = trimmed.lastIndexOf('/');
  const sha = createHash('sha256').update(raw).digest('hex');
  return `${trimmed.slice(0, slash + 1)}${sha}.${trimmed.slice(slash + 1)}`;
}
