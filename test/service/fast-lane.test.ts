// Fast-lane scheduling on fake time with the in-process signed backend (issue "Fast lane", what it must show).
import { createHash } from 'node:crypto';
import t from 'tap';
import { APM_FILE, ASM_FILE, FFE_FILE } from '../helpers/signed-backend.js';
import { createHarness, ctx, tracerRequest, type Harness } from '../helpers/service-harness.js';
import type { IClientGetConfigsResponse } from '../../src/proto/index.js';

const FILES = [FFE_FILE, APM_FILE, ASM_FILE];
const FFE_PATH = FFE_FILE.path;

const bypassCount = async (h: Harness, lane: string, outcome: string): Promise<number> => {
  const metric = await h.service.metrics.bypassRequests.get();
  return metric.values.find((v) => v.labels.lane === lane && v.labels.outcome === outcome)?.value ?? 0;
};
const refreshes = async (h: Harness, reason: string): Promise<number> => {
  const metric = await h.service.metrics.backendRefreshes.get();
  return metric.values.filter((v) => v.labels.reason === reason).reduce((n, v) => n + v.value, 0);
};
const paths = (r: IClientGetConfigsResponse): string[] => (r.targetFiles ?? []).map((f) => f.path ?? '');

/** Starts a request and records when (on the fake clock) it was answered. */
function timed(h: Harness, promise: Promise<IClientGetConfigsResponse>) {
  const start = h.clock.now();
  const out: { reply?: IClientGetConfigsResponse; error?: unknown; ms?: number } = {};
  promise.then(
    (reply) => Object.assign(out, { reply, ms: h.clock.now() - start }),
    (error: unknown) => Object.assign(out, { error, ms: h.clock.now() - start }),
  );
  return out;
}

t.test('classification: fast lane only when every product is a fast-lane product', async (t) => {
  const h = await createHarness(t, { files: FILES, latencyMs: 10 });
  await h.clock.advance(2000);
  const fast = h.service.clientGetConfigs(tracerRequest({ products: ['FFE_FLAGS'] }), ctx());
  await h.clock.advance(2000);
  await fast;
  const mixed = h.service.clientGetConfigs(tracerRequest({ products: ['FFE_FLAGS', 'APM_TRACING'] }), ctx());
  await h.clock.advance(2000);
  await mixed;
  const calls = await h.service.metrics.clientGetConfigs.get();
  const lanes = calls.values.map((v) => v.labels.lane).sort();
  t.same(lanes, ['fast', 'standard']);
});

t.test('N simultaneous new clients cause one refresh whose request holds all of them', async (t) => {
  const h = await createHarness(t, { files: FILES, latencyMs: 100 });
  await h.clock.advance(5000);
  const before = h.backend.requests.length;
  const replies = Array.from({ length: 50 }, (_, i) =>
    timed(h, h.service.clientGetConfigs(tracerRequest({ id: `herd-${i}`, products: ['FFE_FLAGS'] }), ctx())),
  );
  await h.clock.advance(200);
  t.equal(h.backend.requests.length - before, 1, 'one backend refresh for 50 new clients');
  const request = h.backend.requests[before]!;
  t.equal(request.activeClients?.length, 50, 'every new client is an active client of that request');
  t.same(request.newProducts, ['FFE_FLAGS'], 'their product is asked for');
  for (const r of replies) {
    t.ok(r.reply, 'answered');
    t.same(paths(r.reply!), [FFE_PATH], 'with its FFE_FLAGS config');
    t.ok(r.ms! <= 100, 'by that refresh');
  }
  t.equal(await bypassCount(h, 'fast', 'granted'), 1, 'one token drawn');
  t.equal(await bypassCount(h, 'fast', 'coalesced'), 49, 'the others joined for free');
});

t.test('a waiter arriving mid-refresh is served by the next refresh, not the one in flight', async (t) => {
  const h = await createHarness(t, { files: FILES, latencyMs: 300 });
  await h.clock.advance(5000);
  const before = h.backend.requests.length;
  const first = timed(h, h.service.clientGetConfigs(tracerRequest({ id: 'early', products: ['APM_TRACING'] }), ctx()));
  await h.clock.advance(100); // the refresh for `early` is in flight
  const late = timed(h, h.service.clientGetConfigs(tracerRequest({ id: 'late', products: ['ASM_FEATURES'] }), ctx()));
  await h.clock.advance(250);
  t.ok(first.reply, 'the first waiter is answered by the in-flight refresh');
  t.notOk(late.reply, 'the late waiter is not answered by a refresh that did not include it');
  t.same(
    h.backend.requests[before]!.activeClients?.map((c) => c.id),
    ['early'],
    'the in-flight request did not know the late client',
  );
  await h.clock.advance(2000);
  t.equal(h.backend.requests.length - before, 2, 'a second refresh ran');
  const second = h.backend.requests[before + 1]!;
  t.ok(
    second.activeClients?.some((c) => c.id === 'late'),
    'the next request includes the late client',
  );
  t.same(second.newProducts, ['ASM_FEATURES'], 'and its product');
  t.same(paths(late.reply!), [ASM_FILE.path], 'the late client gets fresh data for its product');
  t.ok(late.ms! < 2000, 'within the standard block TTL');
});

