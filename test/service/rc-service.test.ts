// ClientGetConfigs and the poll loop (PROTOCOL.md §4.3, §4.6): failures keep the last verified state and go upstream,
// EXPIRED flush, root catch-up, `{}`, predicates and expiry, backend override, state served from the store on start.
import { createHash } from 'node:crypto';
import t from 'tap';
import { APM_FILE, FFE_FILE, SignedTestBackend, file } from '../helpers/signed-backend.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { createHarness, ctx, tracerRequest, type Harness } from '../helpers/service-harness.js';
import type { IClientGetConfigsRequest, IClientGetConfigsResponse } from '../../src/proto/index.js';

const paths = (r: IClientGetConfigsResponse): string[] => (r.targetFiles ?? []).map((f) => f.path ?? '');
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** Calls ClientGetConfigs and lets fake time run long enough for any bypass to finish. */
async function call(
  h: Harness,
  request: IClientGetConfigsRequest,
  advanceMs = 2500,
): Promise<IClientGetConfigsResponse> {
  const settled = h.service.clientGetConfigs(request, ctx()).then(
    (reply) => ({ reply }),
    (error: unknown) => ({ error }),
  );
  await h.clock.advance(advanceMs);
  const outcome: { reply?: IClientGetConfigsResponse; error?: unknown } = await settled;
  if ('error' in outcome) throw outcome.error;
  return outcome.reply!;
}

t.test('first poll after start: full resync, versions 0; then only the delta is asked for', async (t) => {
  const h = await createHarness(t, { files: [FFE_FILE], latencyMs: 10 });
  const first = h.backend.requests[0]!;
  t.equal(first.currentConfigSnapshotVersion, 0);
  t.equal(first.currentDirectorRootVersion, 0);
  t.equal(first.agentVersion, '7.72.0');
  t.ok(first.orgUuid, 'org UUID sent');
  t.ok(h.service.isReady());
  await call(h, tracerRequest({ products: ['FFE_FLAGS'] }));
  await h.clock.advance(61_000);
  const later = h.backend.requests[h.backend.requests.length - 1]!;
  t.ok(Number(later.currentConfigSnapshotVersion) > 0, 'later polls report the current versions');
  t.same(later.products, ['FFE_FLAGS'], 'products only grow');
  t.ok(later.backendClientState && later.backendClientState.length > 0, 'opaque backend state echoed');
});

t.test('an up-to-date client gets {}; a cached file is not resent; client_configs is the full state', async (t) => {
  // Without prefetch the new client's first reply waits for the refresh that fetches all its products.
  const h = await createHarness(t, {
    files: [FFE_FILE, APM_FILE],
    latencyMs: 10,
    config: { 'remote_configuration.fast_lane.prefetch': false },
  });
  const r1 = await call(h, tracerRequest({ id: 'c', products: ['FFE_FLAGS', 'APM_TRACING'] }));
  t.same(paths(r1), [APM_FILE.path, FFE_FILE.path], 'sorted by path');
  t.same(r1.clientConfigs, [APM_FILE.path, FFE_FILE.path]);
  t.same(r1.roots, [], 'director root v1: no roots');
  const version = h.service.snapshot.versions.directorTargets;
  const upToDate = await call(
    h,
    tracerRequest({ id: 'c', products: ['FFE_FLAGS', 'APM_TRACING'], targetsVersion: version }),
    1,
  );
  t.same(upToDate, {}, 'same targets version → empty reply');
  const cached = [
    { path: FFE_FILE.path, length: FFE_FILE.raw.length, hashes: [{ algorithm: 'sha256', hash: sha256(FFE_FILE.raw) }] },
  ];
  const partial = await call(
    h,
    tracerRequest({ id: 'c', products: ['FFE_FLAGS', 'APM_TRACING'], targetsVersion: 1, cached }),
    1,
  );
  t.same(paths(partial), [APM_FILE.path], 'only what the client lacks');
  t.same(partial.clientConfigs, [APM_FILE.path, FFE_FILE.path]);
});

t.test('tracer predicates and per-target expiry select configs', async (t) => {
  const clock = new FakeClock();
  const nowS = Math.floor(clock.now() / 1000);
  const checkout = file(
    'APM_TRACING',
    'checkout-only',
    { a: 1 },
    { 'tracer-predicates': { tracer_predicates_v1: [{ service: 'checkout' }] } },
  );
  const newer = file(
    'APM_TRACING',
    'new-tracers',
    { a: 2 },
    { 'tracer-predicates': { tracer_predicates_v1: [{ tracerVersion: '>=6.0' }] } },
  );
  const expiring = file('APM_TRACING', 'expiring', { a: 3 }, { expires: nowS + 100 });
  const h = await createHarness(t, { clock, files: [checkout, newer, expiring], latencyMs: 10 });
  const cart = await call(h, tracerRequest({ products: ['APM_TRACING'], service: 'cart' }));
  t.same(cart.clientConfigs, [expiring.path], 'cart: only the unrestricted config');
  const co = await call(h, tracerRequest({ products: ['APM_TRACING'], service: 'checkout', tracerVersion: '6.1.0' }));
  t.same(co.clientConfigs, [checkout.path, expiring.path, newer.path].sort());
  await h.clock.advance(200_000);
  const after = await call(h, tracerRequest({ products: ['APM_TRACING'], service: 'checkout' }));
  t.same(after.clientConfigs, [checkout.path], 'the expired config leaves client_configs');
  await t.rejects(
    call(h, tracerRequest({ products: ['APM_TRACING'], service: 'checkout', tracerVersion: 'not-a-version' })),
    { code: 'UNKNOWN', message: 'Invalid Semantic Version' },
    'an unparsable tracer version fails the request',
  );
});

