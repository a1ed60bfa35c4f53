// The repository signer against PROTOCOL.md §5.2 and the §5.8 checklist, and the backend's LatestConfigs answers.
import t from 'tap';
import { RepositorySigner } from '../../../src/backend/signer/index.js';
import { SignerError } from '../../../src/backend/signer/error.js';
import { keyPairFromSeed } from '../../../src/backend/signer/keys.js';
import { type SignerFile } from '../../../src/backend/signer/repository-signer.js';
import {
  createTrustedState,
  keyId,
  sha256Hex,
  tufVersions,
  verifyUpdate,
  type TufPublicKey,
} from '../../../src/uptane/index.js';
import {
  ALL_PRODUCTS,
  APM_PATH,
  DAY_MS,
  FFE_PATH,
  ORG_UUID,
  T0,
  baseFiles,
  doc,
  enc,
  requestFor,
  respond,
  setup,
  wire,
  type Json,
} from '../../helpers/uptane-fixtures.js';

const RFC3339_SECONDS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

t.test('roots: §5.8 item 2 layout, computed key ids, self-signed', (t) => {
  for (const keyType of ['ed25519', 'ecdsa'] as const) {
    const signer = RepositorySigner.create({ keyType, threshold: 2 }, T0);
    for (const repo of ['config', 'director'] as const) {
      const root = doc(signer.rootV1(repo));
      const s = root.signed;
      t.equal(s._type, 'root');
      t.equal(s.spec_version, '1.0');
      t.equal(s.version, 1);
      t.equal(s.consistent_snapshot, true);
      t.match(s.expires, RFC3339_SECONDS);
      t.same(Object.keys(s.roles).sort(), ['root', 'snapshot', 'targets', 'timestamp']);
      for (const role of Object.values<{ keyids: string[]; threshold: number }>(s.roles)) {
        t.equal(role.threshold, 2);
        t.equal(role.keyids.length, 2);
      }
      for (const [id, key] of Object.entries<TufPublicKey>(s.keys)) {
        t.same(key.keyid_hash_algorithms, ['sha256', 'sha512']);
        t.equal(key.keytype, keyType);
        t.equal(keyId(key), id);
      }
      t.equal(root.signatures.length, 2);
      t.doesNotThrow(() =>
        createTrustedState({ config: signer.rootV1('config'), director: signer.rootV1('director') }),
      );
    }
  }
  t.end();
});

