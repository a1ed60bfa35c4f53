// Fast-lane scheduling on fake time with the in-process signed backend (issue "Fast lane for the tracers that exist"):
// classification, the freshness rules (fresh snapshot, joining the refresh in flight, coalesced rounds), budgets,
// block TTLs, the outage allowance, abort, new products, the kill switch.
import { createHash } from 'node:crypto';
import t from 'tap';
import { APM_FILE, ASM_FILE, FFE_FILE } from '../helpers/signed-backend.js';
import { createHarness, ctx, paths, timed, tracerRequest, type Harness } from '../helpers/service-harness.js';
import { FAST_LANE_OUTAGE_RETRY_MS } from '../../src/service/refresher.js';
import { FRESHNESS_WINDOW_MS, MAX_HOLD_MS } from '../../src/service/fast-lane-policy.js';

const FILES = [FFE_FILE, APM_FILE, ASM_FILE];
const FFE_PATH = FFE_FILE.path;
const BUNDLED = ['APM_TRACING', 'AGENT_CONFIG', 'AGENT_TASK', 'ASM_FEATURES', 'FFE_FLAGS'];

const bypassCount = async (h: Harness, lane: string, outcome: string): Promise<number> => {
  const metric = await h.service.metrics.bypassRequests.get();
  return metric.values.find((v) => v.labels.lane === lane && v.labels.outcome === outcome)?.value ?? 0;
};
const refreshes = async (h: Harness, reason: string): Promise<number> => {
  const metric = await h.service.metrics.backendRefreshes.get();
  return metric.values.filter((v) => v.labels.reason === reason).reduce((n, v) => n + v.value, 0);
};

t.test('classification: fast-lane rules for any request that asks for a fast-lane product', async (t) => {
  const h = await createHarness(t, { files: FILES, latencyMs: 10 });
  for (const products of [['FFE_FLAGS'], BUNDLED, ['APM_TRACING']]) {
    const r = h.service.clientGetConfigs(tracerRequest({ products }), ctx());
    await h.clock.advance(2000);
    await r;
  }
  const calls = await h.service.metrics.clientGetConfigs.get();
  const byLane = Object.fromEntries(calls.values.map((v) => [v.labels.lane, v.value]));
  t.same(byLane, { fast: 2, standard: 1 }, 'FFE-only and bundled are fast lane; APM-only is standard');
});

t.test('the fast-lane products are fetched from the first refresh on (prefetch)', async (t) => {
  const h = await createHarness(t, { files: FILES, latencyMs: 10 });
  t.same(h.backend.requests[0]!.newProducts, ['FFE_FLAGS'], 'asked for before any client');
  t.same(h.service.status().fetchedProducts, ['FFE_FLAGS']);
  const off = await createHarness(t, {
    files: FILES,
    latencyMs: 10,
    config: { 'remote_configuration.fast_lane.prefetch': false },
  });
  t.same(off.backend.requests[0]!.newProducts, [], 'not with prefetch off');
});

t.test('a snapshot fetched less than the freshness window ago answers a new client at once', async (t) => {
  const h = await createHarness(t, { files: FILES, latencyMs: 100 });
  const before = h.backend.requests.length;
  await h.clock.advance(FRESHNESS_WINDOW_MS - 200);
  const r = timed(h, h.service.clientGetConfigs(tracerRequest({ products: ['FFE_FLAGS'] }), ctx()));
  await h.clock.advance(0);
  t.equal(r.ms, 0, 'answered at once');
  t.same(paths(r.reply!), [FFE_PATH], 'with its flags');
  t.equal(h.backend.requests.length, before, 'no backend call');
  t.equal(await bypassCount(h, 'fast', 'fresh_snapshot'), 1);
  t.match(h.service.status().activeClients[0]?.lastBypass, { outcome: 'fresh_snapshot', waitedMs: 0 }, 'in status');
});

t.test('N new clients after the window cause one refresh whose request holds all of them', async (t) => {
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
  t.same(request.products, ['FFE_FLAGS'], 'their product is asked for');
  for (const r of replies) {
    t.same(paths(r.reply!), [FFE_PATH], 'each answered with its FFE_FLAGS config');
    t.ok(r.ms! <= 100, 'by that refresh');
  }
  t.equal(await bypassCount(h, 'fast', 'granted'), 1, 'one token drawn');
  t.equal(await bypassCount(h, 'fast', 'coalesced'), 49, 'the others joined for free');
});