t.test('a rejected update keeps the last verified state and is reported upstream', async (t) => {
  const h = await createHarness(t, { files: [FFE_FILE], latencyMs: 10 });
  await call(h, tracerRequest({ products: ['FFE_FLAGS'] }));
  const good = h.service.snapshot;
  // Tamper with every file the backend sends from now on.
  h.backend.transform = (resp) => ({
    ...resp,
    targetFiles: (resp.targetFiles ?? []).map((f) => ({
      path: f.path,
      raw: new TextEncoder().encode('{"tampered":true}'),
    })),
  });
  h.backend.publish([file('FFE_FLAGS', 'ffe-main', { format: 'SERVER', flags: { changed: true } })]);
  await h.clock.advance(61_000);
  t.equal(h.service.snapshot, good, 'the verified snapshot is still the one served');
  t.match(h.service.status().lastError, /^tuf: /, 'the error is kept for status');
  const failures = await h.service.metrics.verificationFailures.get();
  t.ok(failures.values.length > 0, 'counted as a verification failure');
  const served = await call(h, tracerRequest({ products: ['FFE_FLAGS'] }));
  t.same(paths(served), [FFE_FILE.path], 'clients still get verified bytes');
  t.same(Buffer.from(served.targetFiles![0]!.raw!), Buffer.from(FFE_FILE.raw), 'the old, verified content');
  h.backend.transform = undefined;
  // Two failures so far: the next poll comes after the interval plus up to 2 min of backoff.
  await h.clock.advance(200_000);
  const retried = h.backend.requests.filter((r) => r.hasError);
  t.ok(retried.length > 0, 'the next request carries has_error');
  t.match(retried[0]!.error, /^tuf: /, 'and the error text');
  t.equal(h.service.status().lastError, undefined, 'a later good update clears it');
  t.not(h.service.snapshot, good, 'and publishes');
});

t.test('a backend error is reported as api: and backs off', async (t) => {
  const h = await createHarness(t, { files: [FFE_FILE], latencyMs: 10 });
  h.backend.failWith = new Error('boom');
  await h.clock.advance(61_000);
  t.equal(h.service.status().lastError, 'api: boom');
  const before = h.backend.requests.length;
  await h.clock.advance(60_000 + 29_000);
  t.equal(h.backend.requests.length, before, 'the next poll waits interval + backoff (≥ 30 s)');
});

t.test('EXPIRED flush once the director timestamp expired', async (t) => {
  const clock = new FakeClock();
  const backend = new SignedTestBackend(clock, [FFE_FILE], { latencyMs: 10, timestampExpiresInMs: 120_000 });
  const h = await createHarness(t, { clock, backend, files: [] });
  await call(h, tracerRequest({ products: ['FFE_FLAGS'] }));
  backend.failWith = new Error('backend down');
  await h.clock.advance(200_000);
  const reply = await call(h, tracerRequest({ products: ['FFE_FLAGS'] }));
  t.equal(reply.configStatus, 1, 'config_status EXPIRED');
  t.ok(reply.targets && reply.targets.length > 0, 'with the stored director targets');
  t.same(Object.keys(reply).sort(), ['configStatus', 'targets'], 'and nothing else');
});

t.test('root catch-up: roots root_version+1 … current, verbatim', async (t) => {
  const clock = new FakeClock();
  const backend = new SignedTestBackend(clock, [FFE_FILE], { latencyMs: 10 });
  backend.signer.rotateRoot('director', clock.now());
  backend.signer.rotateRoot('director', clock.now());
  backend.publish([FFE_FILE, APM_FILE]);
  const h = await createHarness(t, { clock, backend, files: [] });
  t.equal(h.service.snapshot.versions.directorRoot, 3);
  const reply = await call(h, tracerRequest({ products: ['FFE_FLAGS'] }));
  const versions = (reply.roots ?? []).map(
    (r) => (JSON.parse(Buffer.from(r).toString()) as { signed: { version: number } }).signed.version,
  );
  t.same(versions, [2, 3]);
  const fromTwo = await call(h, tracerRequest({ products: ['FFE_FLAGS'], rootVersion: 2 }));
  t.equal(fromTwo.roots?.length, 1);
});

