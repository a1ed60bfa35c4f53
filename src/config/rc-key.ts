// The RC key `remote_configuration.key` (PROTOCOL.md §1; reference `getRemoteConfigAuthKeys`): `DDRCM_` + base32
// without padding of a msgpack map {key: app key, org: org ID, dc: datacenter}. Errors never contain the key.
import { Packr, Unpackr } from 'msgpackr';

export interface RemoteConfigKey {
  /** sent as `DD-Application-Key` */
  readonly appKey: string;
  /** director paths of another org are rejected (PROTOCOL.md §5.5 F1, E28) */
  readonly orgId: number;
  readonly datacenter: string;
}

const PREFIX = 'DDRCM_';
const BASE32_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
/** Characters left in a final base32 quantum that can hold whole bytes (Go rejects 1, 3 and 6). */
const VALID_TAIL_CHARS = new Set([0, 2, 4, 5, 7]);

/** Why an RC key is refused; the message names the problem, never the key. */
export class RemoteConfigKeyError extends Error {
  override readonly name = 'RemoteConfigKeyError';
}

const unpackr = new Unpackr({ mapsAsObjects: false, useRecords: false, int64AsType: 'bigint' });
const packr = new Packr({ useRecords: false });

/** Decodes and validates an RC key; throws RemoteConfigKeyError. */
export function parseRemoteConfigKey(text: string): RemoteConfigKey {
  // The reference trims the prefix when present and decodes the rest either way.
  const body = text.startsWith(PREFIX) ? text.slice(PREFIX.length) : text;
  const raw = decodeBase32NoPadding(body);
  let decoded: unknown;
  try {
    // Like msgp's UnmarshalMsg, bytes after the first value are ignored.
    unpackr.unpackMultiple(Buffer.from(raw), (value: unknown) => {
      decoded = value;
      return false;
    });
  } catch (cause) {
    throw new RemoteConfigKeyError('invalid remote config key: not a msgpack value', { cause });
  }
  if (!(decoded instanceof Map)) throw new RemoteConfigKeyError('invalid remote config key: not a msgpack map');
  const appKey = decoded.get('key') as unknown;
  const org = decoded.get('org') as unknown;
  const datacenter = decoded.get('dc') as unknown;
  if (appKey !== undefined && typeof appKey !== 'string')
    throw new RemoteConfigKeyError('invalid remote config key: "key" is not a string');
  if (datacenter !== undefined && typeof datacenter !== 'string')
    throw new RemoteConfigKeyError('invalid remote config key: "dc" is not a string');
  const orgId = toOrgId(org);
  if (!appKey || !datacenter || orgId === 0) {
    throw new RemoteConfigKeyError('invalid remote config key: "key", "org" and "dc" are all required');
  }
  return { appKey, orgId, datacenter };
}

/** Any msgpack integer (int8…uint64); 0 when absent, as Go's zero value. */
function toOrgId(org: unknown): number {
  if (org === undefined) return 0;
  if (typeof org === 'bigint') {
    if (org > BigInt(Number.MAX_SAFE_INTEGER) || org < 0n) {
      throw new RemoteConfigKeyError('invalid remote config key: "org" is out of range');
    }
    return Number(org);
  }
  if (typeof org !== 'number' || !Number.isInteger(org))
    throw new RemoteConfigKeyError('invalid remote config key: "org" is not an integer');
  // Config paths only carry unsigned org IDs (`datadog/<digits>/…`): a negative one could never match.
  if (org < 0) throw new RemoteConfigKeyError('invalid remote config key: "org" is out of range');
  return org;
}

/** Go's `base32.StdEncoding.WithPadding(NoPadding)`: upper-case alphabet, CR/LF ignored, no `=`. */
export function decodeBase32NoPadding(text: string): Uint8Array {
  const out: number[] = [];
  let bits = 0;
  let value = 0;
  let chars = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (ch === '\r' || ch === '\n') continue;
    const index = BASE32_ALPHABET.indexOf(ch);
    if (index < 0) throw new RemoteConfigKeyError(`invalid remote config key: illegal base32 data at input byte ${i}`);
    value = (value << 5) | index;
    bits += 5;
    chars++;
    if (bits >= 8) {
      bits -= 8;
      out.push((value >>> bits) & 0xff);
      value &= (1 << bits) - 1;
    }
  }
  if (!VALID_TAIL_CHARS.has(chars % 8)) {
    throw new RemoteConfigKeyError(`invalid remote config key: illegal base32 data at input byte ${text.length}`);
  }
  return Uint8Array.from(out);
}

/** The inverse, for tests and the simulator. */
export function encodeBase32NoPadding(bytes: Uint8Array): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += BASE32_ALPHABET[(value >>> bits) & 31];
    }
    value &= (1 << bits) - 1;
  }
  if (bits > 0) out += BASE32_ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

/** Builds an RC key (tests, the simulator, documentation examples). */
export function encodeRemoteConfigKey(key: RemoteConfigKey): string {
  const map = new Map<string, string | number>([
    ['key', key.appKey],
    ['org', key.orgId],
    ['dc', key.datacenter],
  ]);
  return PREFIX + encodeBase32NoPadding(packr.pack(map));
}