t.test('fast lane is served first when both lanes wait', async (t) => {
  const h = await createHarness(t, { files: FILES, latencyMs: 300 });
  await h.clock.advance(5000);
  const inflight = timed(h, h.service.clientGetConfigs(tracerRequest({ products: ['APM_TRACING'] }), ctx()));
  await h.clock.advance(50);
  const standard = timed(h, h.service.clientGetConfigs(tracerRequest({ products: ['ASM_FEATURES'] }), ctx()));
  const fast = timed(h, h.service.clientGetConfigs(tracerRequest({ products: ['FFE_FLAGS'] }), ctx()));
  const fastBefore = await refreshes(h, 'bypass_fast');
  await h.clock.advance(3000);
  t.ok(inflight.reply && standard.reply && fast.reply, 'all answered');
  t.equal((await refreshes(h, 'bypass_fast')) - fastBefore, 1, 'the next refresh ran as a fast-lane refresh');
  t.equal(await bypassCount(h, 'standard', 'coalesced'), 0);
  t.ok(fast.ms! <= standard.ms!, 'the fast-lane waiter is not answered after the standard one');
});

t.test('each token bucket limits only its own lane', async (t) => {
  const h = await createHarness(t, {
    files: FILES,
    latencyMs: 10,
    config: {
      'remote_configuration.fast_lane.cache_bypass_limit': 1,
      'remote_configuration.clients.cache_bypass_limit': 1,
    },
  });
  await h.clock.advance(5000);
  const a = timed(h, h.service.clientGetConfigs(tracerRequest({ products: ['FFE_FLAGS'] }), ctx()));
  await h.clock.advance(1500);
  const before = h.backend.requests.length;
  const b = timed(h, h.service.clientGetConfigs(tracerRequest({ products: ['FFE_FLAGS'] }), ctx()));
  await h.clock.advance(1);
  t.ok(a.reply && b.reply, 'both fast-lane clients answered');
  t.equal(b.ms, 0, 'the rate-limited one at once, from the current snapshot');
  t.same(paths(b.reply!), [FFE_PATH], 'which already holds the fast-lane config');
  t.equal(h.backend.requests.length, before, 'no refresh for it');
  t.equal(await bypassCount(h, 'fast', 'rate_limited'), 1);
  const c = timed(h, h.service.clientGetConfigs(tracerRequest({ products: ['APM_TRACING'] }), ctx()));
  await h.clock.advance(1500);
  t.ok(c.reply, 'standard client answered');
  t.equal(await bypassCount(h, 'standard', 'granted'), 1, 'the standard bucket still had its token');
  t.equal(h.backend.requests.length, before + 1, 'and it refreshed');
});

t.test('block TTLs: 500 ms for the fast lane, 2 s for the standard lane', async (t) => {
  const h = await createHarness(t, { files: FILES, latencyMs: 10 });
  await h.clock.advance(5000);
  h.backend.latencyMs = 5000;
  const fast = timed(h, h.service.clientGetConfigs(tracerRequest({ products: ['FFE_FLAGS'] }), ctx()));
  const standard = timed(h, h.service.clientGetConfigs(tracerRequest({ products: ['APM_TRACING'] }), ctx()));
  await h.clock.advance(499);
  t.notOk(fast.reply, 'fast lane still waiting at 499 ms');
  await h.clock.advance(1);
  t.equal(fast.ms, 500, 'fast lane answered from the snapshot at 500 ms');
  await h.clock.advance(1499);
  t.notOk(standard.reply, 'standard still waiting at 1999 ms');
  await h.clock.advance(1);
  t.equal(standard.ms, 2000, 'standard answered at 2 s');
  t.equal(await bypassCount(h, 'fast', 'timeout'), 1);
  t.equal(await bypassCount(h, 'standard', 'timeout'), 1);
  await h.clock.advance(10_000);
});

t.test('an aborted request stops waiting and does no further work', async (t) => {
  const h = await createHarness(t, { files: FILES, latencyMs: 10 });
  await h.clock.advance(5000);
  h.backend.latencyMs = 5000;
  const abort = new AbortController();
  const r = timed(h, h.service.clientGetConfigs(tracerRequest({ products: ['APM_TRACING'] }), ctx(abort.signal)));
  await h.clock.advance(100);
  abort.abort();
  await h.clock.advance(1);
  t.match(r.error, { code: 'CANCELLED' }, 'rejected as cancelled');
  t.equal(r.ms, 100, 'at once');
  t.equal(await bypassCount(h, 'standard', 'aborted'), 1);
  await h.clock.advance(10_000);
});

