// Creating, reading, persisting and restoring the trusted state (PROTOCOL.md §5.1, §5.4, §5.6).
import type { ILatestConfigsResponse } from '../proto/index.js';
import { parseEnvelope } from './envelope.js';
import { UptaneError, wrapError } from './error.js';
import { formatGoParsedTime, parseRfc3339 } from './go-time.js';
import { dbFromRoot, verifySigned } from './role-db.js';
import { buildState } from './state-build.js';
import type {
  PersistedRepo,
  PersistedState,
  ReadExpiry,
  RepoState,
  TrustedState,
  TufVersions,
  VerifiedMeta,
} from './types.js';
import { expiresText, toVerifiedMeta } from './verified-meta.js';
import { verifyUpdate } from './verify-update.js';

type RepoName = 'config' | 'director';

/**
 * Trust anchors: pinned roots, each self-signed to threshold with `_type` root. Expiry is not checked here (§5.1:
 * prod's v1 roots expire in 1970); the final root's expiry is checked on every update.
 */
export function createTrustedState(roots: { config: Uint8Array; director: Uint8Array }): TrustedState {
  return buildState({
    director: pinnedRoot('director', roots.director),
    config: { ...pinnedRoot('config', roots.config), delegated: new Map() },
    files: new Map(),
    readExpiries: [],
  });
}

function pinnedRoot(repo: RepoName, raw: Uint8Array): RepoState {
  const bytes = new Uint8Array(raw);
  let root: VerifiedMeta;
  try {
    const env = parseEnvelope(bytes);
    root = toVerifiedMeta(env, verifySigned(env, dbFromRoot(env.signed), 'root', 0, undefined));
  } catch (err) {
    throw wrapError(err, `invalid pinned ${repo} root`);
  }
  return { roots: new Map([[root.version, bytes]]), root };
}

/** Versions reported upstream and to status (0 when absent). */
export function tufVersions(state: TrustedState): TufVersions {
  return {
    directorRoot: state.director.root.version,
    directorTargets: state.director.targets?.version ?? 0,
    configRoot: state.config.root.version,
    configSnapshot: state.config.snapshot?.version ?? 0,
  };
}

/** §4.3 step 6: the director timestamp's `expires` is before now (false before the first update). */
export function isDirectorTimestampExpired(state: TrustedState, nowMs: number): boolean {
  const ts = state.director.timestamp;
  return ts !== undefined && ts.expiresMs < nowMs;
}

/**
 * §5.6: what the reference's `verify()` re-checks on every read — expiry of the config snapshot and targets, the
 * delegated roles used, and the director snapshot and targets (skipped when the director has no targets). No crypto.
 */
export function verifyAtRead(state: TrustedState, nowMs: number): void {
  const checks = state.readExpiries ?? fallbackReadExpiries(state);
  for (const c of checks) {
    if (nowMs >= c.expiresMs) {
      const parsed = parseRfc3339(c.expires);
      const when = parsed === undefined ? c.expires : formatGoParsedTime(parsed);
      throw new UptaneError('EXPIRED', `tuf: failed to decode ${c.name}: expired at ${when}`);
    }
  }
}

function fallbackReadExpiries(state: TrustedState): ReadExpiry[] {
  if (state.directorTargets.size === 0) return [];
  const docs: [string, VerifiedMeta | undefined][] = [
    ['snapshot.json', state.config.snapshot],
    ['targets.json', state.config.targets],
    ...[...state.config.delegated].map(([role, doc]): [string, VerifiedMeta] => [`${role}.json`, doc]),
    ['snapshot.json', state.director.snapshot],
    ['targets.json', state.director.targets],
  ];
  return docs.flatMap(([name, doc]) =>
    doc === undefined ? [] : [{ name, expiresMs: doc.expiresMs, expires: expiresText(doc) }],
  );
}

const b64 = (bytes: Uint8Array): string =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
const unb64 = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'base64'));

function exportRepo(repo: RepoState): PersistedRepo {
  return {
    roots: Object.fromEntries([...repo.roots].map(([v, raw]) => [String(v), b64(raw)])),
    ...(repo.timestamp === undefined ? {} : { timestamp: b64(repo.timestamp.raw) }),
    ...(repo.snapshot === undefined ? {} : { snapshot: b64(repo.snapshot.raw) }),
    ...(repo.targets === undefined ? {} : { targets: b64(repo.targets.raw) }),
  };
}

/** A JSON-serialisable copy of the state's exact bytes, for the persistent store. */
export function exportState(state: TrustedState): PersistedState {
  return {
    format: 1,
    director: exportRepo(state.director),
    config: {
      ...exportRepo(state.config),
      delegated: Object.fromEntries([...state.config.delegated].map(([role, doc]) => [role, b64(doc.raw)])),
    },
    files: Object.fromEntries([...state.files].map(([path, bytes]) => [path, b64(bytes)])),
  };
}

