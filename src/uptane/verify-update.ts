// One backend response against the trusted state (PROTOCOL.md §5.5 A–F2), all-or-nothing: a new state or a throw.
import type { IConfigMetas, IDirectorMetas, ILatestConfigsResponse, ITopMeta } from '../proto/index.js';
import { UptaneError, wrapError } from './error.js';
import { lookupConfigTargets } from './delegations.js';
import { checkTargetFile } from './file-meta.js';
import { updateRepo, type RemoteRepo, type RepoUpdate } from './repo-update.js';
import { buildState } from './state-build.js';
import type { ReadExpiry, RepoState, TargetMeta, TrustedState, VerifiedMeta } from './types.js';
import { expiresText, targetsOf } from './verified-meta.js';

/**
 * §5.5 A–F except the org check (`verifyOrg`). Returns a new state or throws UptaneError; `state` is never
 * modified. Messages carry the reference's W1/W2 wrapping; the caller adds `tuf: `.
 */
export function verifyUpdate(state: TrustedState, response: ILatestConfigsResponse, nowMs: number): TrustedState {
  // A: stage target files under their trimmed path.
  const staged = new Map<string, Uint8Array>();
  for (const f of response.targetFiles ?? []) staged.set(trimHashTargetPath(f.path ?? ''), copy(f.raw));

  // B: remote stores; what the response leaves out is what the store already held (the trusted documents).
  const directorMetas = response.directorMetas ?? undefined;
  const configMetas = response.configMetas ?? undefined;
  const directorRemote = remoteOf(directorMetas, directorMetas?.targets, state.director, new Map());
  // Delegated documents stay in the remote store until replaced; verified ones are there too.
  const remoteDelegated = new Map(state.remoteDelegated ?? []);
  for (const [role, doc] of state.config.delegated) {
    if (!remoteDelegated.has(role)) remoteDelegated.set(role, { version: doc.version, raw: doc.raw });
  }
  for (const d of configMetas?.delegatedTargets ?? []) {
    remoteDelegated.set(d.role ?? '', { version: Number(d.version ?? 0), raw: copy(d.raw) });
  }
  const configRemote = remoteOf(configMetas, configMetas?.topTargets, state.config, remoteDelegated);

  // C: director repo [W1].
  let director: RepoUpdate;
  try {
    director = updateRepo(state.director, directorRemote, nowMs);
  } catch (err) {
    throw wrapError(err, 'failed updating director repository');
  }
  // D: config repo [W2].
  let config: RepoUpdate;
  try {
    config = updateRepo(state.config, configRemote, nowMs);
  } catch (err) {
    throw wrapError(err, `could not update config repository [${configMetasUpdateSummary(response.configMetas)}]`);
  }

  // E: keep only files that are director targets.
  const directorTargets = director.targets === undefined ? new Map<string, TargetMeta>() : targetsOf(director.targets);
  const files = new Map<string, Uint8Array>();
  for (const path of directorTargets.keys()) {
    const bytes = staged.get(trimHashTargetPath(path)) ?? state.files.get(path);
    if (bytes !== undefined) files.set(path, bytes);
  }

  // F2: verifyUptane, skipped when the director has no targets.
  let delegated: ReadonlyMap<string, VerifiedMeta> = state.config.delegated;
  let readExpiries: ReadExpiry[] = [];
  if (directorTargets.size > 0) {
    const paths = [...directorTargets.keys()].sort();
    const configView = {
      root: config.root,
      snapshot: config.snapshot,
      targets: config.targets,
      delegated: state.config.delegated,
    };
    const lookup = lookupConfigTargets(paths, configView, configRemote, nowMs);
    // Director ⇔ config cross-check (E20–E24).
    for (const path of paths) crossCheck(path, directorTargets.get(path)!, lookup.found.get(path)!);
    // Files through the config repo, then the director repo (E19, E11, E12).
    for (const meta of [lookup.found, directorTargets]) {
      for (const path of paths) {
        const bytes = files.get(path);
        if (bytes === undefined) throw new UptaneError('FILE_NOT_FOUND', `tuf: file not found: ${path}`);
        const m = meta.get(path)!;
        if (alreadyVerified(state, path, bytes, m)) continue;
        checkTargetFile(path, bytes, m.length, m.hashes);
      }
    }
    delegated = mergeDelegated(state.config.delegated, lookup.visited, config.snapshot);
    readExpiries = readExpiriesOf(config, lookup.visited, director);
  }

  const unchanged =
    !director.changed &&
    !config.changed &&
    delegated === state.config.delegated &&
    (configMetas?.delegatedTargets ?? []).length === 0 &&
    sameFiles(files, state.files);
  if (unchanged) return state;
  return buildState({
    director: repoState(director),
    config: { ...repoState(config), delegated },
    files,
    readExpiries,
    remoteDelegated,
  });
}