t.test('mid-refresh: join the refresh in flight when it asks for your products, else the next one', async (t) => {
  const h = await createHarness(t, { files: FILES, latencyMs: 200 });
  await h.clock.advance(5000);
  const before = h.backend.requests.length;
  const first = timed(h, h.service.clientGetConfigs(tracerRequest({ id: 'first', products: ['FFE_FLAGS'] }), ctx()));
  await h.clock.advance(100); // the refresh for `first` is in flight
  const joins = timed(h, h.service.clientGetConfigs(tracerRequest({ id: 'joins', products: ['FFE_FLAGS'] }), ctx()));
  const late = timed(h, h.service.clientGetConfigs(tracerRequest({ id: 'late', products: ['ASM_FEATURES'] }), ctx()));
  await h.clock.advance(150);
  t.equal(first.ms, 200, 'the first waiter is answered by its refresh');
  t.equal(joins.ms, 100, 'a fast-lane client arriving mid-refresh is answered by that refresh');
  t.same(paths(joins.reply!), [FFE_PATH]);
  t.notOk(late.reply, 'a client whose product the refresh in flight does not ask for waits for the next one');
  await h.clock.advance(2000);
  t.equal(h.backend.requests.length - before, 2, 'a second refresh ran');
  const second = h.backend.requests[before + 1]!;
  t.ok(
    second.activeClients?.some((c) => c.id === 'late'),
    'it includes the late client',
  );
  t.same(second.newProducts, ['ASM_FEATURES'], 'and its product');
  t.same(paths(late.reply!), [ASM_FILE.path], 'the late client gets fresh data for its product');
  t.ok(late.ms! < 1500, 'within the standard block TTL');
  t.equal(await bypassCount(h, 'fast', 'joined_refresh'), 1);
});

t.test('a bundled tracer gets its flags at once; its other products arrive by its next poll', async (t) => {
  const h = await createHarness(t, { files: FILES, latencyMs: 100 });
  const r = timed(h, h.service.clientGetConfigs(tracerRequest({ id: 'bundled', products: BUNDLED }), ctx()));
  await h.clock.advance(0);
  t.equal(r.ms, 0, 'not held for the products the agent does not fetch yet');
  t.same(paths(r.reply!), [FFE_PATH], 'flags first');
  await h.clock.advance(5000); // dd-trace-js polls every 5 s
  const last = h.backend.requests[h.backend.requests.length - 1]!;
  t.same(last.newProducts, ['AGENT_CONFIG', 'AGENT_TASK', 'APM_TRACING', 'ASM_FEATURES'], 'fetched meanwhile');
  const cached = [
    { path: FFE_PATH, length: FFE_FILE.raw.length, hashes: [{ algorithm: 'sha256', hash: sha256(FFE_FILE.raw) }] },
  ];
  const next = timed(
    h,
    h.service.clientGetConfigs(
      tracerRequest({
        id: 'bundled',
        products: BUNDLED,
        targetsVersion: Number(r.reply!.targets ? versionOf(r.reply!.targets) : 0),
        cached,
      }),
      ctx(),
    ),
  );
  await h.clock.advance(0);
  t.equal(next.ms, 0, 'the next poll is not held');
  t.same(paths(next.reply!), [APM_FILE.path, ASM_FILE.path], 'and brings the other products');
});

t.test('priority: in an outage a fast-lane round retries sooner than the backoff a standard round obeys', async (t) => {
  const h = await createHarness(t, { files: FILES, latencyMs: 10 });
  await h.clock.advance(5000);
  h.backend.failWith = new Error('backend down');
  const first = timed(h, h.service.clientGetConfigs(tracerRequest({ products: ['FFE_FLAGS'] }), ctx()));
  await h.clock.advance(100);
  t.ok(first.reply, 'answered after the failed refresh');
  t.equal(await bypassCount(h, 'fast', 'refresh_failed'), 1);
  const failedAt = h.backend.requests.length;
  const fast = timed(h, h.service.clientGetConfigs(tracerRequest({ products: ['FFE_FLAGS'] }), ctx()));
  const standard = timed(h, h.service.clientGetConfigs(tracerRequest({ products: ['APM_TRACING'] }), ctx()));
  await h.clock.advance(0);
  t.equal(fast.ms, 0, 'not held for a round that cannot land within its block TTL');
  t.equal(standard.ms, 0);
  t.equal(await bypassCount(h, 'fast', 'backing_off'), 1);
  t.equal(await bypassCount(h, 'standard', 'backing_off'), 1);
  await h.clock.advance(FAST_LANE_OUTAGE_RETRY_MS + 50);
  t.equal(h.backend.requests.length, failedAt + 1, 'one fast-lane retry after the outage allowance');
  t.equal(await refreshes(h, 'bypass_fast'), 2);
  const standardOnly = timed(h, h.service.clientGetConfigs(tracerRequest({ products: ['ASM_FEATURES'] }), ctx()));
  await h.clock.advance(20_000);
  t.ok(standardOnly.reply);
  t.equal(h.backend.requests.length, failedAt + 1, 'a standard round waits for the full backoff (≥ 30 s)');
  h.backend.failWith = undefined;
  await h.clock.advance(130_000);
  t.equal(h.service.status().lastError, undefined, 'recovered');
});

