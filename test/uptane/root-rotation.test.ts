// Root rotation (PROTOCOL.md §5.5 C2–C4): success v1→v3, expiry only on the final root, and the failure modes.
import t from 'tap';
import { UptaneError, tufVersions, verifyUpdate } from '../../src/uptane/index.js';
import { configMetasUpdateSummary } from '../../src/uptane/verify-update.js';
import {
  DAY_MS,
  T0,
  baseFiles,
  envelope,
  fingerprint,
  generateKeyPair,
  respond,
  response,
  setup,
  signedOf,
  type Json,
} from '../helpers/uptane-fixtures.js';

t.test('v1 → v3: each root signed by the previous and its own keys', (t) => {
  const { signer, state1 } = setup();
  signer.rotateRoot('director', T0 + 1000);
  signer.rotateRoot('director', T0 + 2000);
  signer.rotateRoot('config', T0 + 2000);
  const resp = respond(signer, state1);
  t.same(
    resp.directorMetas!.roots!.map((r) => r.version),
    [2, 3],
    'roots above the reported version',
  );
  const s2 = verifyUpdate(state1, resp, T0 + 3000);
  t.same(tufVersions(s2), { ...tufVersions(state1), directorRoot: 3, configRoot: 2 });
  t.same([...s2.director.roots.keys()], [1, 2, 3]);
  t.same(
    Buffer.from(s2.director.roots.get(3)!),
    Buffer.from(signer.roots('director')[2]!),
    'exact bytes kept for catch-up',
  );
  t.equal(s2.director.root.version, 3);
  // The metadata signed before the rotation still verifies: the other role keys did not change.
  t.equal(s2.files.size, 2);
  t.end();
});

t.test('rotating every role key re-signs everything (fast-forward recovery path)', (t) => {
  const { signer, state1 } = setup();
  signer.rotateRoot('director', T0 + 1000, { rotateRoles: true });
  signer.rotateRoot('config', T0 + 1000, { rotateRoles: true });
  const s2 = verifyUpdate(state1, respond(signer, state1), T0 + 2000);
  t.equal(tufVersions(s2).directorRoot, 2);
  t.ok(tufVersions(s2).directorTargets > tufVersions(state1).directorTargets);
  t.equal(s2.files.size, 2);

  // Old metadata under new keys: the stale local copies are dropped and a new timestamp is required.
  const { signer: signer2, state1: base } = setup();
  const metasBefore = signer2.currentMetas().director;
  signer2.rotateRoot('director', T0 + 1000, { rotateRoles: true });
  const stale = response({
    roots: [{ version: 2, raw: signer2.roots('director')[1]! }],
    timestamp: { version: 1, raw: metasBefore.timestamp! },
  });
  t.throws(() => verifyUpdate(base, stale, T0 + 2000), {
    code: 'THRESHOLD',
    message:
      'failed updating director repository: tuf: failed to decode timestamp.json: tuf: valid signatures did not meet threshold',
  });
  t.end();
});

t.test('an expired intermediate root is fine; an expired final root is not', (t) => {
  const { signer, state1 } = setup();
  const v2 = signedOf(signer.rootV1('director'));
  v2.version = 2;
  v2.expires = '1970-01-01T00:00:00Z';
  const v3 = signedOf(signer.rootV1('director'));
  v3.version = 3;
  const roots = [
    { version: 2, raw: signer.signRaw('director', 'root', v2) },
    { version: 3, raw: signer.signRaw('director', 'root', v3) },
  ];
  const s2 = verifyUpdate(state1, response({ roots }), T0);
  t.equal(tufVersions(s2).directorRoot, 3);

  const before = fingerprint(state1);
  t.throws(() => verifyUpdate(state1, response({ roots: roots.slice(0, 1) }), T0), {
    code: 'EXPIRED',
    message:
      'failed updating director repository: tuf: failed to decode root.json: expired at 1970-01-01 00:00:00 +0000 UTC',
  });
  t.throws(() => verifyUpdate(state1, response(), T0 + 400 * DAY_MS), {
    code: 'EXPIRED',
    message:
      /^failed updating director repository: tuf: failed to decode root.json: expired at 2027-11-22 09:45:03 \+0000 UTC$/,
  });
  t.equal(fingerprint(state1), before);
  t.end();
});