t.test('metadata layout: versions, timestamp over exact snapshot bytes, delegations, custom fields', (t) => {
  const signer = RepositorySigner.create(
    { orgUuid: ORG_UUID, agentRefreshIntervalS: 10, opaqueBackendState: 'eyJmb28iOiJiYXIifQ==' },
    T0,
  );
  t.ok(signer.publish(baseFiles(), T0));
  const resp = signer.latestConfigs({ products: ALL_PRODUCTS });
  const c = resp.configMetas!;
  const d = resp.directorMetas!;
  for (const m of [
    c.timestamp,
    c.snapshot,
    c.topTargets,
    d.timestamp,
    d.snapshot,
    d.targets,
    ...c.roots!,
    ...d.roots!,
  ]) {
    const signed = doc(m!.raw).signed;
    t.equal(m!.version, signed.version, `TopMeta.version = signed.version (${signed._type})`);
    t.equal(signed.spec_version, '1.0');
    t.match(signed.expires, RFC3339_SECONDS);
  }
  for (const dm of c.delegatedTargets!) t.equal(dm.version, doc(dm.raw).signed.version);
  for (const repo of [c, d]) {
    const ts = doc(repo.timestamp!.raw).signed;
    t.same(ts.meta['snapshot.json'], {
      version: repo.snapshot!.version,
      length: repo.snapshot!.raw!.length,
      hashes: { sha256: sha256Hex(repo.snapshot!.raw!) },
    });
    t.equal(ts.expires, '2026-11-29T09:45:03Z', 'timestamp: 7 days');
  }
  const snap = doc(c.snapshot!.raw).signed;
  t.same(snap.custom, { org_uuid: ORG_UUID });
  t.same(Object.keys(snap.meta).sort(), ['APM_TRACING.json', 'FFE_FLAGS.json', 'targets.json']);
  t.equal(snap.expires, '2027-11-22T09:45:03Z', 'one year');
  const top = doc(c.topTargets!.raw).signed;
  t.same(top.targets, {});
  t.same(
    top.delegations.roles.map((r: Json) => [r.name, r.paths, r.threshold, r.terminating]),
    [
      ['APM_TRACING', ['datadog/*/APM_TRACING/*/*', 'employee/APM_TRACING/*/*'], 1, false],
      ['FFE_FLAGS', ['datadog/*/FFE_FLAGS/*/*', 'employee/FFE_FLAGS/*/*'], 1, false],
    ],
  );
  const apm = doc(c.delegatedTargets!.find((x) => x.role === 'APM_TRACING')!.raw).signed;
  t.same(apm.targets[APM_PATH].custom, { v: 1 });
  const dt = doc(d.targets!.raw).signed;
  t.equal(dt.version, Math.floor(T0 / 1000));
  t.same(dt.custom, { opaque_backend_state: 'eyJmb28iOiJiYXIifQ==', agent_refresh_interval: 10 });
  t.same(dt.targets[FFE_PATH], {
    length: 59,
    hashes: { sha256: sha256Hex(baseFiles()[1]!.raw) },
    custom: { expires: 0, v: 1 },
  });
  t.same(Object.keys(doc(d.snapshot!.raw).signed.meta), ['targets.json']);
  t.end();
});

t.test('publish: change detection, per-path v, strictly increasing director targets version', (t) => {
  const signer = RepositorySigner.create({}, T0);
  t.ok(signer.publish(baseFiles(), T0));
  t.notOk(signer.publish(baseFiles(), T0 + 10), 'same files → false');
  const v1 = signer.versions();
  const changed: SignerFile[] = [{ path: APM_PATH, raw: enc('{"x":2}') }, baseFiles()[1]!];
  t.ok(signer.publish(changed, T0 + 10), 'same second');
  const v2 = signer.versions();
  t.equal(v2.directorTargets, v1.directorTargets + 1, 'max(epoch s, previous + 1)');
  t.equal(v2.configSnapshot, v1.configSnapshot + 1);
  const custom = (s: RepositorySigner, p: string) => doc(s.currentMetas().director.targets).signed.targets[p].custom;
  t.equal(custom(signer, APM_PATH).v, 2, 'changed bytes bump v');
  t.equal(custom(signer, FFE_PATH).v, 1);
  t.ok(
    signer.publish([{ path: FFE_PATH, raw: baseFiles()[1]!.raw, custom: { expires: 5 } }], T0 + 60_000),
    'custom change',
  );
  t.equal(custom(signer, FFE_PATH).v, 1, 'custom-only change keeps v');
  t.equal(custom(signer, FFE_PATH).expires, 5);
  t.equal(signer.versions().directorTargets, Math.floor((T0 + 60_000) / 1000));
  t.ok(signer.publish(changed, T0 + 61_000));
  t.equal(custom(signer, APM_PATH).v, 2, 'same bytes as before removal keep v');
  t.throws(() => signer.publish([{ path: 'nope/x', raw: enc('x') }], T0), SignerError);
  t.throws(() => signer.publish([{ path: 'nope/x', raw: enc('x') }], T0), { code: 'INVALID_PATH' });
  t.end();
});