t.test('a known client asking for a product the agent does not fetch yet bypasses the cache', async (t) => {
  const h = await createHarness(t, { files: FILES, latencyMs: 10 });
  await h.clock.advance(5000);
  const first = timed(h, h.service.clientGetConfigs(tracerRequest({ id: 'known', products: ['APM_TRACING'] }), ctx()));
  await h.clock.advance(3000);
  t.same(paths(first.reply!), [APM_FILE.path]);
  const before = h.backend.requests.length;
  const targetsVersion = h.service.snapshot.versions.directorTargets;
  const cached = [
    { path: APM_FILE.path, length: APM_FILE.raw.length, hashes: [{ algorithm: 'sha256', hash: sha256(APM_FILE.raw) }] },
  ];
  const second = timed(
    h,
    h.service.clientGetConfigs(
      tracerRequest({ id: 'known', products: ['APM_TRACING', 'FFE_FLAGS'], targetsVersion, cached }),
      ctx(),
    ),
  );
  await h.clock.advance(1500);
  t.equal(h.backend.requests.length, before + 1, 'one refresh for the added product');
  t.same(h.backend.requests[before]!.newProducts, ['FFE_FLAGS']);
  t.same(paths(second.reply!), [FFE_PATH], 'the new product is delivered at once, the cached file is not resent');
  t.same(second.reply!.clientConfigs, [APM_FILE.path, FFE_PATH].sort());
});

t.test('kill switch: fast_lane.enabled false makes every request standard (still coalesced)', async (t) => {
  const h = await createHarness(t, {
    files: FILES,
    latencyMs: 100,
    config: { 'remote_configuration.fast_lane.enabled': false },
  });
  await h.clock.advance(5000);
  const before = h.backend.requests.length;
  const rs = Array.from({ length: 10 }, () =>
    timed(h, h.service.clientGetConfigs(tracerRequest({ products: ['FFE_FLAGS'] }), ctx())),
  );
  await h.clock.advance(500);
  t.ok(rs.every((r) => r.reply && paths(r.reply).length === 1));
  t.equal(h.backend.requests.length - before, 1, 'coalesced into one refresh');
  t.equal(await bypassCount(h, 'standard', 'granted'), 1);
  t.equal(await bypassCount(h, 'fast', 'granted'), 0);
});

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

t.test('a fast-lane wait that cannot end before the block TTL is skipped, not served stale later', async (t) => {
  const h = await createHarness(t, { files: FILES, latencyMs: 200 });
  await h.clock.advance(5000);
  const before = h.backend.requests.length;
  const first = timed(h, h.service.clientGetConfigs(tracerRequest({ id: 'first', products: ['FFE_FLAGS'] }), ctx()));
  await h.clock.advance(50); // its refresh is in flight: the next one cannot start for 1 s (> 500 ms)
  const during = timed(h, h.service.clientGetConfigs(tracerRequest({ id: 'during', products: ['FFE_FLAGS'] }), ctx()));
  await h.clock.advance(160);
  t.equal(first.ms, 200, 'the first client is answered by its refresh');
  t.equal(during.ms, 150, 'the one that arrived mid-refresh is answered when that refresh publishes, not at 500 ms');
  t.same(paths(during.reply!), [FFE_PATH], 'with the fast-lane config it fetched');
  const after = timed(h, h.service.clientGetConfigs(tracerRequest({ id: 'after', products: ['FFE_FLAGS'] }), ctx()));
  await h.clock.advance(1);
  t.equal(after.ms, 0, 'right after a publish the snapshot is fresh: answered at once');
  t.equal(await bypassCount(h, 'fast', 'skipped'), 2);
  await h.clock.advance(2000);
  t.equal(h.backend.requests.length - before, 2, 'the skipped clients still scheduled one refresh');
  const next = h.backend.requests[before + 1]!;
  t.same(
    next.activeClients
      ?.map((c) => c.id)
      .filter((id) => id !== 'first')
      .sort(),
    ['after', 'during'],
    'which told the backend about them',
  );
});

t.test('a wait is never skipped when the snapshot answered with lacks the client products', async (t) => {
  const h = await createHarness(t, { files: FILES, latencyMs: 100 });
  // Right after the start-up refresh (which fetched no product): the next refresh lands ≥ 1.1 s from now.
  const r = timed(h, h.service.clientGetConfigs(tracerRequest({ products: ['FFE_FLAGS'] }), ctx()));
  await h.clock.advance(2000);
  t.equal(await bypassCount(h, 'fast', 'skipped'), 0, 'not skipped: the snapshot has no FFE_FLAGS yet');
  t.equal(await bypassCount(h, 'fast', 'timeout'), 1, 'it waited its block TTL');
  t.equal(r.ms, 500);
});
