// Signed fixtures for the verifier tests, produced by our own repository signer; attacks are crafted on the fly
// from its current documents (PROTOCOL.md §5.8 item 9).
import {
  pb,
  type IConfigMetas,
  type IDirectorMetas,
  type IFile,
  type ILatestConfigsRequest,
  type ILatestConfigsResponse,
} from '../../src/proto/index.js';
import { RepositorySigner } from '../../src/backend/signer/index.js';
import { generateKeyPair, signHex, type SignerKeyPair } from '../../src/backend/signer/keys.js';
import { type RepoSignerOptions, type SignerFile } from '../../src/backend/signer/repository-signer.js';
import {
  canonicalBytes,
  createTrustedState,
  exportState,
  sha256Hex,
  tufVersions,
  verifyUpdate,
  type TrustedState,
} from '../../src/uptane/index.js';

/** 2026-11-22 09:45:03 UTC */
export const T0 = Date.UTC(2026, 10, 22, 9, 45, 3);
export const DAY_MS = 24 * 3600 * 1000;
export const ORG_UUID = '6f8d3f1e-0000-4000-8000-000000000002';

export const enc = (s: string): Uint8Array => new Uint8Array(Buffer.from(s));
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- crafted documents are free-form JSON
export type Json = Record<string, any>;
/** Parse an envelope. */
export const doc = (raw: Uint8Array | null | undefined): Json => JSON.parse(Buffer.from(raw!).toString('utf8'));
/** A deep copy of an envelope's `signed`. */
export const signedOf = (raw: Uint8Array | null | undefined): Json => structuredClone(doc(raw).signed);

export const APM_PATH = 'datadog/2/APM_TRACING/cfg-a/config';
export const FFE_PATH = 'datadog/2/FFE_FLAGS/ffe-bench/config';
export const APM_BYTES = '{"lib_config":{"tracing_sampling_rate":0.5}}';
export const FFE_BYTES = '{"format":"SERVER","environment":{"name":"dev"},"flags":{}}';

export function baseFiles(): SignerFile[] {
  return [
    { path: APM_PATH, raw: enc(APM_BYTES) },
    { path: FFE_PATH, raw: enc(FFE_BYTES), custom: { expires: 0 } },
  ];
}

export const ALL_PRODUCTS = ['APM_TRACING', 'FFE_FLAGS'];

export function requestFor(state: TrustedState, extra: Partial<ILatestConfigsRequest> = {}): ILatestConfigsRequest {
  const v = tufVersions(state);
  return {
    products: ALL_PRODUCTS,
    currentConfigRootVersion: v.configRoot,
    currentDirectorRootVersion: v.directorRoot,
    currentConfigSnapshotVersion: v.configSnapshot,
    ...extra,
  };
}

/** Encode and decode through protobuf, as the agent receives it. */
export function wire(resp: ILatestConfigsResponse): ILatestConfigsResponse {
  return pb.LatestConfigsResponse.decode(pb.LatestConfigsResponse.encode(resp).finish());
}

export function respond(
  signer: RepositorySigner,
  state: TrustedState,
  extra: Partial<ILatestConfigsRequest> = {},
): ILatestConfigsResponse {
  return wire(signer.latestConfigs(requestFor(state, extra)));
}

export interface Fixture {
  signer: RepositorySigner;
  pinned: { config: Uint8Array; director: Uint8Array };
  /** pinned roots only */
  state0: TrustedState;
  /** after the first full update at T0 */
  state1: TrustedState;
}

export function setup(opts: RepoSignerOptions = {}, files: SignerFile[] = baseFiles()): Fixture {
  const signer = RepositorySigner.create({ orgUuid: ORG_UUID, ...opts }, T0);
  signer.publish(files, T0);
  const pinned = { config: signer.rootV1('config'), director: signer.rootV1('director') };
  const state0 = createTrustedState(pinned);
  const state1 = verifyUpdate(
    state0,
    respond(signer, state0, { currentConfigRootVersion: 0, currentDirectorRootVersion: 0 }),
    T0,
  );
  return { signer, pinned, state0, state1 };
}

/** Envelope signed with explicit keys (for keys the signer does not hold). */
export function envelope(signed: Json, keys: readonly SignerKeyPair[]): Uint8Array {
  const message = canonicalBytes(signed);
  return enc(JSON.stringify({ signatures: keys.map((k) => ({ keyid: k.keyId, sig: signHex(k, message) })), signed }));
}