t.test('the backend override sets the poll interval when the user set none', async (t) => {
  const clock = new FakeClock();
  const backend = new SignedTestBackend(clock, [FFE_FILE], { latencyMs: 10, agentRefreshIntervalS: 5 });
  const h = await createHarness(t, { clock, backend, files: [] });
  t.equal(h.service.status().refreshIntervalMs, 5000);
  const before = h.backend.requests.length;
  await h.clock.advance(20_500);
  t.equal(h.backend.requests.length - before, 4, 'polls every 5 s');
  const fixed = await createHarness(t, {
    files: [FFE_FILE],
    latencyMs: 10,
    config: { 'remote_configuration.refresh_interval': '30s' },
  });
  t.equal(fixed.service.status().refreshIntervalMs, 30_000, 'a user-set interval ≥ 5 s wins');
});

t.test('the last verified state is served from the store before the first poll', async (t) => {
  const clock = new FakeClock();
  const backend = new SignedTestBackend(clock, [FFE_FILE], { latencyMs: 10 });
  const first = await createHarness(t, { clock, backend, files: [] });
  await call(first, tracerRequest({ products: ['FFE_FLAGS'] }));
  const dataDir = first.dataDir;
  const version = first.service.snapshot.versions.directorTargets;
  await first.service.stop();
  await first.store.close();
  const second = await createHarness(t, { clock, backend, files: [], dataDir, start: false });
  t.ok(second.service.isReady(), 'ready from the store');
  t.equal(second.service.snapshot.versions.directorTargets, version);
  const calls = backend.requests.length;
  const reply = await call(second, tracerRequest({ products: ['FFE_FLAGS'] }), 600);
  t.same(paths(reply), [FFE_FILE.path], 'served from the store');
  t.equal(backend.requests.length, calls, 'without any backend call');
});

t.test('GetConfigState and ResetConfigState', async (t) => {
  const h = await createHarness(t, { files: [FFE_FILE], latencyMs: 10 });
  await call(h, tracerRequest({ id: 'gs', products: ['FFE_FLAGS'] }));
  const state = h.service.getConfigState();
  t.ok(state.directorState?.['targets.json']?.hash?.match(/^[0-9a-f]{64}$/), 'director targets version + sha256');
  t.ok(state.configState?.['FFE_FLAGS.json'], 'delegated roles listed');
  t.ok(state.targetFilenames?.[FFE_FILE.path]);
  t.same(
    state.activeClients?.map((c) => c.id),
    ['gs'],
  );
  const reset = h.service.resetConfigState();
  await h.clock.advance(100);
  await reset;
  await h.clock.advance(1500);
  const last = h.backend.requests[h.backend.requests.length - 1]!;
  t.equal(last.currentConfigSnapshotVersion, 0, 'a reset resyncs from scratch');
  t.ok(h.service.isReady(), 'and is ready again after the refresh');
});

t.test('org status: read at start and every refresh interval; an error keeps the last one', async (t) => {
  const h = await createHarness(t, { files: [FFE_FILE], latencyMs: 10 });
  t.equal(h.backend.orgStatusCalls, 1, 'read at start');
  t.same(h.service.status().orgStatus, { enabled: true, authorized: true });
  h.backend.orgStatus = { enabled: true, authorized: false };
  await h.clock.advance(60_000);
  t.equal(h.backend.orgStatusCalls, 2, 'read again after org_status_refresh_interval');
  t.same(h.service.status().orgStatus, { enabled: true, authorized: false }, 'a change is taken');
  h.backend.orgStatusError = new Error('503');
  await h.clock.advance(60_000);
  t.equal(h.backend.orgStatusCalls, 3);
  t.same(h.service.status().orgStatus, { enabled: true, authorized: false }, 'an error keeps the last status');
});

t.test('after a restart the first refresh asks again for the products fetched before: no config dropped', async (t) => {
  const clock = new FakeClock();
  const backend = new SignedTestBackend(clock, [FFE_FILE, APM_FILE], { latencyMs: 10 });
  const first = await createHarness(t, { clock, backend, files: [] });
  await call(first, tracerRequest({ products: ['APM_TRACING', 'FFE_FLAGS'] }));
  await first.clock.advance(2000);
  const dataDir = first.dataDir;
  await first.service.stop();
  await first.store.close();
  const calls = backend.requests.length;
  const second = await createHarness(t, { clock, backend, files: [], dataDir });
  t.same(backend.requests[calls]!.newProducts, ['APM_TRACING', 'FFE_FLAGS'], 'the stored products are asked for');
  const reply = await call(second, tracerRequest({ products: ['APM_TRACING', 'FFE_FLAGS'] }), 20);
  t.same(paths(reply), [APM_FILE.path, FFE_FILE.path], 'a tracer right after the restart keeps all its configs');
});
