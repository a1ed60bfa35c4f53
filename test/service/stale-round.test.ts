// The freshness contract after the wait (DESIGN.md "Freshness contract"): a request that waited for a refresh — joined
// the one in flight, or a round it scheduled or joined — is answered as current only if what that refresh published
// is dated within the request's window. A cluster follower's round is dated from the leader's backend request
// (`dataAsOfMs`), which can precede the follower's refresh and the request itself; such a round does not answer the
// request as current: it waits for the next round within the same hold, or is answered with what there is as
// `timeout`. The 1 s spacing between refreshes counts from when the backend was asked for the last data (the leader's
// request, for a follower), so the next round can start at once. Fake time, the in-process signed backend; the
// follower's dating is the hook src/cluster gives the service.
import t from 'tap';
import { APM_FILE, FFE_FILE } from '../helpers/signed-backend.js';
import { createHarness, ctx, paths, timed, tracerRequest, type Harness } from '../helpers/service-harness.js';
import type { ClusterStatus } from '../../src/service/index.js';
import { FRESHNESS_WINDOW_MS, MAX_HOLD_MS } from '../../src/service/fast-lane-policy.js';

const FILES = [FFE_FILE, APM_FILE];
const FFE_PATH = FFE_FILE.path;

const FOLLOWER: ClusterStatus = {
  mode: 'follower',
  name: 'test',
  replicaId: 'follower',
  roundsPublished: 0,
  roundsUsed: 0,
  fallbackFetches: 0,
  roundsRejected: 0,
};

/**
 * A follower's view of its rounds: each refresh takes the next date from `dates` (the leader's backend request of the
 * round it used); `undefined`, or none left, dates it from the refresh's own start (a fetch of its own).
 */
function follower(dates: Array<number | undefined>, lagMs?: () => number) {
  return {
    status: () => FOLLOWER,
    dataAsOfMs: (): number | undefined => (dates.length > 0 ? dates.shift() : lagMs?.()),
  };
}

const bypassCounts = async (h: Harness, lane: string): Promise<Record<string, number>> => {
  const metric = await h.service.metrics.bypassRequests.get();
  const out: Record<string, number> = {};
  for (const v of metric.values) if (v.labels.lane === lane && v.value > 0) out[String(v.labels.outcome)] = v.value;
  return out;
};

t.test('a round dated before the window does not answer the request: the next round does', async (t) => {
  // Prefetch off: the snapshot holds no flags, so the request may be held up to MAX_HOLD_MS.
  const dates: Array<number | undefined> = [];
  const h = await createHarness(t, {
    files: FILES,
    latencyMs: 100,
    config: { 'remote_configuration.fast_lane.prefetch': false },
    cluster: follower(dates),
  });
  await h.clock.advance(5000);
  const t0 = h.clock.now();
  dates.push(t0 - FRESHNESS_WINDOW_MS - 200); // the round it gets: the leader asked the backend 1.2 s before
  const before = h.backend.requests.length;
  const r = timed(h, h.service.clientGetConfigs(tracerRequest({ id: 'new', products: ['FFE_FLAGS'] }), ctx()));
  await h.clock.advance(99);
  t.equal(h.backend.requests.length, before + 1, 'its round ran');
  await h.clock.advance(1);
  t.notOk(r.reply, 'not answered by a round dated 1.2 s before its request');
  await h.clock.advance(MAX_HOLD_MS);
  t.equal(h.backend.requests.length, before + 2, 'the next round ran');
  t.equal(r.ms, 2 * 100, 'answered when the next round published: it started at once (spaced from 1.2 s before)');
  t.same(paths(r.reply!), [FFE_PATH], 'with its flags');
  t.ok(Date.parse(h.service.status().freshAsOf ?? '') >= t0 - FRESHNESS_WINDOW_MS, 'dated within its window');
  t.same(await bypassCounts(h, 'fast'), { granted: 1 }, 'counted once, as the round that answered it');
  t.match(h.service.status().activeClients[0]?.lastBypass, { outcome: 'granted', waitedMs: 200 }, 'in status');
});

t.test('a request that joined a refresh whose round is too old for it is answered by the next round', async (t) => {
  const dates: Array<number | undefined> = [];
  const h = await createHarness(t, { files: FILES, latencyMs: 200, cluster: follower(dates) });
  await h.clock.advance(5000);
  const t0 = h.clock.now();
  // The round the follower's refresh (started at t0) gets was fetched by the leader 950 ms before: current for a
  // request made at t0, not for one made 100 ms later.
  dates.push(t0 - 950);
  const before = h.backend.requests.length;
  const first = timed(h, h.service.clientGetConfigs(tracerRequest({ id: 'first', products: ['FFE_FLAGS'] }), ctx()));
  await h.clock.advance(100);
  const joins = timed(h, h.service.clientGetConfigs(tracerRequest({ id: 'joins', products: ['FFE_FLAGS'] }), ctx()));
  await h.clock.advance(100);
  t.equal(first.ms, 200, 'the first request is answered by its round (within its window)');
  t.notOk(joins.reply, 'the late one is not: the round is dated before its window');
  await h.clock.advance(200);
  t.equal(joins.ms, 300, 'answered by the next round, which started as the first landed, within its 500 ms hold');
  t.same(paths(joins.reply!), [FFE_PATH], 'with its flags');
  t.same(await bypassCounts(h, 'fast'), { granted: 2 }, 'counted as the round that answered it, not joined_refresh');
  await h.clock.advance(5000);
  t.equal(h.backend.requests.length, before + 2, 'one extra round for it');
});

