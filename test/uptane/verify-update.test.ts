// PROTOCOL.md §5.5 steps and every row of the §5.9 catalogue: each failure asserts the exact message and that the
// trusted state is left untouched.
import t, { type Test } from 'tap';
import {
  UptaneError,
  exportState,
  tufVersions,
  verifyOrg,
  verifyUpdate,
  sha256Hex,
  type TrustedState,
} from '../../src/uptane/index.js';
import type { ILatestConfigsResponse } from '../../src/proto/index.js';
import {
  APM_BYTES,
  APM_PATH,
  DAY_MS,
  FFE_PATH,
  ORG_UUID,
  T0,
  baseFiles,
  craftRepo,
  directorTargetsWith,
  doc,
  enc,
  envelope,
  fingerprint,
  generateKeyPair,
  respond,
  response,
  setup,
  signedOf,
} from '../helpers/uptane-fixtures.js';

function rejects(
  t: Test,
  state: TrustedState,
  resp: ILatestConfigsResponse,
  nowMs: number,
  code: string,
  message: string | RegExp,
): void {
  const before = fingerprint(state);
  let caught: unknown;
  try {
    verifyUpdate(state, resp, nowMs);
  } catch (err) {
    caught = err;
  }
  t.ok(caught instanceof UptaneError, 'throws an UptaneError');
  const e = caught as UptaneError;
  t.equal(e.code, code, 'code');
  if (typeof message === 'string') t.equal(e.message, message, 'message');
  else t.match(e.message, message, 'message');
  t.equal(fingerprint(state), before, 'trusted state unchanged');
  t.ok(Object.isFrozen(state), 'state is frozen');
}

const stripSigs = (raw: Uint8Array): Uint8Array => {
  const d = doc(raw);
  d.signatures = [];
  return enc(JSON.stringify(d));
};

t.test('first full update: metadata, files, custom fields', (t) => {
  const { state1 } = setup({ opaqueBackendState: 'eyJmb28iOiJiYXIifQ==', agentRefreshIntervalS: 5 });
  const v = tufVersions(state1);
  t.equal(v.directorRoot, 1);
  t.equal(v.configRoot, 1);
  t.equal(v.configSnapshot, 1);
  t.equal(v.directorTargets, Math.floor(T0 / 1000), 'director targets version = epoch seconds');
  t.same([...state1.files.keys()].sort(), [APM_PATH, FFE_PATH]);
  t.equal(Buffer.from(state1.files.get(APM_PATH)!).toString(), APM_BYTES);
  t.same(state1.directorTargets.get(FFE_PATH)!.custom, { expires: 0, v: 1 });
  t.equal(Buffer.from(state1.opaqueBackendState).toString(), '{"foo":"bar"}');
  t.equal(state1.agentRefreshIntervalS, 5);
  t.equal(state1.configOrgUuid, ORG_UUID);
  t.same([...state1.config.delegated.keys()].sort(), ['APM_TRACING', 'FFE_FLAGS']);
  t.same([...state1.director.roots.keys()], [1]);
  t.end();
});

t.test('nothing changed → the same state; delta updates carry unchanged files over', (t) => {
  const { signer, state1 } = setup();
  t.equal(verifyUpdate(state1, respond(signer, state1), T0 + 1000), state1, 'same object');
  t.equal(verifyUpdate(state1, response(), T0 + 1000), state1, 'empty response');

  const files = baseFiles();
  files[0] = { path: APM_PATH, raw: enc('{"lib_config":{"tracing_sampling_rate":1}}') };
  t.ok(signer.publish(files, T0 + 2000));
  const resp = respond(signer, state1);
  t.same(
    resp.targetFiles!.map((f) => f.path),
    [APM_PATH],
    'only the changed file is sent',
  );
  const state2 = verifyUpdate(state1, resp, T0 + 3000);
  t.not(state2, state1);
  t.equal(Buffer.from(state2.files.get(APM_PATH)!).toString(), '{"lib_config":{"tracing_sampling_rate":1}}');
  t.equal(state2.files.get(FFE_PATH), state1.files.get(FFE_PATH), 'unchanged file carried over');
  t.equal(state2.directorTargets.get(APM_PATH)!.custom!.v, 2);

  // Removing a config prunes its file (§5.5 E).
  t.ok(signer.publish([files[1]!], T0 + 4000));
  const state3 = verifyUpdate(state2, respond(signer, state2), T0 + 5000);
  t.same([...state3.files.keys()], [FFE_PATH]);
  t.end();
});

