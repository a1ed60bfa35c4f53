// Length and hash checks of downloaded bytes (go-tuf `util.BytesMatchLenAndHashes`, `FileMetaEqual`).
import { sha256Hex, sha512Hex } from './crypto.js';
import { UptaneError } from './error.js';
import type { FileMeta } from './envelope.js';

const HASHERS: Readonly<Record<string, (b: Uint8Array) => string>> = { sha256: sha256Hex, sha512: sha512Hex };

function sortedAlgorithms(hashes: Readonly<Record<string, string>>): string[] {
  return Object.keys(hashes).sort();
}

/** Metadata bytes against a `meta` entry: length when listed, then every listed hash (E11 inner, E12, E13). */
export function bytesMatchLenAndHashes(
  bytes: Uint8Array,
  length: number,
  hashes: Readonly<Record<string, string>>,
): void {
  if (length !== 0 && bytes.length !== length) {
    throw new UptaneError('WRONG_LENGTH', `wrong length, expected ${length} got ${bytes.length}`);
  }
  for (const alg of sortedAlgorithms(hashes)) {
    const hasher = HASHERS[alg];
    if (hasher === undefined) throw new UptaneError('UNKNOWN_HASH_ALGORITHM', `unknown hash algorithm: ${alg}`);
    const actual = hasher(bytes);
    if (actual !== hashes[alg])
      throw new UptaneError('WRONG_HASH', `wrong ${alg} hash, expected ${hashes[alg]} got ${actual}`);
  }
}

/** go-tuf `SnapshotFileMetaEqual` of a local document against a `meta` entry (is the local copy still current?). */
export function localMatches(bytes: Uint8Array, version: number, expected: FileMeta): boolean {
  if (expected.length !== 0 && bytes.length !== expected.length) return false;
  for (const alg of sortedAlgorithms(expected.hashes)) {
    const hasher = HASHERS[alg];
    if (hasher === undefined || hasher(bytes) !== expected.hashes[alg]) return false;
  }
  return version === expected.version;
}

/**
 * A target file against its target meta (go-tuf `Client.Download`): size first (E11), then the hashes the meta lists
 * (E13, E12; no shared algorithm fails too).
 */
export function checkTargetFile(
  path: string,
  bytes: Uint8Array,
  length: number,
  hashes: Readonly<Record<string, string>>,
): void {
  if (bytes.length !== length) {
    throw new UptaneError(
      'WRONG_LENGTH',
      `tuf: unexpected file size: ${path} (expected ${length} bytes, got ${bytes.length} bytes)`,
    );
  }
  const algorithms = sortedAlgorithms(hashes);
  for (const alg of algorithms) {
    if (HASHERS[alg] === undefined) {
      throw new UptaneError(
        'UNKNOWN_HASH_ALGORITHM',
        `tuf: failed to download ${path}: unknown hash algorithm: ${alg}`,
      );
    }
  }
  if (algorithms.length === 0) {
    throw new UptaneError(
      'WRONG_HASH',
      `tuf: failed to download ${path}: no common hash function, expected one of [], got []`,
    );
  }
  for (const alg of algorithms) {
    const actual = HASHERS[alg]!(bytes);
    if (actual !== hashes[alg]) {
      throw new UptaneError(
        'WRONG_HASH',
        `tuf: failed to download ${path}: wrong ${alg} hash, expected ${hashes[alg]} got ${actual}`,
      );
    }
  }
}
