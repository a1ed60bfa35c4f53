// Canonical JSON, key ids and signature checks (PROTOCOL.md §5.3). node:crypto only; no I/O.
import { createHash, createPublicKey, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { canonicalize } from '@tufjs/canonical-json';
import { UptaneError } from './error.js';

/** A TUF public key as it appears in `root.keys` / `delegations.keys`. */
export interface TufPublicKey {
  readonly keytype: string;
  readonly scheme: string;
  readonly keyid_hash_algorithms?: readonly string[];
  readonly keyval: { readonly public: string } & Readonly<Record<string, unknown>>;
}

/** OLPC canonical JSON bytes (go-securesystemslib `cjson`); throws on floats. */
export function canonicalBytes(value: unknown): Buffer {
  return Buffer.from(canonicalize(value), 'utf8');
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function sha512Hex(bytes: Uint8Array): string {
  return createHash('sha512').update(bytes).digest('hex');
}

/** keyid = sha256(canonical({keyid_hash_algorithms, keytype, keyval, scheme})); empty algorithm lists are omitted. */
export function keyId(key: TufPublicKey): string {
  const canonical: Record<string, unknown> = { keytype: key.keytype, scheme: key.scheme, keyval: key.keyval };
  if (key.keyid_hash_algorithms !== undefined && key.keyid_hash_algorithms.length > 0) {
    canonical.keyid_hash_algorithms = key.keyid_hash_algorithms;
  }
  return sha256Hex(canonicalBytes(canonical));
}

const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const P256_SPKI_PREFIX = Buffer.from('3059301306072a8648ce3d020106082a8648ce3d030107034200', 'hex');
const HEX = /^[0-9a-fA-F]*$/;

/** Go `hex.DecodeString` semantics: odd length or a non-hex byte fails. */
export function decodeHex(text: string): Buffer {
  if (text.length % 2 !== 0) throw new UptaneError('DECODE', 'encoding/hex: odd length hex string');
  if (!HEX.test(text)) {
    const bad = [...text].find((c) => !/[0-9a-fA-F]/.test(c)) ?? '?';
    throw new UptaneError(
      'DECODE',
      `encoding/hex: invalid byte: U+${bad.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')} '${bad}'`,
    );
  }
  return Buffer.from(text, 'hex');
}

/** A public key ready to check signatures, identified by its computed key id. */
export interface KeyVerifier {
  readonly id: string;
  verify(message: Uint8Array, signature: Uint8Array): boolean;
}

/** Build a verifier for an ed25519 or ECDSA P-256 key; throws DECODE (`tuf: invalid key`) otherwise, as go-tuf's AddKey. */
export function createKeyVerifier(key: TufPublicKey): KeyVerifier {
  const id = keyId(key);
  let keyObject: KeyObject;
  let digest: string | null;
  try {
    if (key.keytype === 'ed25519') {
      const raw = decodeHex(key.keyval.public);
      if (raw.length !== 32) throw new Error('ed25519 public key must be 32 bytes');
      keyObject = createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
      digest = null;
    } else if (key.keytype === 'ecdsa' || key.keytype === 'ecdsa-sha2-nistp256') {
      const pub = key.keyval.public;
      keyObject = pub.startsWith('-----BEGIN')
        ? createPublicKey(pub)
        : // legacy keys carry the hex of the uncompressed point
          createPublicKey({ key: Buffer.concat([P256_SPKI_PREFIX, decodeHex(pub)]), format: 'der', type: 'spki' });
      if (keyObject.asymmetricKeyType !== 'ec' || keyObject.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
        throw new Error('not a P-256 key');
      }
      digest = 'sha256';
    } else {
      throw new Error(`unsupported key type ${key.keytype}`);
    }
  } catch (err) {
    throw new UptaneError('DECODE', 'tuf: invalid key', { cause: err });
  }
  return {
    id,
    verify(message, signature) {
      try {
        return cryptoVerify(digest, message, keyObject, signature);
      } catch {
        return false;
      }
    },
  };
}

/** True when `value` looks like a TUF public key object (shape only). */
export function isTufPublicKey(value: unknown): value is TufPublicKey {
  if (typeof value !== 'object' || value === null) return false;
  const k = value as Record<string, unknown>;
  const keyval = k.keyval as Record<string, unknown> | undefined;
  return (
    typeof k.keytype === 'string' &&
    typeof k.scheme === 'string' &&
    typeof keyval === 'object' &&
    keyval !== null &&
    typeof keyval.public === 'string' &&
    (k.keyid_hash_algorithms === undefined ||
      (Array.isArray(k.keyid_hash_algorithms) && k.keyid_hash_algorithms.every((a) => typeof a === 'string')))
  );
}