t.test('each lane draws from its own budget', async (t) => {
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
  await h.clock.advance(0);
  t.ok(a.reply && b.reply, 'both fast-lane clients answered');
  t.equal(b.ms, 0, 'the rate-limited one at once, from the current snapshot');
  t.same(paths(b.reply!), [FFE_PATH], 'which holds the fast-lane config');
  t.equal(h.backend.requests.length, before, 'no refresh for it');
  t.equal(await bypassCount(h, 'fast', 'rate_limited'), 1);
  const c = timed(h, h.service.clientGetConfigs(tracerRequest({ products: ['APM_TRACING'] }), ctx()));
  await h.clock.advance(1500);
  t.ok(c.reply, 'standard client answered');
  t.equal(await bypassCount(h, 'standard', 'granted'), 1, 'the standard budget still had its token');
  t.equal(h.backend.requests.length, before + 1, 'and it refreshed');
});

t.test('block TTLs: 500 ms for the fast lane, 1.5 s for the standard lane', async (t) => {
  const h = await createHarness(t, { files: FILES, latencyMs: 10 });
  await h.clock.advance(5000);
  h.backend.latencyMs = 5000;
  const fast = timed(h, h.service.clientGetConfigs(tracerRequest({ products: ['FFE_FLAGS'] }), ctx()));
  const standard = timed(
    h,
    h.service.clientGetConfigs(tracerRequest({ products: ['FFE_FLAGS', 'APM_TRACING'] }), ctx()),
  );
  const apm = timed(h, h.service.clientGetConfigs(tracerRequest({ products: ['APM_TRACING'] }), ctx()));
  await h.clock.advance(499);
  t.notOk(fast.reply || standard.reply, 'fast lane still waiting at 499 ms');
  await h.clock.advance(1);
  t.equal(fast.ms, 500, 'fast lane answered from the snapshot at 500 ms');
  t.equal(standard.ms, 500, 'so is a bundled request (fast-lane rules)');
  await h.clock.advance(999);
  t.notOk(apm.reply, 'standard still waiting at 1499 ms');
  await h.clock.advance(1);
  t.equal(apm.ms, 1500, 'standard answered at 1.5 s, before dd-trace-js gives up at 2 s');
  t.equal(await bypassCount(h, 'fast', 'timeout'), 2);
  t.equal(await bypassCount(h, 'standard', 'timeout'), 1);
  await h.clock.advance(10_000);
});

t.test('a client whose products the snapshot lacks waits for the refresh that brings them', async (t) => {
  // Prefetch off, right after start: the snapshot has no FFE_FLAGS and the next refresh lands after ~1 s.
  const h = await createHarness(t, {
    files: FILES,
    latencyMs: 100,
    config: { 'remote_configuration.fast_lane.prefetch': false },
  });
  const r = timed(h, h.service.clientGetConfigs(tracerRequest({ products: ['FFE_FLAGS'] }), ctx()));
  await h.clock.advance(MAX_HOLD_MS);
  t.same(paths(r.reply!), [FFE_PATH], 'answered with its flags, not empty at the block TTL');
  t.ok(r.ms! > 500 && r.ms! <= MAX_HOLD_MS, `held ${r.ms} ms: beyond the block TTL, within ${MAX_HOLD_MS} ms`);
  t.equal(await bypassCount(h, 'fast', 'granted'), 1);
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
      tracerRequest({ id: 'known', products: ['APM_TRACING', 'ASM_FEATURES'], targetsVersion, cached }),
      ctx(),
    ),
  );
  await h.clock.advance(1500);
  t.equal(h.backend.requests.length, before + 1, 'one refresh for the added product');
  t.same(h.backend.requests[before]!.newProducts, ['ASM_FEATURES']);
  t.same(paths(second.reply!), [ASM_FILE.path], 'the new product is delivered at once, the cached file is not resent');
  t.same(second.reply!.clientConfigs, [APM_FILE.path, ASM_FILE.path].sort());
});

t.test('kill switch: fast_lane.enabled false makes every request standard (still coalesced)', async (t) => {
  const h = await createHarness(t, {
    files: FILES,
    latencyMs: 100,
    config: { 'remote_configuration.fast_lane.enabled': false },
  });
  t.same(h.backend.requests[0]!.newProducts, [], 'no prefetch either');
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

function versionOf(targets: Uint8Array): number {
  return (JSON.parse(Buffer.from(targets).toString()) as { signed: { version: number } }).signed.version;
}