export { generateKeyPair };

export interface RepoCraft {
  /** replace the targets (director) / top-level targets (config) `signed`; sign with fresh unknown keys if wrongKey */
  targets?: Json;
  targetsWrongKey?: boolean;
  /** replace or add delegated roles (config only), signed with the product key */
  delegated?: Record<string, Json>;
  /** edit the snapshot `signed` after it lists the crafted docs */
  snapshot?: (s: Json) => void;
  /** delegated documents signed elsewhere (config only) */
  delegatedRaw?: Record<string, { version: number; raw: Uint8Array }>;
  /** tamper with the snapshot bytes after the timestamp was computed over them */
  serveSnapshot?: (raw: Uint8Array) => Uint8Array;
  /** edit the timestamp `signed` after it points at the snapshot */
  timestamp?: (s: Json) => void;
  timestampRaw?: (raw: Uint8Array) => Uint8Array;
}

/**
 * A repo's metas built from the signer's current documents with versions bumped: crafted targets/roles, a snapshot
 * listing them, a timestamp over the exact snapshot bytes. Everything not crafted is signed with the right keys.
 */
export function craftRepo(
  signer: RepositorySigner,
  repo: 'config' | 'director',
  c: RepoCraft = {},
): IConfigMetas & IDirectorMetas {
  const cur = signer.currentMetas()[repo];
  const ts = signedOf(cur.timestamp);
  const snap = signedOf(cur.snapshot);
  const out: IConfigMetas & IDirectorMetas = { roots: [] };
  if (c.targets !== undefined) {
    const raw = signer.signRaw(repo, 'targets', c.targets, { wrongKey: c.targetsWrongKey === true });
    const meta = { version: c.targets.version as number, raw };
    if (repo === 'config') out.topTargets = meta;
    else out.targets = meta;
    snap.meta['targets.json'] = { version: c.targets.version };
  }
  if (c.delegated !== undefined) {
    out.delegatedTargets = [];
    for (const [role, signed] of Object.entries(c.delegated)) {
      out.delegatedTargets.push({ version: signed.version, role, raw: signer.signRaw('config', role, signed) });
      snap.meta[`${role}.json`] = { version: signed.version };
    }
  }
  for (const [role, d] of Object.entries(c.delegatedRaw ?? {})) {
    (out.delegatedTargets ??= []).push({ version: d.version, role, raw: d.raw });
    snap.meta[`${role}.json`] = { version: d.version };
  }
  snap.version += 1;
  c.snapshot?.(snap);
  const snapRaw = signer.signRaw(repo, 'snapshot', snap);
  out.snapshot = { version: snap.version, raw: c.serveSnapshot === undefined ? snapRaw : c.serveSnapshot(snapRaw) };
  ts.version += 1;
  ts.meta = {
    'snapshot.json': { version: snap.version, length: snapRaw.length, hashes: { sha256: sha256Hex(snapRaw) } },
  };
  c.timestamp?.(ts);
  let tsRaw = signer.signRaw(repo, 'timestamp', ts);
  if (c.timestampRaw !== undefined) tsRaw = c.timestampRaw(tsRaw);
  out.timestamp = { version: ts.version, raw: tsRaw };
  return out;
}

/** Director targets `signed` with one more target (length/sha256 of `bytes`) and a bumped version. */
export function directorTargetsWith(
  signer: RepositorySigner,
  path: string,
  bytes: Uint8Array,
  custom: Json = { v: 1 },
): Json {
  const t = signedOf(signer.currentMetas().director.targets);
  t.version += 1;
  t.targets[path] = { length: bytes.length, hashes: { sha256: sha256Hex(bytes) }, custom };
  return t;
}

export function response(
  directorMetas?: IDirectorMetas,
  configMetas?: IConfigMetas,
  targetFiles: IFile[] = [],
): ILatestConfigsResponse {
  return wire({ ...(directorMetas ? { directorMetas } : {}), ...(configMetas ? { configMetas } : {}), targetFiles });
}

/** Exported bytes of a state, to show a failed update left it untouched. */
export function fingerprint(state: TrustedState): string {
  return JSON.stringify(exportState(state)) + JSON.stringify(tufVersions(state));
}
