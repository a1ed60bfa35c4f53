// The immutable view every request reads: built once per verified update by the single writer, published by
// swapping one reference. Holds everything a reply needs, precomputed.
import { createHash } from 'node:crypto';
import { parseConfigPath, tufVersions, type TrustedState, type TufVersions } from '../uptane/index.js';
import type { IFile } from '../proto/index.js';
import { compilePredicates, type CompiledPredicate } from './predicates.js';

export interface SnapshotTarget {
  readonly path: string;
  readonly product: string;
  readonly configId: string;
  readonly length: number;
  readonly hashes: Readonly<Record<string, string>>;
  /** custom.v */
  readonly version: number;
  /** custom.expires in ms, 0 = never */
  readonly expiresMs: number;
  readonly predicates?: readonly CompiledPredicate[];
  /** The reply entry, shared by every reply (transports cache its encoding by identity). */
  readonly file?: IFile;
}

export interface Snapshot {
  readonly state: TrustedState;
  readonly versions: TufVersions;
  /** False until a backend update succeeded since start or a verified state was loaded from the store. */
  readonly hasData: boolean;
  readonly directorTargetsRaw?: Uint8Array;
  /** Director roots by version (index = version), exact bytes, for root catch-up. */
  readonly directorRoots: readonly (Uint8Array | undefined)[];
  readonly targetsByProduct: ReadonlyMap<string, readonly SnapshotTarget[]>;
  readonly targets: readonly SnapshotTarget[];
  readonly directorTimestampExpiresMs: number;
  /** Earliest expiry of the metadata `verify()` re-checks at read time; reads at or past it re-run verifyAtRead. */
  readonly validUntilMs: number;
  readonly publishedAtMs: number;
}

export function buildSnapshot(state: TrustedState, hasData: boolean, nowMs: number): Snapshot {
  const targets: SnapshotTarget[] = [];
  for (const [path, meta] of state.directorTargets) {
    let product = '';
    let configId = '';
    try {
      const parsed = parseConfigPath(path);
      product = parsed.product;
      configId = parsed.configId;
    } catch {
      // Not a config path: never selected (no product matches).
    }
    const custom = meta.custom;
    const raw = state.files.get(path);
    const expires = typeof custom?.expires === 'number' ? custom.expires : 0;
    targets.push({
      path,
      product,
      configId,
      length: meta.length,
      hashes: meta.hashes,
      version: typeof custom?.v === 'number' ? custom.v : 0,
      expiresMs: expires * 1000,
      predicates: compilePredicates(custom),
      file: raw ? Object.freeze({ path, raw }) : undefined,
    });
  }
  targets.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const targetsByProduct = new Map<string, SnapshotTarget[]>();
  for (const t of targets) {
    const list = targetsByProduct.get(t.product) ?? [];
    list.push(t);
    targetsByProduct.set(t.product, list);
  }
  const directorRoots: (Uint8Array | undefined)[] = [];
  for (const [version, raw] of state.director.roots) directorRoots[version] = raw;

  const readChecked = [
    state.config.snapshot,
    state.config.targets,
    state.director.snapshot,
    state.director.targets,
    ...state.config.delegated.values(),
  ];
  const validUntilMs = Math.min(Infinity, ...readChecked.map((m) => m?.expiresMs ?? Infinity));
  return Object.freeze({
    state,
    versions: tufVersions(state),
    hasData,
    directorTargetsRaw: state.director.targets?.raw,
    directorRoots,
    targetsByProduct,
    targets,
    directorTimestampExpiresMs: state.director.timestamp?.expiresMs ?? Infinity,
    validUntilMs,
    publishedAtMs: nowMs,
  });
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