t.test('bad rotations', (t) => {
  const { signer, state1 } = setup();
  const before = fingerprint(state1);
  const fresh = generateKeyPair('ed25519');
  const withNewRootKey = (): Json => {
    const r = signedOf(signer.rootV1('director'));
    r.version = 2;
    r.keys[fresh.keyId] = fresh.publicKey;
    r.roles.root = { keyids: [fresh.keyId], threshold: 1 };
    return r;
  };
  const threshold = 'failed updating director repository: tuf: valid signatures did not meet threshold';
  t.test('signed only by the new keys', (t) => {
    t.throws(
      () => verifyUpdate(state1, response({ roots: [{ version: 2, raw: envelope(withNewRootKey(), [fresh]) }] }), T0),
      {
        code: 'THRESHOLD',
        message: threshold,
      },
    );
    t.end();
  });
  t.test('signed only by the old keys', (t) => {
    t.throws(
      () =>
        verifyUpdate(
          state1,
          response({ roots: [{ version: 2, raw: signer.signRaw('director', 'root', withNewRootKey()) }] }),
          T0,
        ),
      {
        code: 'THRESHOLD',
        message: threshold,
      },
    );
    t.end();
  });
  t.test('signed by a wrong key', (t) => {
    const r = signedOf(signer.rootV1('director'));
    r.version = 2;
    t.throws(
      () =>
        verifyUpdate(
          state1,
          response({ roots: [{ version: 2, raw: signer.signRaw('director', 'root', r, { wrongKey: true }) }] }),
          T0,
        ),
      {
        code: 'THRESHOLD',
        message: threshold,
      },
    );
    t.end();
  });
  t.test('config rotation failures are wrapped with the metas summary', (t) => {
    const r = signedOf(signer.rootV1('config'));
    r.version = 2;
    const raw = signer.signRaw('config', 'root', r, { wrongKey: true });
    const err = t.throws(() =>
      verifyUpdate(state1, response(undefined, { roots: [{ version: 2, raw }] }), T0),
    ) as UptaneError;
    t.equal(err.message, 'could not update config repository [roots=2 ]: tuf: valid signatures did not meet threshold');
    t.equal(err.code, 'THRESHOLD');
    t.type(err.cause, UptaneError, 'the original error is the cause');
    t.end();
  });
  t.equal(fingerprint(state1), before);
  t.end();
});

t.test('W2 summary reproduces the reference formatting', (t) => {
  t.equal(configMetasUpdateSummary(null), 'no metas in update');
  t.equal(configMetasUpdateSummary({}), '');
  t.equal(
    configMetasUpdateSummary({
      roots: [{ version: 2 }, { version: 3 }, { version: 4 }],
      topTargets: { version: 7 },
      snapshot: { version: 8 },
      timestamp: { version: 8 },
    }),
    'roots=2,4 targets=7 snapshot=8 timestamp=8',
  );
  t.equal(configMetasUpdateSummary({ snapshot: { version: 8 } }), 'snapshot=8 ');
  t.end();
});

t.test('roots arriving beside unchanged metadata rotate without touching files', (t) => {
  const { signer, state1 } = setup({}, baseFiles());
  signer.rotateRoot('director', T0 + 1000);
  const s2 = verifyUpdate(state1, response({ roots: [{ version: 2, raw: signer.roots('director')[1]! }] }), T0 + 1000);
  t.equal(tufVersions(s2).directorRoot, 2);
  t.equal(s2.files.get(baseFiles()[0]!.path), state1.files.get(baseFiles()[0]!.path));
  t.end();
});