t.test('consistent-snapshot file paths are stored under the target path', (t) => {
  const { signer, state1 } = setup({ consistentSnapshotPaths: true });
  t.same([...state1.files.keys()].sort(), [APM_PATH, FFE_PATH]);
  const sent = respond(signer, state1, { hasError: true }).targetFiles!.map((f) => f.path);
  t.ok(sent.includes(`datadog/2/APM_TRACING/cfg-a/${sha256Hex(enc(APM_BYTES))}.config`));
  t.end();
});

t.test('ECDSA P-256 and 2-of-2 repositories verify', (t) => {
  for (const opts of [{ keyType: 'ecdsa' as const }, { threshold: 2 }, { keyType: 'ecdsa' as const, threshold: 2 }]) {
    const { signer, state1 } = setup(opts);
    t.equal(state1.files.size, 2, JSON.stringify(opts));
    signer.rotateRoot('config', T0 + 1000);
    t.ok(signer.publish([baseFiles()[0]!], T0 + 1000));
    const s2 = verifyUpdate(state1, respond(signer, state1), T0 + 2000);
    t.equal(tufVersions(s2).configRoot, 2);
  }
  t.end();
});

t.test('E1 no signatures', (t) => {
  const { signer, state1 } = setup();
  rejects(
    t,
    state1,
    response(craftRepo(signer, 'director', { timestampRaw: stripSigs })),
    T0,
    'NO_SIGNATURES',
    'failed updating director repository: tuf: failed to decode timestamp.json: tuf: data has no signatures',
  );
  t.end();
});

t.test('E2 unknown role', (t) => {
  const { signer, state1 } = setup();
  const root = signedOf(signer.rootV1('director'));
  root.version = 2;
  delete root.roles.timestamp;
  const metas = craftRepo(signer, 'director');
  metas.roots = [{ version: 2, raw: signer.signRaw('director', 'root', root) }];
  rejects(
    t,
    state1,
    response(metas),
    T0,
    'UNKNOWN_ROLE',
    'failed updating director repository: tuf: failed to decode timestamp.json: tuf: unknown role "timestamp"',
  );
  t.end();
});

