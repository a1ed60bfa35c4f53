// Key pairs the signer holds: ed25519 (prod/staging style) or ECDSA P-256 (gov style), PROTOCOL.md §5.1/§5.8.
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign as cryptoSign,
  type KeyObject,
} from 'node:crypto';
import { keyId as computeKeyId, type TufPublicKey } from '../../uptane/index.js';

export type KeyType = 'ed25519' | 'ecdsa';

/** A signing key: its TUF public form, computed key id and PKCS#8 PEM private key. JSON-serialisable. */
export interface SignerKeyPair {
  readonly keyId: string;
  readonly publicKey: TufPublicKey;
  readonly privateKeyPem: string;
}

const KEYID_HASH_ALGORITHMS = ['sha256', 'sha512'] as const;
// PKCS#8 wrapper of a raw ed25519 seed (RFC 8410).
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

export function generateKeyPair(type: KeyType): SignerKeyPair {
  if (type === 'ed25519') {
    const { privateKey } = generateKeyPairSync('ed25519');
    return fromPrivateKey(privateKey);
  }
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return fromPrivateKey(privateKey);
}

/** Deterministic ed25519 key from a 32-byte seed (test vectors, PROTOCOL.md §3.3). */
export function keyPairFromSeed(seed: Uint8Array): SignerKeyPair {
  if (seed.length !== 32) throw new RangeError(`ed25519 seed must be 32 bytes, got ${seed.length}`);
  return fromPrivateKey(
    createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' }),
  );
}

function fromPrivateKey(privateKey: KeyObject): SignerKeyPair {
  const privateKeyPem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  let publicKey: TufPublicKey;
  if (privateKey.asymmetricKeyType === 'ed25519') {
    const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
    publicKey = {
      keytype: 'ed25519',
      scheme: 'ed25519',
      keyid_hash_algorithms: [...KEYID_HASH_ALGORITHMS],
      keyval: { public: spki.subarray(spki.length - 32).toString('hex') },
    };
  } else {
    const pem = createPublicKey(privateKey).export({ format: 'pem', type: 'spki' }).toString();
    publicKey = {
      keytype: 'ecdsa',
      scheme: 'ecdsa-sha2-nistp256',
      keyid_hash_algorithms: [...KEYID_HASH_ALGORITHMS],
      keyval: { public: pem },
    };
  }
  return { keyId: computeKeyId(publicKey), publicKey, privateKeyPem };
}

const privateKeyCache = new Map<string, KeyObject>();

/** Sign `message` with `pair` and return the hex signature (ed25519 raw, ECDSA DER). */
export function signHex(pair: SignerKeyPair, message: Uint8Array): string {
  let key = privateKeyCache.get(pair.privateKeyPem);
  if (key === undefined) {
    key = createPrivateKey(pair.privateKeyPem);
    privateKeyCache.set(pair.privateKeyPem, key);
  }
  const digest = key.asymmetricKeyType === 'ed25519' ? null : 'sha256';
  return cryptoSign(digest, message, key).toString('hex');
}
