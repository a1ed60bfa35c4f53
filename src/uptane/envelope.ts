// Decoding of signed envelopes and their fields with Go `encoding/json` semantics (missing → zero value,
// wrong type → error), as go-tuf decodes them.
import { canonicalBytes, decodeHex } from './crypto.js';
import { UptaneError } from './error.js';
import { parseRfc3339, type ParsedTime } from './go-time.js';

export interface Signature {
  readonly keyid: string;
  readonly sig: Buffer;
}

/** A parsed `{"signed":…, "signatures":[…]}` document. */
export interface Envelope {
  readonly raw: Uint8Array;
  readonly signed: Record<string, unknown>;
  readonly signatures: readonly Signature[];
  /** canonical JSON of the generically parsed `signed` (computed on first use) */
  message(): Buffer;
}

/** Go's zero `time.Time` (a missing `expires`), which is always expired. */
const GO_ZERO_TIME: ParsedTime = { ms: -62_135_596_800_000, nanos: 0, offsetMin: undefined };

export function parseJson(raw: Uint8Array): unknown {
  const text = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('utf8');
  if (text.trim() === '') throw new UptaneError('DECODE', 'unexpected end of JSON input');
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new UptaneError('DECODE', `invalid character in JSON input: ${(err as Error).message}`, { cause: err });
  }
}

export function parseEnvelope(raw: Uint8Array): Envelope {
  const doc = parseJson(raw);
  if (!isObject(doc)) throw cannotUnmarshal(doc, 'data.Signed');
  const signed = doc.signed;
  if (signed === undefined || signed === null) throw new UptaneError('DECODE', 'unexpected end of JSON input');
  if (!isObject(signed)) throw cannotUnmarshal(signed, 'verify.signedMeta');
  const rawSigs = doc.signatures ?? [];
  if (!Array.isArray(rawSigs)) throw cannotUnmarshal(rawSigs, '[]data.Signature', 'signatures');
  const signatures = rawSigs.map((s: unknown): Signature => {
    if (!isObject(s)) throw cannotUnmarshal(s, 'data.Signature');
    const keyid = s.keyid ?? '';
    const sig = s.sig ?? '';
    if (typeof keyid !== 'string') throw cannotUnmarshal(keyid, 'string', 'keyid');
    if (typeof sig !== 'string') throw cannotUnmarshal(sig, 'data.HexBytes', 'sig');
    return { keyid, sig: decodeHex(sig) };
  });
  let message: Buffer | undefined;
  return {
    raw,
    signed,
    signatures,
    message() {
      if (message === undefined) {
        try {
          message = canonicalBytes(signed);
        } catch (err) {
          throw new UptaneError('DECODE', `can't canonicalize signed: ${(err as Error).message}`, { cause: err });
        }
      }
      return message;
    },
  };
}

/** `_type`, `version`, `expires` (go-tuf `signedMeta`). */
export interface SignedMeta {
  readonly type: string;
  readonly version: number;
  readonly expires: ParsedTime;
}

export function signedMeta(signed: Record<string, unknown>): SignedMeta {
  const type = signed._type ?? '';
  if (typeof type !== 'string') throw cannotUnmarshal(type, 'string', '_type');
  const version = int64(signed, 'version');
  const rawExpires = signed.expires;
  let expires = GO_ZERO_TIME;
  if (rawExpires !== undefined && rawExpires !== null) {
    const parsed = typeof rawExpires === 'string' ? parseRfc3339(rawExpires) : undefined;
    if (parsed === undefined) {
      throw new UptaneError(
        'DECODE',
        `parsing time ${JSON.stringify(JSON.stringify(rawExpires))} as "\\"2006-01-02T15:04:05Z07:00\\"": cannot parse`,
      );
    }
    expires = parsed;
  }
  return { type, version, expires };
}

/** Go `int64` field: missing or null → 0; non-integers fail. */
export function int64(obj: Record<string, unknown>, key: string): number {
  const v = obj[key];
  if (v === undefined || v === null) return 0;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw cannotUnmarshal(v, 'int64', key);
  return v;
}

/** `data.Hashes`: algorithm → hex, decoded and re-encoded lower-case. */
export function hashesOf(value: unknown, field = 'hashes'): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (!isObject(value)) throw cannotUnmarshal(value, 'data.Hashes', field);
  const out: Record<string, string> = {};
  for (const [alg, hex] of Object.entries(value)) {
    if (typeof hex !== 'string') throw cannotUnmarshal(hex, 'data.HexBytes', `${field}.${alg}`);
    out[alg] = decodeHex(hex).toString('hex');
  }
  return out;
}

/** A `meta` entry of a timestamp or snapshot (version, optional length and hashes). */
export interface FileMeta {
  readonly version: number;
  readonly length: number;
  readonly hashes: Readonly<Record<string, string>>;
}

export function fileMetaOf(value: unknown): FileMeta {
  if (value === undefined || value === null) return { version: 0, length: 0, hashes: {} };
  if (!isObject(value)) throw cannotUnmarshal(value, 'data.FileMeta');
  return { version: int64(value, 'version'), length: int64(value, 'length'), hashes: hashesOf(value.hashes) };
}

/** `meta` of a timestamp or snapshot: file name → meta. */
export function metaMapOf(signed: Record<string, unknown>): Map<string, FileMeta> {
  const meta = signed.meta;
  const out = new Map<string, FileMeta>();
  if (meta === undefined || meta === null) return out;
  if (!isObject(meta)) throw cannotUnmarshal(meta, 'map[string]data.FileMeta', 'meta');
  for (const [name, m] of Object.entries(meta)) out.set(name, fileMetaOf(m));
  return out;
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function goType(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  return typeof v === 'object' ? 'object' : typeof v === 'boolean' ? 'bool' : typeof v;
}

export function cannotUnmarshal(value: unknown, goTypeName: string, field?: string): UptaneError {
  const where = field === undefined ? 'Go value' : `Go struct field .${field}`;
  return new UptaneError('DECODE', `json: cannot unmarshal ${goType(value)} into ${where} of type ${goTypeName}`);
}

export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