t.test('E3 below threshold: wrong key, single signature of 2-of-2, duplicate signature, tampered signed part', (t) => {
  const { signer, state1 } = setup();
  const targets = signedOf(signer.currentMetas().director.targets);
  targets.version += 1;
  rejects(
    t,
    state1,
    response(craftRepo(signer, 'director', { targets, targetsWrongKey: true })),
    T0,
    'THRESHOLD',
    'failed updating director repository: tuf: failed to decode targets.json: tuf: valid signatures did not meet threshold',
  );

  // Same length, one hash digit changed after signing: the signature no longer verifies.
  const metas = craftRepo(signer, 'director', { targets });
  const tampered = Buffer.from(metas.targets!.raw!)
    .toString()
    .replace(/"sha256":"(.)/, (_m, c: string) => `"sha256":"${c === 'a' ? 'b' : 'a'}`);
  metas.targets = { version: targets.version, raw: enc(tampered) };
  rejects(
    t,
    state1,
    response(metas),
    T0,
    'THRESHOLD',
    'failed updating director repository: tuf: failed to decode targets.json: tuf: valid signatures did not meet threshold',
  );

  const two = setup({ threshold: 2 });
  const oneSig = (raw: Uint8Array): Uint8Array => {
    const d = doc(raw);
    d.signatures = [d.signatures[0], d.signatures[0]];
    return enc(JSON.stringify(d));
  };
  rejects(
    t,
    two.state1,
    response(craftRepo(two.signer, 'director', { timestampRaw: oneSig })),
    T0,
    'THRESHOLD',
    'failed updating director repository: tuf: failed to decode timestamp.json: tuf: valid signatures did not meet threshold',
  );
  t.end();
});

t.test('a bad signature beside a threshold of good ones is skipped', (t) => {
  const { signer, state1 } = setup();
  const addBad = (raw: Uint8Array): Uint8Array => {
    const d = doc(raw);
    d.signatures.unshift({ keyid: d.signatures[0].keyid, sig: '00'.repeat(64) });
    return enc(JSON.stringify(d));
  };
  const s2 = verifyUpdate(state1, response(craftRepo(signer, 'director', { timestampRaw: addBad })), T0);
  t.equal(tufVersions(s2).directorTargets, tufVersions(state1).directorTargets);
  t.not(s2, state1);
  t.end();
});

t.test('E4 wrong _type', (t) => {
  const { signer, state1 } = setup();
  rejects(
    t,
    state1,
    response(craftRepo(signer, 'director', { timestamp: (s) => (s._type = 'snapshot') })),
    T0,
    'WRONG_TYPE',
    'failed updating director repository: tuf: failed to decode timestamp.json: tuf: meta file has wrong type',
  );
  t.end();
});

t.test('E5 rollback: targets, timestamp, snapshot, delegated role', (t) => {
  const { signer, state1 } = setup();
  const cur = tufVersions(state1).directorTargets;
  const targets = signedOf(signer.currentMetas().director.targets);
  targets.version = cur - 1;
  rejects(
    t,
    state1,
    response(craftRepo(signer, 'director', { targets })),
    T0,
    'ROLLBACK',
    `failed updating director repository: version ${cur - 1} is lower than current version ${cur}`,
  );
  rejects(
    t,
    state1,
    response(craftRepo(signer, 'director', { timestamp: (s) => (s.version = 0) })),
    T0,
    'ROLLBACK',
    'failed updating director repository: tuf: failed to decode timestamp.json: version 0 is lower than current version 1',
  );
  rejects(
    t,
    state1,
    response(craftRepo(signer, 'director', { snapshot: (s) => (s.version = 0) })),
    T0,
    'ROLLBACK',
    'failed updating director repository: version 0 is lower than current version 1',
  );
  rejects(
    t,
    state1,
    response(undefined, craftRepo(signer, 'config', { snapshot: (s) => (s.meta['APM_TRACING.json'].version = 0) })),
    T0,
    'ROLLBACK',
    'could not update config repository [snapshot=2 timestamp=2]: version 0 is lower than current version 1',
  );
  t.end();
});

t.test('E6 expired: freeze of an unchanged timestamp, expired targets, expired delegated role', (t) => {
  const { signer, state1 } = setup();
  const later = T0 + 8 * DAY_MS;
  const message =
    'failed updating director repository: tuf: failed to decode timestamp.json: expired at 2026-11-29 09:45:03 +0000 UTC';
  rejects(t, state1, respond(signer, state1), later, 'EXPIRED', message);
  rejects(t, state1, response(), later, 'EXPIRED', message);

  const targets = signedOf(signer.currentMetas().director.targets);
  targets.version += 1;
  targets.expires = '2026-11-22T09:45:00Z';
  rejects(
    t,
    state1,
    response(craftRepo(signer, 'director', { targets })),
    T0,
    'EXPIRED',
    'failed updating director repository: tuf: failed to decode targets.json: expired at 2026-11-22 09:45:00 +0000 UTC',
  );

  const role = signedOf(signer.currentMetas().config.delegated.APM_TRACING);
  role.version += 1;
  role.expires = '2026-11-22T09:45:00Z';
  rejects(
    t,
    state1,
    response(undefined, craftRepo(signer, 'config', { delegated: { APM_TRACING: role } })),
    T0,
    'EXPIRED',
    'tuf: failed to decode APM_TRACING.json: expired at 2026-11-22 09:45:00 +0000 UTC',
  );
  t.end();
});

t.test('E7 invalid threshold and E8 root version', (t) => {
  const { signer, state1 } = setup();
  const root = signedOf(signer.rootV1('director'));
  root.version = 2;
  root.roles.snapshot.threshold = 0;
  rejects(
    t,
    state1,
    response({ roots: [{ version: 2, raw: signer.signRaw('director', 'root', root) }] }),
    T0,
    'INVALID_THRESHOLD',
    'failed updating director repository: tuf: invalid role threshold',
  );
  const skip = signedOf(signer.rootV1('director'));
  skip.version = 3;
  rejects(
    t,
    state1,
    response({ roots: [{ version: 2, raw: signer.signRaw('director', 'root', skip) }] }),
    T0,
    'ROOT_VERSION',
    'failed updating director repository: version 3 does not match the expected version 2',
  );
  t.end();
});

t.test('E9 missing metadata', (t) => {
  const { signer, state0, state1 } = setup();
  const full = respond(signer, state0, { currentConfigRootVersion: 0, currentDirectorRootVersion: 0 });
  rejects(
    t,
    state0,
    response({ ...full.directorMetas!, timestamp: null }, full.configMetas!, full.targetFiles!),
    T0,
    'MISSING_METADATA',
    'failed updating director repository: tuf: missing remote metadata timestamp.json',
  );
  rejects(
    t,
    state0,
    response(full.directorMetas!, undefined, full.targetFiles!),
    T0,
    'MISSING_METADATA',
    'could not update config repository [no metas in update]: tuf: missing remote metadata timestamp.json',
  );
  rejects(
    t,
    state1,
    response(craftRepo(signer, 'director', { timestamp: (s) => (s.meta['snapshot.json'].version = 99) })),
    T0,
    'MISSING_METADATA',
    'failed updating director repository: tuf: missing remote metadata snapshot.json',
  );
  t.end();
});

t.test('E10 oversized timestamp and root', (t) => {
  const { signer, state1 } = setup();
  const metas = craftRepo(signer, 'director', { timestamp: (s) => (s.custom = { pad: 'x'.repeat(17_000) }) });
  rejects(
    t,
    state1,
    response(metas),
    T0,
    'TOO_LARGE',
    `failed updating director repository: tuf: timestamp.json size ${metas.timestamp!.raw!.length} bytes greater than maximum 16384 bytes`,
  );
  const root = signedOf(signer.rootV1('director'));
  root.version = 2;
  root.pad = 'x'.repeat(512_001);
  const raw = signer.signRaw('director', 'root', root);
  rejects(
    t,
    state1,
    response({ roots: [{ version: 2, raw }] }),
    T0,
    'TOO_LARGE',
    `failed updating director repository: tuf: 2.root.json size ${raw.length} bytes greater than maximum 512000 bytes`,
  );
  t.end();
});

t.test('E11/E12/E13/E14 snapshot length, hash, algorithm, version', (t) => {
  const { signer, state1 } = setup();
  let expectedLen = 0;
  const grow = (raw: Uint8Array): Uint8Array => {
    expectedLen = raw.length;
    return enc(Buffer.from(raw).toString() + ' ');
  };
  const grown = response(craftRepo(signer, 'director', { serveSnapshot: grow }));
  rejects(
    t,
    state1,
    grown,
    T0,
    'WRONG_LENGTH',
    `failed updating director repository: tuf: unexpected file size: snapshot.json (expected ${expectedLen} bytes, got ${expectedLen + 1} bytes)`,
  );

  let expectedHash = '';
  let actualHash = '';
  const flip = (raw: Uint8Array): Uint8Array => {
    expectedHash = sha256Hex(raw);
    const out = enc(Buffer.from(raw).toString().replace('"expires":"2027', '"expires":"2028'));
    actualHash = sha256Hex(out);
    return out;
  };
  const flipped = response(craftRepo(signer, 'director', { serveSnapshot: flip }));
  rejects(
    t,
    state1,
    flipped,
    T0,
    'WRONG_HASH',
    `failed updating director repository: tuf: failed to download snapshot.json: wrong sha256 hash, expected ${expectedHash} got ${actualHash}`,
  );

  rejects(
    t,
    state1,
    response(craftRepo(signer, 'director', { timestamp: (s) => (s.meta['snapshot.json'].hashes = { md5: '00' }) })),
    T0,
    'UNKNOWN_HASH_ALGORITHM',
    'failed updating director repository: tuf: failed to download snapshot.json: unknown hash algorithm: md5',
  );

  // E14: the timestamp lists snapshot version V, the document served as V says V+1.
  const cur = signer.currentMetas().director;
  const snap = signedOf(cur.snapshot);
  const v = snap.version + 1;
  snap.version = v + 1;
  const snapRaw = signer.signRaw('director', 'snapshot', snap);
  const ts = signedOf(cur.timestamp);
  ts.version += 1;
  ts.meta = { 'snapshot.json': { version: v, length: snapRaw.length, hashes: { sha256: sha256Hex(snapRaw) } } };
  rejects(
    t,
    state1,
    response({
      snapshot: { version: v, raw: snapRaw },
      timestamp: { version: ts.version, raw: signer.signRaw('director', 'timestamp', ts) },
    }),
    T0,
    'WRONG_VERSION',
    `failed updating director repository: tuf: failed to download snapshot.json: wrong version, expected ${v} got ${v + 1}`,
  );
  t.end();
});

t.test('E11/E12 target files: tampered with and without length change', (t) => {
  const { signer, state1 } = setup();
  const files = baseFiles();
  files[0] = { path: APM_PATH, raw: enc('{"lib_config":{"tracing_sampling_rate":0.7}}') };
  signer.publish(files, T0 + 1000);
  const resp = respond(signer, state1);
  const good = resp.targetFiles![0]!.raw!;
  resp.targetFiles![0]!.raw = enc(Buffer.from(good).toString() + ' ');
  rejects(
    t,
    state1,
    resp,
    T0 + 1000,
    'WRONG_LENGTH',
    `tuf: unexpected file size: ${APM_PATH} (expected ${good.length} bytes, got ${good.length + 1} bytes)`,
  );
  const same = enc(Buffer.from(good).toString().replace('0.7', '0.8'));
  resp.targetFiles![0]!.raw = same;
  rejects(
    t,
    state1,
    resp,
    T0 + 1000,
    'WRONG_HASH',
    `tuf: failed to download ${APM_PATH}: wrong sha256 hash, expected ${sha256Hex(good)} got ${sha256Hex(same)}`,
  );
  // A resend of a stored file with wrong bytes under unchanged metadata is caught too.
  const stale = respond(signer, state1);
  stale.targetFiles = [
    { path: FFE_PATH, raw: enc(Buffer.from(state1.files.get(FFE_PATH)!).toString().replace('dev', 'prd')) },
    ...stale.targetFiles!,
  ];
  rejects(
    t,
    state1,
    stale,
    T0 + 1000,
    'WRONG_HASH',
    /^tuf: failed to download datadog\/2\/FFE_FLAGS\/ffe-bench\/config: wrong sha256 hash/,
  );
  t.end();
});

t.test('E15 a previously listed role is dropped', (t) => {
  const { signer, state1 } = setup();
  rejects(
    t,
    state1,
    response(undefined, craftRepo(signer, 'config', { snapshot: (s) => delete s.meta['APM_TRACING.json'] })),
    T0,
    'ROLE_DROPPED',
    'could not update config repository [snapshot=2 timestamp=2]: tuf: missing previously listed targets metadata file',
  );
  t.end();
});

t.test('E16 delegated role not in the snapshot', (t) => {
  const { signer, state1 } = setup();
  const top = signedOf(signer.currentMetas().config.targets);
  top.version += 1;
  const apm = top.delegations.roles.find((r: { name: string }) => r.name === 'APM_TRACING');
  top.delegations.roles.push({ ...apm, name: 'LIVE_DEBUGGING', paths: ['datadog/*/LIVE_DEBUGGING/*/*'] });
  const config = craftRepo(signer, 'config', { targets: top });
  const path = 'datadog/2/LIVE_DEBUGGING/probe/config';
  const bytes = enc('{}');
  const director = craftRepo(signer, 'director', { targets: directorTargetsWith(signer, path, bytes) });
  rejects(
    t,
    state1,
    response(director, config, [{ path, raw: bytes }]),
    T0,
    'ROLE_NOT_IN_SNAPSHOT',
    `tuf: role LIVE_DEBUGGING not in snapshot version ${config.snapshot!.version}`,
  );
  t.end();
});

t.test('E17 more than 32 delegations searched', (t) => {
  const { signer, state1 } = setup();
  const key = generateKeyPair('ed25519');
  const top = signedOf(signer.currentMetas().config.targets);
  top.version += 1;
  const delegation = (name: string) => ({
    name,
    keyids: [key.keyId],
    threshold: 1,
    terminating: false,
    paths: ['datadog/*/*/*/*'],
  });
  top.delegations = { keys: { ...top.delegations.keys, [key.keyId]: key.publicKey }, roles: [delegation('D0')] };
  const delegatedRaw: Record<string, { version: number; raw: Uint8Array }> = {};
  for (let i = 0; i < 40; i++) {
    const signed = {
      _type: 'targets',
      spec_version: '1.0',
      version: 1,
      expires: '2030-01-01T00:00:00Z',
      targets: {},
      delegations: { keys: { [key.keyId]: key.publicKey }, roles: [delegation(`D${i + 1}`)] },
    };
    delegatedRaw[`D${i}`] = { version: 1, raw: envelope(signed, [key]) };
  }
  const config = craftRepo(signer, 'config', { targets: top, delegatedRaw });
  rejects(
    t,
    state1,
    response(undefined, config),
    T0,
    'MAX_DELEGATIONS',
    `tuf: max delegation of 32 reached searching for ${APM_PATH} with snapshot version ${config.snapshot!.version}`,
  );
  t.end();
});

t.test('E18 director target missing in the config repository; E19 file never sent', (t) => {
  const { signer, state1 } = setup();
  const path = 'datadog/2/APM_TRACING/ghost/config';
  const bytes = enc('{"ghost":true}');
  rejects(
    t,
    state1,
    response(craftRepo(signer, 'director', { targets: directorTargetsWith(signer, path, bytes) }), undefined, [
      { path, raw: bytes },
    ]),
    T0,
    'TARGET_NOT_IN_CONFIG',
    `failed to find target in config repository: tuf: file not found: ${path}`,
  );

  const files = baseFiles();
  files.push({ path: 'datadog/2/APM_TRACING/cfg-b/config', raw: enc('{"b":1}') });
  signer.publish(files, T0 + 1000);
  const resp = respond(signer, state1);
  resp.targetFiles = [];
  rejects(t, state1, resp, T0 + 1000, 'FILE_NOT_FOUND', 'tuf: file not found: datadog/2/APM_TRACING/cfg-b/config');
  t.end();
});

t.test('E20–E24 director ⇔ config cross-check', (t) => {
  const { signer, state1 } = setup();
  const len = APM_BYTES.length;
  const sha = sha256Hex(enc(APM_BYTES));
  const sha512 = 'ab'.repeat(64);
  const cases: [string, (m: { length: number; hashes: Record<string, string> }) => void, string][] = [
    [
      'E20',
      (m) => (m.length = len + 1),
      `target '${APM_PATH}' has size ${len} in directory repository and ${len + 1} in config repository`,
    ],
    ['E21', (m) => (m.hashes = {}), `target '${APM_PATH}' no hashes in the director repository`],
    [
      'E22',
      (m) => (m.hashes = { sha256: sha, sha512 }),
      `target '${APM_PATH}' has 2 hashes in directory repository and 1 hashes in config repository`,
    ],
    [
      'E23',
      (m) => (m.hashes = { sha512 }),
      `hash '${sha512}' found in directory repository but not in the config repository`,
    ],
    [
      'E24',
      (m) => (m.hashes = { sha256: 'cd'.repeat(32) }),
      `directory hash '${'cd'.repeat(32)}' does not match config repository '${sha}'`,
    ],
  ];
  for (const [id, edit, message] of cases) {
    const targets = signedOf(signer.currentMetas().director.targets);
    targets.version += 1;
    edit(targets.targets[APM_PATH]);
    t.test(id, (t) => {
      rejects(t, state1, response(craftRepo(signer, 'director', { targets })), T0, 'CROSS_CHECK', message);
      t.end();
    });
  }
  t.end();
});

t.test('E25–E28 org checks', (t) => {
  const { signer, state1 } = setup();
  t.doesNotThrow(() => verifyOrg(state1, { storedOrgUuid: ORG_UUID, orgId: 2 }));
  t.throws(() => verifyOrg(state1, {}), {
    code: 'ORG_UUID_UNAVAILABLE',
    message: /^could not obtain stored\/remote orgUUID: /,
  });
  t.throws(() => verifyOrg(state1, { storedOrgUuid: 'other' }), {
    code: 'ORG_UUID_MISMATCH',
    message: `stored/remote OrgUUID and snapshot OrgUUID do not match: stored=other received=${ORG_UUID}`,
  });
  t.throws(() => verifyOrg(state1, { storedOrgUuid: ORG_UUID, orgId: 3 }), {
    code: 'ORG_ID_MISMATCH',
    message: `director target '${APM_PATH}' does not have the correct orgID. 2 != 3`,
  });
  const bad = verifyUpdate(
    state1,
    response(undefined, craftRepo(signer, 'config', { snapshot: (s) => (s.custom = { org_uuid: 42 }) })),
    T0,
  );
  t.throws(() => verifyOrg(bad, { storedOrgUuid: ORG_UUID }), {
    code: 'SNAPSHOT_CUSTOM',
    message: /^could not parse snapshot custom: /,
  });
  const none = verifyUpdate(
    state1,
    response(undefined, craftRepo(signer, 'config', { snapshot: (s) => delete s.custom })),
    T0,
  );
  t.doesNotThrow(() => verifyOrg(none, { storedOrgUuid: 'anything' }), 'no org_uuid: accepted');
  t.doesNotThrow(() => verifyOrg(none, {}), 'no org_uuid: no stored UUID needed');
  t.end();
});

t.test('E28/E29 director paths: employee paths skip the org ID, unparsable paths fail', (t) => {
  const { state1 } = setup({}, [
    { path: 'datadog/3/APM_TRACING/x/config', raw: enc('{}') },
    { path: 'employee/APM_TRACING/y/config', raw: enc('{"e":1}') },
  ]);
  t.throws(() => verifyOrg(state1, { storedOrgUuid: ORG_UUID, orgId: 2 }), {
    code: 'ORG_ID_MISMATCH',
    message: "director target 'datadog/3/APM_TRACING/x/config' does not have the correct orgID. 3 != 2",
  });
  t.doesNotThrow(() => verifyOrg(state1, { storedOrgUuid: ORG_UUID, orgId: 3 }));
  const meta = { length: 1, hashes: { sha256: '00' } };
  const odd = { ...state1, directorTargets: new Map([['datadog/2/APM_TRACING/config', meta]]) };
  t.throws(() => verifyOrg(odd, { storedOrgUuid: ORG_UUID, orgId: 2 }), {
    code: 'CONFIG_PATH',
    message: "config file path 'datadog/2/APM_TRACING/config' has wrong format",
  });
  t.end();
});

t.test('accepted: "targets": null, "_type":"Targets" + unknown fields, same timestamp version', (t) => {
  const { signer, state1 } = setup();
  const nullTargets = signedOf(signer.currentMetas().director.targets);
  nullTargets.version += 1;
  nullTargets.targets = null;
  const s2 = verifyUpdate(state1, response(craftRepo(signer, 'director', { targets: nullTargets })), T0);
  t.equal(s2.directorTargets.size, 0);
  t.equal(s2.files.size, 0, 'files pruned');

  const odd = signedOf(signer.currentMetas().director.targets);
  odd.version += 1;
  odd._type = 'Targets';
  odd.x_unknown = { nested: [1, 2, 3] };
  const s3 = verifyUpdate(state1, response(craftRepo(signer, 'director', { targets: odd })), T0);
  t.equal(tufVersions(s3).directorTargets, odd.version);
  t.equal(s3.director.targets!.signed.x_unknown !== undefined, true);

  // A new snapshot and targets under the same timestamp version are ignored (go-tuf 5.4.3.1).
  const ignored = signedOf(signer.currentMetas().director.targets);
  ignored.version += 5;
  const same = verifyUpdate(
    state1,
    response(craftRepo(signer, 'director', { targets: ignored, timestamp: (s) => (s.version -= 1) })),
    T0,
  );
  t.equal(same, state1);
  t.end();
});

t.test('verifyUpdate never mutates its inputs', (t) => {
  const { signer, state1 } = setup();
  const before = JSON.stringify(exportState(state1));
  signer.publish([baseFiles()[1]!], T0 + 1000);
  const resp = respond(signer, state1);
  const respBefore = JSON.stringify(resp);
  verifyUpdate(state1, resp, T0 + 1000);
  t.equal(JSON.stringify(exportState(state1)), before);
  t.equal(JSON.stringify(resp), respBefore);
  t.end();
});