/** Reference `trimHashTargetPath`: `<dir>/<hash>.<base>` → `<dir>/<base>`; plain paths unchanged. */
export function trimHashTargetPath(targetPath: string): string {
  const slash = targetPath.lastIndexOf('/');
  const dir = slash < 0 ? '' : targetPath.slice(0, slash);
  const base = targetPath.slice(slash + 1);
  const dot = base.indexOf('.');
  const trimmed = dot < 0 ? base : base.slice(dot + 1);
  return dir === '' ? trimmed : `${dir}/${trimmed}`;
}

/** Reference `configMetasUpdateSummary` (W2), including its quirk of skipping the second-to-last root. */
export function configMetasUpdateSummary(metas: IConfigMetas | null | undefined): string {
  if (metas === null || metas === undefined) return 'no metas in update';
  let s = '';
  const roots = metas.roots ?? [];
  if (roots.length !== 0) {
    s += 'roots=';
    for (let i = 0; i < roots.length - 2; i++) s += `${versionOf(roots[i])},`;
    s += `${versionOf(roots[roots.length - 1])} `;
  }
  if (metas.topTargets) s += `targets=${versionOf(metas.topTargets)} `;
  if (metas.snapshot) s += `snapshot=${versionOf(metas.snapshot)} `;
  if (metas.timestamp) s += `timestamp=${versionOf(metas.timestamp)}`;
  return s;
}

function versionOf(m: ITopMeta | null | undefined): number {
  return Number(m?.version ?? 0);
}

function copy(raw: Uint8Array | null | undefined): Uint8Array {
  return raw === null || raw === undefined ? new Uint8Array(0) : new Uint8Array(raw);
}

function byVersion(m: ITopMeta | null | undefined, fallback: VerifiedMeta | undefined): Map<number, Uint8Array> {
  if (m !== null && m !== undefined) return new Map([[versionOf(m), copy(m.raw)]]);
  return fallback === undefined ? new Map<number, Uint8Array>() : new Map([[fallback.version, fallback.raw]]);
}

function remoteOf(
  metas: IConfigMetas | IDirectorMetas | undefined,
  targetsMeta: ITopMeta | null | undefined,
  trusted: RepoState,
  delegated: ReadonlyMap<string, { readonly version: number; readonly raw: Uint8Array }>,
): RemoteRepo {
  const roots = new Map<number, Uint8Array>();
  for (const r of metas?.roots ?? []) roots.set(versionOf(r), copy(r.raw));
  const remoteDelegated = new Map<string, Map<number, Uint8Array>>();
  for (const [role, d] of delegated) remoteDelegated.set(role, new Map([[d.version, d.raw]]));
  return {
    roots,
    timestamp: metas?.timestamp ? copy(metas.timestamp.raw) : trusted.timestamp?.raw,
    snapshot: byVersion(metas?.snapshot, trusted.snapshot),
    targets: byVersion(targetsMeta, trusted.targets),
    delegated: remoteDelegated,
  };
}

