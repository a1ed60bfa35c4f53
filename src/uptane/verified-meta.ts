// Building VerifiedMeta values and re-using what was already parsed for them.
import {
  cannotUnmarshal,
  deepFreeze,
  hashesOf,
  int64,
  isObject,
  parseEnvelope,
  type Envelope,
  type SignedMeta,
} from './envelope.js';
import { dbFromDelegations, dbFromRoot, type DelegatedRole, type RoleDb } from './role-db.js';
import type { TargetMeta, VerifiedMeta } from './types.js';

const envelopes = new WeakMap<VerifiedMeta, Envelope>();
const rootDbs = new WeakMap<VerifiedMeta, RoleDb>();
const delegationDbs = new WeakMap<VerifiedMeta, { db: RoleDb; roles: DelegatedRole[] }>();

export function toVerifiedMeta(env: Envelope, meta: SignedMeta): VerifiedMeta {
  const v: VerifiedMeta = Object.freeze({
    version: meta.version,
    raw: env.raw,
    signed: deepFreeze(env.signed),
    expiresMs: meta.expires.ms,
  });
  envelopes.set(v, env);
  return v;
}

export function envelopeOf(meta: VerifiedMeta): Envelope {
  let env = envelopes.get(meta);
  if (env === undefined) {
    env = parseEnvelope(meta.raw);
    envelopes.set(meta, env);
  }
  return env;
}

/** Key database of a verified root, built once per root. */
export function rootDbOf(root: VerifiedMeta): RoleDb {
  let db = rootDbs.get(root);
  if (db === undefined) {
    db = dbFromRoot(root.signed);
    rootDbs.set(root, db);
  }
  return db;
}

/** Delegation key database of a verified targets document, built once per document. */
export function delegationsOf(targets: VerifiedMeta): { db: RoleDb; roles: DelegatedRole[] } {
  let d = delegationDbs.get(targets);
  if (d === undefined) {
    d = dbFromDelegations(targets.signed.delegations);
    delegationDbs.set(targets, d);
  }
  return d;
}

const targetMaps = new WeakMap<VerifiedMeta, ReadonlyMap<string, TargetMeta>>();

/** `signed.targets` of a verified targets document (`null` or absent → empty, as a Go nil map). */
export function targetsOf(doc: VerifiedMeta): ReadonlyMap<string, TargetMeta> {
  let m = targetMaps.get(doc);
  if (m === undefined) {
    m = parseTargets(doc.signed.targets);
    targetMaps.set(doc, m);
  }
  return m;
}

function parseTargets(value: unknown): Map<string, TargetMeta> {
  const out = new Map<string, TargetMeta>();
  if (value === undefined || value === null) return out;
  if (!isObject(value)) throw cannotUnmarshal(value, 'data.TargetFiles', 'targets');
  for (const [path, entry] of Object.entries(value)) {
    if (entry === null) {
      out.set(path, Object.freeze({ length: 0, hashes: Object.freeze({}) }));
      continue;
    }
    if (!isObject(entry)) throw cannotUnmarshal(entry, 'data.TargetFileMeta', `targets.${path}`);
    const custom = isObject(entry.custom) ? entry.custom : undefined;
    out.set(
      path,
      Object.freeze({
        length: int64(entry, 'length'),
        hashes: Object.freeze(hashesOf(entry.hashes)),
        ...(custom === undefined ? {} : { custom }),
      }),
    );
  }
  return out;
}

/** `signed.expires` as written (for messages). */
export function expiresText(doc: VerifiedMeta): string {
  const e = doc.signed.expires;
  return typeof e === 'string' ? e : '';
}
