// Trust anchors, read-time expiry (§5.6), the EXPIRED flush test, versions, and the persisted state round trip.
import t from 'tap';
import {
  createTrustedState,
  exportState,
  restoreState,
  tufVersions,
  verifyAtRead,
  verifyUpdate,
  type PersistedState,
} from '../../src/uptane/index.js';
import { isDirectorTimestampExpired } from '../../src/uptane/trusted-state.js';
import {
  APM_PATH,
  DAY_MS,
  T0,
  craftRepo,
  doc,
  enc,
  fingerprint,
  respond,
  response,
  setup,
  signedOf,
  type Json,
} from '../helpers/uptane-fixtures.js';

t.test('pinned roots: self-signed to threshold with _type root, expiry ignored', (t) => {
  const { pinned, state0 } = setup({ expiresInMs: 1000 });
  t.same(tufVersions(state0), { directorRoot: 1, directorTargets: 0, configRoot: 1, configSnapshot: 0 });
  t.equal(state0.directorTargets.size, 0);
  t.equal(state0.opaqueBackendState.length, 0);
  t.doesNotThrow(() => createTrustedState(pinned), 'an expired pinned root loads');

  const unsigned = doc(pinned.director);
  unsigned.signatures = [];
  t.throws(() => createTrustedState({ ...pinned, director: enc(JSON.stringify(unsigned)) }), {
    code: 'NO_SIGNATURES',
    message: 'invalid pinned director root: tuf: data has no signatures',
  });
  const tampered = doc(pinned.config);
  tampered.signed.version = 7;
  t.throws(() => createTrustedState({ ...pinned, config: enc(JSON.stringify(tampered)) }), { code: 'THRESHOLD' });
  t.throws(() => createTrustedState({ ...pinned, config: enc('{') }), { code: 'DECODE' });
  t.end();
});

t.test('verifyAtRead: snapshot/targets/delegated expiry without an update, no crypto needed', (t) => {
  const { signer, state0, state1 } = setup();
  t.doesNotThrow(() => verifyAtRead(state1, T0));
  t.doesNotThrow(() => verifyAtRead(state0, T0 + 1000 * DAY_MS), 'no director targets: nothing to check');
  t.throws(() => verifyAtRead(state1, T0 + 366 * DAY_MS), {
    code: 'EXPIRED',
    message: 'tuf: failed to decode snapshot.json: expired at 2027-11-22 09:45:03 +0000 UTC',
  });

  // A delegated role expiring before everything else is what fails first.
  const role = signedOf(signer.currentMetas().config.delegated.APM_TRACING);
  role.version += 1;
  role.expires = '2026-12-01T00:00:00Z';
  const s2 = verifyUpdate(
    state1,
    response(undefined, craftRepo(signer, 'config', { delegated: { APM_TRACING: role } })),
    T0,
  );
  t.doesNotThrow(() => verifyAtRead(s2, Date.UTC(2026, 10, 30)));
  t.throws(() => verifyAtRead(s2, Date.UTC(2026, 11, 1)), {
    code: 'EXPIRED',
    message: 'tuf: failed to decode APM_TRACING.json: expired at 2026-12-01 00:00:00 +0000 UTC',
  });

  // Director targets expiring first.
  const targets = signedOf(signer.currentMetas().director.targets);
  targets.version += 1;
  targets.expires = '2026-12-02T00:00:00Z';
  const s3 = verifyUpdate(state1, response(craftRepo(signer, 'director', { targets })), T0);
  t.throws(() => verifyAtRead(s3, Date.UTC(2026, 11, 2)), {
    message: 'tuf: failed to decode targets.json: expired at 2026-12-02 00:00:00 +0000 UTC',
  });
  t.end();
});

t.test('isDirectorTimestampExpired: expires < now', (t) => {
  const { state0, state1 } = setup();
  const expires = state1.director.timestamp!.expiresMs;
  t.equal(expires, T0 + 7 * DAY_MS);
  t.notOk(isDirectorTimestampExpired(state0, T0 + 100 * DAY_MS), 'no update yet');
  t.notOk(isDirectorTimestampExpired(state1, expires));
  t.ok(isDirectorTimestampExpired(state1, expires + 1));
  t.end();
});

t.test('refreshed timestamps keep the state valid past the first timestamp expiry', (t) => {
  const { signer, state1 } = setup();
  const at = T0 + 5 * DAY_MS;
  t.ok(signer.refreshTimestamps(at));
  const s2 = verifyUpdate(state1, respond(signer, state1), at);
  const s3 = verifyUpdate(s2, respond(signer, s2), T0 + 9 * DAY_MS);
  t.equal(s3, s2, 'no change since');
  t.notOk(isDirectorTimestampExpired(s3, T0 + 9 * DAY_MS));
  t.end();
});

t.test('export/restore round trip re-verifies from the pinned roots', (t) => {
  const { signer, pinned, state0, state1 } = setup();
  const restored = restoreState(JSON.parse(JSON.stringify(exportState(state1))), pinned);
  t.equal(fingerprint(restored), fingerprint(state1));
  t.same([...restored.directorTargets.keys()], [...state1.directorTargets.keys()]);
  t.same(restored.readExpiries, state1.readExpiries);
  t.equal(fingerprint(restoreState(exportState(state0), pinned)), fingerprint(state0), 'roots only');

  signer.rotateRoot('director', T0 + 1000);
  signer.rotateRoot('director', T0 + 1000);
  signer.rotateRoot('config', T0 + 1000, { rotateRoles: true });
  const s2 = verifyUpdate(state1, respond(signer, state1), T0 + 1000);
  t.equal(fingerprint(restoreState(exportState(s2), pinned)), fingerprint(s2), 'after rotations');
  // Expired metadata still restores: expiry is re-checked on reads and updates, not here.
  t.doesNotThrow(() => restoreState(exportState(s2), pinned));
  t.end();
});

t.test('restoreState detects a corrupted store', (t) => {
  const { pinned, state1 } = setup();
  const good = exportState(state1);
  const cases: [string, (p: Json) => void][] = [
    ['file bytes', (p) => (p.files[APM_PATH] = Buffer.from('{"tampered":true}').toString('base64'))],
    ['missing file', (p) => delete p.files[APM_PATH]],
    ['extra file', (p) => (p.files['datadog/2/APM_TRACING/other/config'] = 'e30=')],
    [
      'director targets',
      (p) =>
        (p.director.targets = Buffer.from(
          Buffer.from(p.director.targets, 'base64').toString().replace('"v":1', '"v":2'),
        ).toString('base64')),
    ],
    ['delegated role', (p) => delete p.config.delegated.APM_TRACING],
    ['snapshot', (p) => (p.config.snapshot = p.director.snapshot)],
    ['timestamp missing on one side', (p) => delete p.config.timestamp],
    ['pinned root replaced', (p) => (p.director.roots['1'] = p.config.roots['1'])],
    ['unchained root', (p) => (p.director.roots['3'] = p.director.roots['1'])],
    ['format', (p) => (p.format = 2)],
  ];
  for (const [name, corrupt] of cases) {
    const p = structuredClone(good) as Json;
    corrupt(p);
    t.throws(
      () => restoreState(p as PersistedState, pinned),
      { code: 'CORRUPT_STATE', message: /^persisted state does not verify: / },
      name,
    );
  }
  const other = setup();
  t.throws(() => restoreState(good, other.pinned), { code: 'CORRUPT_STATE' }, 'different pinned roots');
  t.end();
});