t.test('latestConfigs: full resend, deltas, omitted metas, products filter', (t) => {
  const { signer, state1 } = setup();

  const full = signer.latestConfigs({ products: ALL_PRODUCTS });
  t.equal(full.targetFiles!.length, 2, 'versions 0 → everything');
  t.same(
    full.configMetas!.roots!.map((r) => r.version),
    [1],
  );
  const again = signer.latestConfigs(requestFor(state1, { hasError: true }));
  t.equal(again.targetFiles!.length, 2, 'has_error → everything');
  t.ok(again.configMetas!.timestamp && again.directorMetas!.targets);

  const quiet = signer.latestConfigs(requestFor(state1));
  t.same(quiet.targetFiles, []);
  t.notOk(quiet.configMetas!.timestamp, 'nothing changed → no config metas');
  t.notOk(quiet.directorMetas!.timestamp, 'nothing changed → no director metas');
  t.same(quiet.configMetas!.roots, []);

  signer.publish([{ path: APM_PATH, raw: enc('{"x":3}') }, baseFiles()[1]!], T0 + 1000);
  const delta = signer.latestConfigs(requestFor(state1));
  t.same(
    delta.targetFiles!.map((f) => f.path),
    [APM_PATH],
  );
  t.same(
    delta.configMetas!.delegatedTargets!.map((d) => d.role),
    ['APM_TRACING'],
    'only the changed role',
  );
  t.notOk(delta.configMetas!.topTargets, 'top-level targets unchanged → not resent');
  t.ok(delta.directorMetas!.targets);
  const state2 = verifyUpdate(state1, wire(delta), T0 + 1000);

  // Products filter: director targets carry only requested products; the config repo keeps every role.
  const ffeOnly = signer.latestConfigs({ products: ['FFE_FLAGS'] });
  t.same(Object.keys(doc(ffeOnly.directorMetas!.targets!.raw).signed.targets), [FFE_PATH]);
  t.same(
    ffeOnly.targetFiles!.map((f) => f.path),
    [FFE_PATH],
  );
  t.equal(ffeOnly.configMetas!.delegatedTargets!.length, 2);
  const s = verifyUpdate(
    createTrustedState({ config: signer.rootV1('config'), director: signer.rootV1('director') }),
    wire(ffeOnly),
    T0 + 1000,
  );
  t.same([...s.files.keys()], [FFE_PATH]);

  // A new product arrives through new_products: its files and fresh director metas are sent.
  const grow = signer.latestConfigs(requestFor(s, { products: ['FFE_FLAGS'], newProducts: ['APM_TRACING'] }));
  t.same(
    grow.targetFiles!.map((f) => f.path),
    [APM_PATH],
  );
  const s2 = verifyUpdate(s, wire(grow), T0 + 2000);
  t.same([...s2.files.keys()].sort(), [APM_PATH, FFE_PATH]);
  t.ok(tufVersions(s2).directorTargets > tufVersions(s).directorTargets);
  t.same(signer.latestConfigs(requestFor(s2)).targetFiles, [], 'then quiet');
  t.equal(verifyUpdate(state2, respond(signer, state2), T0 + 3000), state2);
  t.end();
});

t.test('roots above the reported versions; rotation chain', (t) => {
  const { signer, state1 } = setup();
  signer.rotateRoot('config', T0 + 1000);
  signer.rotateRoot('config', T0 + 2000);
  const resp = signer.latestConfigs(requestFor(state1));
  t.same(
    resp.configMetas!.roots!.map((r) => r.version),
    [2, 3],
  );
  t.same(resp.directorMetas!.roots, []);
  const v3 = doc(resp.configMetas!.roots![1]!.raw);
  const v2 = doc(resp.configMetas!.roots![0]!.raw).signed;
  t.equal(v3.signatures.length, 2, 'signed by the previous and the new root key');
  t.ok(v3.signatures.some((s: Json) => v2.roles.root.keyids.includes(s.keyid)));
  t.equal(tufVersions(verifyUpdate(state1, wire(resp), T0 + 3000)).configRoot, 3);
  t.end();
});