t.test('waiting for the next round ends with the hold: answered with what there is, as timeout', async (t) => {
  const dates: Array<number | undefined> = [];
  const h = await createHarness(t, { files: FILES, latencyMs: 100, cluster: follower(dates) });
  // A standard-lane product the agent fetches already (1.5 s hold).
  const known = h.service.clientGetConfigs(tracerRequest({ products: ['APM_TRACING'] }), ctx());
  await h.clock.advance(MAX_HOLD_MS);
  await known;
  await h.clock.advance(5000);
  const t0 = h.clock.now();
  dates.push(t0 - FRESHNESS_WINDOW_MS - 200);
  const before = h.backend.requests.length;
  const r = timed(h, h.service.clientGetConfigs(tracerRequest({ products: ['APM_TRACING'] }), ctx()));
  await h.clock.advance(75);
  h.backend.latencyMs = 1500; // its round lands at 100 ms; the next starts then and would land at 1.6 s
  await h.clock.advance(25);
  t.notOk(r.reply, 'its round is too old for it: it waits for the next');
  await h.clock.advance(MAX_HOLD_MS - 100 - 1);
  t.notOk(r.reply, 'still waiting just before the hold runs out');
  await h.clock.advance(1);
  t.equal(r.ms, MAX_HOLD_MS, 'answered when the hold ran out');
  t.same(paths(r.reply!), [APM_FILE.path], 'with what there is');
  t.equal(h.backend.requests.length, before + 2, 'the next round was scheduled for it');
  t.equal((await bypassCounts(h, 'standard')).timeout, 1, 'counted as timeout');
  await h.clock.advance(2000);
});

t.test('a follower whose rounds all lag cannot hold a request past its hold', async (t) => {
  // Every round it gets is dated 5 s before it was read: no round is ever current, and none holds back the next (the
  // spacing counts from the leader's request). In a cluster each is an ask that waits for the leader's next round,
  // spaced on the leader; here each is a 100 ms backend request, so rounds follow one another until the hold.
  const h = await createHarness(t, {
    files: FILES,
    latencyMs: 100,
    config: { 'remote_configuration.fast_lane.prefetch': false },
    cluster: follower([], () => h.clock.now() - 5000),
  });
  await h.clock.advance(5000);
  const before = h.backend.requests.length;
  const r = timed(h, h.service.clientGetConfigs(tracerRequest({ products: ['FFE_FLAGS'] }), ctx()));
  await h.clock.advance(MAX_HOLD_MS);
  t.ok(r.ms! <= MAX_HOLD_MS, `answered within the hold (${r.ms} ms)`);
  t.same(paths(r.reply!), [FFE_PATH], 'with what there is');
  t.same(await bypassCounts(h, 'fast'), { timeout: 1 });
  const rounds = h.backend.requests.length - before;
  t.ok(rounds <= MAX_HOLD_MS / 100, `no round scheduled that could not land within the hold (${rounds} rounds)`);
  await h.clock.advance(1000);
  t.equal(h.backend.requests.length - before, rounds, 'none once it was answered');
});

t.test('standalone, slow backend: a refresh that started before the window is not joined', async (t) => {
  const h = await createHarness(t, { files: FILES, latencyMs: 100 });
  await h.clock.advance(5000);
  h.backend.latencyMs = 1500;
  const first = timed(h, h.service.clientGetConfigs(tracerRequest({ id: 'first', products: ['FFE_FLAGS'] }), ctx()));
  await h.clock.advance(FRESHNESS_WINDOW_MS + 200); // its refresh started 1.2 s ago and is still in flight
  t.equal(first.ms, 500, 'the first request was answered at its 500 ms hold');
  const late = timed(h, h.service.clientGetConfigs(tracerRequest({ id: 'late', products: ['FFE_FLAGS'] }), ctx()));
  await h.clock.advance(300); // that refresh publishes
  t.notOk(late.reply, 'not answered by the refresh that started before its window');
  await h.clock.advance(200);
  t.equal(late.ms, 500, 'answered at its hold');
  t.same(await bypassCounts(h, 'fast'), { timeout: 2 });
  await h.clock.advance(5000);
});

t.test('standalone: the next round starts 1 s after the last one started, not after it ended', async (t) => {
  // A 400 ms backend: counted from the end of the last refresh, a request finding the data just too old would wait
  // 1.4 s for the next round and run past its 500 ms hold.
  const h = await createHarness(t, { files: FILES, latencyMs: 400 });
  await h.clock.advance(5000);
  const before = h.backend.requests.length;
  const first = timed(h, h.service.clientGetConfigs(tracerRequest({ id: 'first', products: ['FFE_FLAGS'] }), ctx()));
  await h.clock.advance(FRESHNESS_WINDOW_MS + 1);
  t.equal(first.ms, 400, 'the first is answered by its round');
  const next = timed(h, h.service.clientGetConfigs(tracerRequest({ id: 'next', products: ['FFE_FLAGS'] }), ctx()));
  await h.clock.advance(399);
  t.notOk(next.reply, 'the data was asked for 1,001 ms before it: too old, it waits for a round');
  await h.clock.advance(1);
  t.equal(next.ms, 400, 'its round started at once (1 s after the last one started) and answered it');
  t.same(paths(next.reply!), [FFE_PATH]);
  t.equal(h.backend.requests.length, before + 2, 'one round each');
  t.same(await bypassCounts(h, 'fast'), { granted: 2 }, 'neither timed out');
});