function crossCheck(path: string, director: TargetMeta, config: TargetMeta): void {
  // Wording (and the swapped sizes of E20) as in the reference verifyUptane.
  if (config.length !== director.length) {
    throw new UptaneError(
      'CROSS_CHECK',
      `target '${path}' has size ${config.length} in directory repository and ${director.length} in config repository`,
    );
  }
  const directorAlgs = Object.keys(director.hashes).sort();
  if (directorAlgs.length === 0)
    throw new UptaneError('CROSS_CHECK', `target '${path}' no hashes in the director repository`);
  const configCount = Object.keys(config.hashes).length;
  if (directorAlgs.length !== configCount) {
    throw new UptaneError(
      'CROSS_CHECK',
      `target '${path}' has ${directorAlgs.length} hashes in directory repository and ${configCount} hashes in config repository`,
    );
  }
  for (const alg of directorAlgs) {
    const d = director.hashes[alg]!;
    const c = config.hashes[alg];
    if (c === undefined)
      throw new UptaneError(
        'CROSS_CHECK',
        `hash '${d}' found in directory repository but not in the config repository`,
      );
    if (c !== d) throw new UptaneError('CROSS_CHECK', `directory hash '${d}' does not match config repository '${c}'`);
  }
}

/** Bytes carried over unchanged under an unchanged director meta were hashed when they were accepted. */
function alreadyVerified(state: TrustedState, path: string, bytes: Uint8Array, meta: TargetMeta): boolean {
  if (state.files.get(path) !== bytes) return false;
  const prev = state.directorTargets.get(path);
  if (prev === undefined || prev.length !== meta.length) return false;
  const a = Object.keys(prev.hashes);
  return a.length === Object.keys(meta.hashes).length && a.every((alg) => prev.hashes[alg] === meta.hashes[alg]);
}

function mergeDelegated(
  previous: ReadonlyMap<string, VerifiedMeta>,
  visited: ReadonlyMap<string, VerifiedMeta>,
  snapshot: VerifiedMeta | undefined,
): ReadonlyMap<string, VerifiedMeta> {
  let changed = false;
  for (const [role, doc] of visited) if (previous.get(role) !== doc) changed = true;
  if (!changed) return previous;
  const listed = snapshot?.signed.meta as Record<string, unknown> | undefined;
  const merged = new Map<string, VerifiedMeta>();
  // Keep stored roles the snapshot still lists; newly loaded ones replace them.
  for (const [role, doc] of previous) if (listed !== undefined && `${role}.json` in listed) merged.set(role, doc);
  for (const [role, doc] of visited) merged.set(role, doc);
  return merged;
}

function readExpiriesOf(
  config: RepoUpdate,
  visited: ReadonlyMap<string, VerifiedMeta>,
  director: RepoUpdate,
): ReadExpiry[] {
  const out: ReadExpiry[] = [];
  const add = (name: string, doc: VerifiedMeta | undefined): void => {
    if (doc !== undefined) out.push({ name, expiresMs: doc.expiresMs, expires: expiresText(doc) });
  };
  add('snapshot.json', config.snapshot);
  add('targets.json', config.targets);
  for (const [role, doc] of visited) add(`${role}.json`, doc);
  add('snapshot.json', director.snapshot);
  add('targets.json', director.targets);
  return out;
}

function repoState(u: RepoUpdate): RepoState {
  return {
    roots: u.roots,
    root: u.root,
    ...(u.timestamp === undefined ? {} : { timestamp: u.timestamp }),
    ...(u.snapshot === undefined ? {} : { snapshot: u.snapshot }),
    ...(u.targets === undefined ? {} : { targets: u.targets }),
  };
}

function sameFiles(a: ReadonlyMap<string, Uint8Array>, b: ReadonlyMap<string, Uint8Array>): boolean {
  if (a.size !== b.size) return false;
  for (const [path, bytes] of a) {
    const other = b.get(path);
    if (other === undefined || (other !== bytes && !Buffer.from(other).equals(bytes))) return false;
  }
  return true;
}