t.test('refreshTimestamps re-signs before half the lifetime has passed', (t) => {
  const { signer, state1 } = setup();
  t.notOk(signer.refreshTimestamps(T0 + 3 * DAY_MS));
  const before = signer.versions();
  t.ok(signer.refreshTimestamps(T0 + 4 * DAY_MS));
  const after = signer.versions();
  t.equal(after.configSnapshot, before.configSnapshot + 1, 'config timestamp and snapshot move in tandem');
  t.equal(after.directorTargets, before.directorTargets, 'unchanged targets keep their version');
  const resp = respond(signer, state1);
  t.same(resp.targetFiles, [], 'no files resent');
  const s2 = verifyUpdate(state1, resp, T0 + 4 * DAY_MS);
  t.equal(s2.director.timestamp!.expiresMs, T0 + 11 * DAY_MS);
  t.notOk(signer.refreshTimestamps(T0 + 5 * DAY_MS));
  t.end();
});

t.test('toJSON/fromJSON resumes with the same keys and increasing versions', (t) => {
  const { signer, state1 } = setup({ consistentSnapshotPaths: true });
  signer.rotateRoot('director', T0 + 1000);
  const json = JSON.parse(JSON.stringify(signer.toJSON()));
  const resumed = RepositorySigner.fromJSON(json, T0 + 5000);
  t.same(Buffer.from(resumed.rootV1('config')), Buffer.from(signer.rootV1('config')));
  t.equal(resumed.orgUuid, signer.orgUuid);
  t.equal(resumed.orgId, 2);
  t.ok(resumed.versions().configSnapshot > signer.versions().configSnapshot);
  t.ok(resumed.versions().directorTargets > signer.versions().directorTargets);
  const s2 = verifyUpdate(state1, respond(resumed, state1), T0 + 5000);
  t.equal(tufVersions(s2).directorRoot, 2);
  t.equal(doc(s2.director.targets!.raw).signed.targets[APM_PATH].custom.v, 1, 'file versions kept');
  t.throws(
    () =>
      RepositorySigner.fromJSON(
        { ...json, repos: { ...json.repos, config: { roots: [], keys: json.repos.config.keys } } },
        T0,
      ),
    {
      code: 'INVALID_STATE',
    },
  );
  t.end();
});

t.test('signRaw: role keys, product keys, wrong keys', (t) => {
  const signer = RepositorySigner.create({}, T0);
  signer.publish(baseFiles(), T0);
  const root = doc(signer.rootV1('director')).signed;
  const ts = doc(signer.signRaw('director', 'timestamp', { _type: 'timestamp' }));
  t.same(
    ts.signatures.map((s: Json) => s.keyid),
    root.roles.timestamp.keyids,
  );
  const wrong = doc(signer.signRaw('director', 'timestamp', { _type: 'timestamp' }, { wrongKey: true }));
  t.notOk(root.roles.timestamp.keyids.includes(wrong.signatures[0].keyid));
  const top = doc(signer.currentMetas().config.targets).signed;
  const apm = doc(signer.signRaw('config', 'APM_TRACING', { _type: 'targets' }));
  t.same(apm.signatures[0].keyid, top.delegations.roles[0].keyids[0]);
  t.throws(() => signer.signRaw('director', 'APM_TRACING', {}), { code: 'UNKNOWN_ROLE' });
  t.end();
});

t.test('keyPairFromSeed is deterministic (PROTOCOL §3.3 vector)', (t) => {
  const a = keyPairFromSeed(new Uint8Array(32).fill(7));
  t.equal(a.publicKey.keyval.public, 'ea4a6c63e29c520abef5507b132ec5f9954776aebebe7b92421eea691446d22c');
  t.equal(a.keyId, 'eab68a81e62173a71a44258d69ff4876569e173ae1d73ce908b7c8079b744ada');
  t.throws(() => keyPairFromSeed(new Uint8Array(31)), RangeError);
  t.end();
});
