// Freshness across the fleet (issue 11, DESIGN.md "Freshness contract"): a snapshot is dated from the moment the
// backend was asked for it. A follower that uses the leader's round must date it from the leader's backend request,
// carried with the round ID, not from its own refresh's start: a follower whose refresh started while the leader's
// request was already in flight must not claim fresher data than the leader fetched. Real Redis, two in-process
// replicas (Cluster + RemoteConfigService + lmdb) on fake time; the backend's latency runs on the fake clock.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { Redis } from 'ioredis';
import { Cluster } from '../../src/cluster/index.js';
import { clusterKeys } from '../../src/cluster/keys.js';
import { loadConfig, type ClusterConfig } from '../../src/config/index.js';
import { RemoteConfigService, StateStore } from '../../src/service/index.js';
import { waitUntil } from '../helpers/agent-process.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { SignedTestBackend, FFE_FILE, file } from '../helpers/signed-backend.js';
import { redisServerAvailable, startRedisServer } from '../helpers/redis-server.js';

const API_KEY = 'freshness-key';
const NAME = 'freshness';
const LATENCY_MS = 400;

interface Replica {
  readonly cluster: Cluster;
  readonly service: RemoteConfigService;
}

async function replica(
  t: { teardown(fn: () => unknown): void },
  redisUrl: string,
  clock: FakeClock,
  backend: SignedTestBackend,
  id: string,
): Promise<Replica> {
  const dir = mkdtempSync(join(tmpdir(), `rc-freshness-${id}-`));
  const config = loadConfig({ env: {}, overrides: { run_path: dir } });
  const clusterConfig: ClusterConfig = {
    redisUrl,
    name: NAME,
    lockTtlMs: 2000,
    connectTimeoutMs: 500,
    commandTimeoutMs: 500,
  };
  const cluster = new Cluster({
    config: clusterConfig,
    apiKey: API_KEY,
    backend,
    budgets: { fast: 50, standard: 5, refillIntervalMs: 60_000 },
    clientsTtlMs: 30_000,
    replicaId: id,
    now: () => clock.now(),
  });
  const { store } = await StateStore.open(dir, { agentVersion: 'test', apiKey: API_KEY, backendUrl: backend.url });
  clock.trackMethods(store); // lmdb writes are real I/O: fake time waits for them
  // The poll loop is not started: each refresh here is driven by the test (refreshNow), so the order is exact.
  const service = new RemoteConfigService({
    config: config.remoteConfiguration,
    hostname: `host-${id}`,
    agentVersion: '7.72.0',
    backend: cluster.backend,
    pinnedRoots: backend.pinnedRoots,
    store,
    clock,
    random: () => 0.5,
    cluster,
  });
  cluster.attach(service);
  t.teardown(async () => {
    await cluster.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { cluster, service };
}

/** Advances fake time in small steps until `p` settles (the backend's latency runs on the fake clock). */
async function drive<T>(clock: FakeClock, p: Promise<T>): Promise<T> {
  let done = false;
  void p.finally(() => (done = true)).catch(() => undefined);
  for (let i = 0; i < 400 && !done; i++) {
    await clock.advance(10);
    if (!done) await new Promise((r) => setTimeout(r, 2));
  }
  return p;
}

/** A leader, then a follower, on one real Redis, fake time and one signed backend. */
async function leaderAndFollower(t: Parameters<typeof startRedisServer>[0]) {
  const redis = await startRedisServer(t);
  const clock = new FakeClock();
  const backend = new SignedTestBackend(clock, [FFE_FILE], { latencyMs: LATENCY_MS });
  const leader = await replica(t, redis.url, clock, backend, 'leader');
  leader.cluster.start();
  await waitUntil('leader', () => (leader.cluster.mode === 'leader' ? true : undefined), 10_000);
  const follower = await replica(t, redis.url, clock, backend, 'follower');
  follower.cluster.start();
  await waitUntil('follower', () => (follower.cluster.mode === 'follower' ? true : undefined), 10_000);
  return { redis, clock, backend, leader, follower };
}

t.test(
  "a follower dates the leader's round from the leader's backend request, not from its own refresh",
  { skip: !redisServerAvailable() },
  async (t) => {
    const { redis, clock, backend, leader, follower } = await leaderAndFollower(t);

    // Both start with a full resync of their own (only the backend answers those).
    await drive(clock, leader.service.refreshNow());
    await drive(clock, follower.service.refreshNow());
    t.ok(leader.service.isReady() && follower.service.isReady(), 'both replicas hold data');
    await clock.advance(10_000);

    // The leader's round: its backend request goes out at T1 and takes LATENCY_MS (fake time).
    const sent = backend.requests.length;
    const leaderRound = leader.service.refreshNow();
    await waitUntil('the leader asked the backend', () => (backend.requests.length > sent ? true : undefined), 5000);
    const t1 = clock.now();
    await clock.advance(100);

    // The follower's refresh starts 100 ms later, while that request is in flight: it asks, and joins the round.
    const followerStart = clock.now();
    const followerRound = follower.service.refreshNow();
    const admin = new Redis(redis.url);
    t.teardown(() => admin.disconnect());
    const keys = clusterKeys(NAME, API_KEY);
    await waitUntil('the follower asked', async () => ((await admin.hlen(keys.asks)) > 0 ? true : undefined), 5000);
    await drive(clock, Promise.all([leaderRound, followerRound]));

    t.equal(backend.requests.length, sent + 1, 'one backend request served both replicas');
    t.equal(follower.cluster.status().roundsUsed, 1, "the follower used the leader's round");
    const leaderStatus = leader.service.status();
    const followerStatus = follower.service.status();
    t.equal(leaderStatus.freshAsOf, new Date(t1).toISOString(), 'the leader: as of its backend request');
    t.equal(
      followerStatus.freshAsOf,
      new Date(t1).toISOString(),
      "the follower: as of the leader's backend request too",
    );
    t.ok(
      Date.parse(followerStatus.freshAsOf ?? '') < followerStart,
      'older than the follower’s own refresh start: it claims no fresher data than the leader fetched',
    );
    t.same(followerStatus.versions, leaderStatus.versions, 'the same targets on both');
  },
);

t.test(
  'a follower out of step with the leader fetches once itself, then uses the leader’s rounds again',
  { skip: !redisServerAvailable() },
  async (t) => {
    const { redis, clock, backend, leader, follower } = await leaderAndFollower(t);
    const admin = new Redis(redis.url);
    t.teardown(() => admin.disconnect());
    const keys = clusterKeys(NAME, API_KEY);

    /** A follower refresh that asks: the leader's refresh (a round) answers it once the ask is in Redis. */
    const askedRefresh = async (): Promise<void> => {
      const followerRound = follower.service.refreshNow();
      await waitUntil('the follower asked', async () => ((await admin.hlen(keys.asks)) > 0 ? true : undefined), 5000);
      await drive(clock, Promise.all([leader.service.refreshNow(), followerRound]));
    };

    // Out of step: the backend changes between the two replicas' first (full) refreshes.
    await drive(clock, leader.service.refreshNow());
    await clock.advance(2000);
    backend.publish([
      file('FFE_FLAGS', 'ffe-main', { format: 'SERVER', environment: { name: 'dev' }, flags: { a: 1 } }),
    ]);
    await drive(clock, follower.service.refreshNow());
    t.not(follower.service.status().versions.directorTargets, leader.service.status().versions.directorTargets);
    await clock.advance(2000);

    // Its ask gets a round at the leader's versions, which it cannot use: it fetches itself, once.
    const sent = backend.requests.length;
    const own = follower.cluster.status().fallbackFetches; // its first, full refresh went to the backend
    await askedRefresh();
    t.equal(follower.cluster.status().fallbackFetches, own + 1, 'one fetch of its own');
    t.equal(backend.requests.length, sent + 2, "the leader's round and the follower's own fetch");
    t.same(follower.service.status().versions, leader.service.status().versions, 'now in step with the leader');
    await clock.advance(2000);

    // The next refresh asks again, and the leader's round answers it: no second fetch of its own.
    await askedRefresh();
    t.equal(follower.cluster.status().fallbackFetches, own + 1, 'no second fetch of its own');
    t.equal(follower.cluster.status().roundsUsed, 1, "it used the leader's round");
    t.equal(backend.requests.length, sent + 3, 'one backend request for both replicas');
  },
);