/**
 * Rebuild a state from the store by re-running the verification from the pinned roots, without expiry: root chain,
 * signatures, snapshot/timestamp consistency, delegations, the director ⇔ config cross-check and file hashes.
 * Anything inconsistent throws CORRUPT_STATE.
 */
export function restoreState(p: PersistedState, pinned: { config: Uint8Array; director: Uint8Array }): TrustedState {
  const pinnedState = createTrustedState(pinned);
  try {
    if (p.format !== 1) throw new UptaneError('DECODE', `unknown persisted state format ${String(p.format)}`);
    const response: ILatestConfigsResponse = {
      directorMetas: {
        roots: rootsAbove(p.director, pinnedState.director.root),
        ...topMetas(p.director, 'targets'),
      },
      configMetas: {
        roots: rootsAbove(p.config, pinnedState.config.root),
        ...topMetas(p.config, 'topTargets'),
        delegatedTargets: Object.entries(p.config.delegated).map(([role, text]) => {
          const raw = unb64(text);
          return { role, raw, version: versionOfRaw(raw) };
        }),
      },
      targetFiles: Object.entries(p.files).map(([path, text]) => ({ path, raw: unb64(text) })),
    };
    const hasTimestamps = p.director.timestamp !== undefined || p.config.timestamp !== undefined;
    // Without expiry: -Infinity is never at or past an `expires`.
    const state = hasTimestamps ? verifyUpdate(pinnedState, response, -Infinity) : rootsOnly(pinnedState, response);
    for (const [repo, persisted] of [
      ['director', p.director],
      ['config', p.config],
    ] as const) {
      for (const [v, text] of Object.entries(persisted.roots)) {
        const kept = state[repo].roots.get(Number(v));
        if (kept === undefined || b64(kept) !== text)
          throw new UptaneError('DECODE', `${repo} root version ${v} is not part of the verified chain`);
      }
    }
    if (Object.keys(p.files).some((path) => !state.files.has(path)))
      throw new UptaneError('DECODE', 'stored files that are not director targets');
    return state;
  } catch (err) {
    throw new UptaneError(
      'CORRUPT_STATE',
      `persisted state does not verify: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  }
}

function rootsAbove(p: PersistedRepo, pinnedRoot: VerifiedMeta): { version: number; raw: Uint8Array }[] {
  const out: { version: number; raw: Uint8Array }[] = [];
  for (const [v, text] of Object.entries(p.roots)) {
    const version = Number(v);
    if (version === pinnedRoot.version && text !== b64(pinnedRoot.raw)) {
      throw new UptaneError('DECODE', `stored root version ${v} differs from the pinned root`);
    }
    if (version > pinnedRoot.version) out.push({ version, raw: unb64(text) });
  }
  return out;
}

function topMeta(text: string | undefined): { version: number; raw: Uint8Array } | undefined {
  if (text === undefined) return undefined;
  const raw = unb64(text);
  return { version: versionOfRaw(raw), raw };
}

function topMetas(
  p: PersistedRepo,
  targetsField: 'targets' | 'topTargets',
): Record<string, { version: number; raw: Uint8Array }> {
  const out: Record<string, { version: number; raw: Uint8Array }> = {};
  const ts = topMeta(p.timestamp);
  const snap = topMeta(p.snapshot);
  const tgt = topMeta(p.targets);
  if (ts !== undefined) out.timestamp = ts;
  if (snap !== undefined) out.snapshot = snap;
  if (tgt !== undefined) out[targetsField] = tgt;
  return out;
}

function versionOfRaw(raw: Uint8Array): number {
  const v = parseEnvelope(raw).signed.version;
  return typeof v === 'number' ? v : 0;
}

/** A store written before the first successful update holds only roots: walk their chains. */
function rootsOnly(pinned: TrustedState, response: ILatestConfigsResponse): TrustedState {
  // The chain walk is the update's first step; an update without timestamps fails only after it (E9).
  const walk = (repo: RepoName): RepoState => {
    const repoState = pinned[repo];
    const roots = new Map(repoState.roots);
    let root = repoState.root;
    const metas = repo === 'director' ? response.directorMetas : response.configMetas;
    const byVersion = new Map((metas?.roots ?? []).map((r) => [Number(r.version), r.raw ?? new Uint8Array(0)]));
    for (let next = root.version + 1; byVersion.has(next); next++) {
      const raw = byVersion.get(next)!;
      const env = parseEnvelope(raw);
      verifySigned(env, dbFromRoot(root.signed), 'root', 0, undefined);
      const meta = verifySigned(env, dbFromRoot(env.signed), 'root', 0, undefined);
      if (meta.version !== next)
        throw new UptaneError('ROOT_VERSION', `version ${meta.version} does not match the expected version ${next}`);
      root = toVerifiedMeta(env, meta);
      roots.set(next, raw);
    }
    return { roots, root };
  };
  return buildState({
    director: walk('director'),
    config: { ...walk('config'), delegated: new Map() },
    files: new Map(),
    readExpiries: [],
  });
}
