// The real Datadog roots (PROTOCOL.md §5.1) and the §3.3 test vector.
import { readFileSync } from 'node:fs';
import { verify as cryptoVerify, createPublicKey } from 'node:crypto';
import t from 'tap';
import { canonicalBytes, createTrustedState, keyId, verifyUpdate, type TufPublicKey } from '../../src/uptane/index.js';
import { keyPairFromSeed } from '../../src/backend/signer/keys.js';
import { embeddedRootsForSite } from '../../src/config/index.js';

const SITE_NAMES = { prod: 'datadoghq.com', staging: 'datad0g.com', gov: 'ddog-gov.com' } as const;

// A copy of the published roots kept with the tests (a clone needs nothing beside it); the embedded ones are
// checked against it byte for byte.
const ROOTS_DIR = new URL('../fixtures/datadog-roots/', import.meta.url);
const load = (name: string): Uint8Array => new Uint8Array(readFileSync(new URL(name, ROOTS_DIR)));

const SITES = [
  { site: 'prod', keytype: 'ed25519', expired: '1970-01-01 00:00:00 +0000 UTC' },
  { site: 'staging', keytype: 'ed25519', expired: '1970-01-01 00:00:00 +0000 UTC' },
  { site: 'gov', keytype: 'ecdsa', expired: '0001-01-01 00:00:00 +0000 UTC' },
] as const;

for (const { site, keytype, expired } of SITES) {
  t.test(`${site}: the embedded roots are the published ones`, (t) => {
    const embedded = embeddedRootsForSite(SITE_NAMES[site]);
    t.ok(Buffer.from(embedded.config).equals(Buffer.from(load(`${site}.config.json`))), 'config root');
    t.ok(Buffer.from(embedded.director).equals(Buffer.from(load(`${site}.director.json`))), 'director root');
    t.end();
  });

  t.test(`${site} roots load, self-verify (2 of 2) and carry computed key ids`, (t) => {
    const roots = { config: load(`${site}.config.json`), director: load(`${site}.director.json`) };
    const state = createTrustedState(roots);
    for (const repo of ['config', 'director'] as const) {
      const signed = state[repo].root.signed as {
        keys: Record<string, TufPublicKey>;
        roles: Record<string, { threshold: number }>;
        consistent_snapshot: boolean;
      };
      t.equal(signed.consistent_snapshot, true);
      for (const role of ['root', 'timestamp', 'snapshot', 'targets'])
        t.equal(signed.roles[role]!.threshold, 2, `${repo} ${role} threshold`);
      for (const [id, key] of Object.entries(signed.keys)) {
        t.equal(key.keytype, keytype);
        t.equal(keyId(key), id, `${repo} keyid = sha256(canonical(key))`);
      }
      // One signature short of the threshold is rejected.
      const doc = JSON.parse(Buffer.from(roots[repo]).toString());
      doc.signatures = doc.signatures.slice(0, 1);
      t.throws(() => createTrustedState({ ...roots, [repo]: new Uint8Array(Buffer.from(JSON.stringify(doc))) }), {
        code: 'THRESHOLD',
      });
    }
    if (expired !== undefined) {
      // §5.1: the embedded v1 roots are expired on purpose; only a newer root chain lets updates through.
      t.throws(() => verifyUpdate(state, {}, Date.UTC(2026, 10, 22)), {
        code: 'EXPIRED',
        message: `failed updating director repository: tuf: failed to decode root.json: expired at ${expired}`,
      });
    }
    t.end();
  });
}

t.test('PROTOCOL §3.3 test vector: seed 32×0x07, signature over the canonical signed', (t) => {
  const pair = keyPairFromSeed(new Uint8Array(32).fill(7));
  t.equal(pair.publicKey.keyval.public, 'ea4a6c63e29c520abef5507b132ec5f9954776aebebe7b92421eea691446d22c');
  const raw =
    '{"signatures":[{"keyid":"eab68a81e62173a71a44258d69ff4876569e173ae1d73ce908b7c8079b744ada","sig":"34ed2dd0816df9f012de61eb19716a4eb9a8bc99f015341b10ca15e6dab35a09daa601ac26537c89b4bc0fc8b931a8d3a5b984f681a3d21679544e9ad21c0807"}],"signed":{"_type":"targets","spec_version":"1.0.0","version":1795344487,"expires":"2099-01-01T00:00:00Z","targets":{"datadog/2/FFE_FLAGS/ffe-bench/config":{"length":59,"hashes":{"sha256":"b8c0e36703a60978f8a9f8e4e472c4a04b44ffefbcce9c569b623ddaac127b9e"},"custom":{"v":1}}},"custom":{"opaque_backend_state":"eyJmb28iOiJiYXIifQ=="}}}';
  t.equal(Buffer.byteLength(raw), 562);
  const doc = JSON.parse(raw);
  t.equal(pair.keyId, doc.signatures[0].keyid, 'computed keyid');
  const spki = Buffer.concat([
    Buffer.from('302a300506032b6570032100', 'hex'),
    Buffer.from(pair.publicKey.keyval.public, 'hex'),
  ]);
  const key = createPublicKey({ key: spki, format: 'der', type: 'spki' });
  t.ok(
    cryptoVerify(null, canonicalBytes(doc.signed), key, Buffer.from(doc.signatures[0].sig, 'hex')),
    'signature verifies',
  );
  t.end();
});
