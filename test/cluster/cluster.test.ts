// The Cluster on its own, in process, on a real Redis: a replica started while Redis is down serves standalone (and
// says why), joins as leader when Redis comes up, releases its lock on stop so that another replica leads at once;
// two fleets (cluster names) on one Redis never share a lock.
import t from 'tap';
import { Cluster } from '../../src/cluster/index.js';
import { loadConfig, type ClusterConfig } from '../../src/config/index.js';
import { waitUntil } from '../helpers/agent-process.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { SignedTestBackend, FFE_FILE } from '../helpers/signed-backend.js';
import { redisServerAvailable, startRedisServer } from '../helpers/redis-server.js';

function cluster(t: { teardown(fn: () => unknown): void }, url: string, name = 'c'): Cluster {
  const config: ClusterConfig = {
    redisUrl: url,
    name,
    lockTtlMs: 300,
    connectTimeoutMs: 200,
    commandTimeoutMs: 200,
  };
  const c = new Cluster({
    config,
    apiKey: 'k',
    backend: new SignedTestBackend(new FakeClock(), [FFE_FILE]),
    budgets: { fast: 50, standard: 5, refillIntervalMs: 60_000 },
    clientsTtlMs: 30_000,
  });
  t.teardown(() => c.stop());
  return c;
}

t.test(
  'standalone while Redis is down, leader once it is up, failover on stop',
  { skip: !redisServerAvailable() },
  async (t) => {
    const redis = await startRedisServer(t);
    await redis.stop();
    const a = cluster(t, redis.url);
    a.start();
    await waitUntil('a tick', () => (a.status().reason?.startsWith('Redis unavailable') ? true : undefined), 5000);
    t.equal(a.mode, 'standalone');
    t.equal(a.joined, false, 'budgets fall back to the local buckets');
    await redis.restart();
    await waitUntil('leader', () => (a.mode === 'leader' ? true : undefined), 5000);
    t.equal(a.status().fencingToken, 1, 'first fencing token');
    const b = cluster(t, redis.url);
    b.start();
    await waitUntil('follower', () => (b.mode === 'follower' ? true : undefined), 5000);
    const other = cluster(t, redis.url, 'other-fleet');
    other.start();
    await waitUntil('the other fleet leads its own', () => (other.mode === 'leader' ? true : undefined), 5000);
    await a.stop();
    await waitUntil('b leads', () => (b.mode === 'leader' ? true : undefined), 5000);
    t.equal(b.status().fencingToken, 2, 'a new fencing token');
  },
);

t.test('cluster keys: standalone by default; env vars and durations', (t) => {
  t.same(loadConfig({ env: {} }).remoteConfiguration.cluster, {
    redisUrl: '',
    name: 'default',
    lockTtlMs: 5000,
    connectTimeoutMs: 1000,
    commandTimeoutMs: 500,
  });
  const c = loadConfig({
    env: {
      DD_REMOTE_CONFIGURATION_CLUSTER_REDIS_URL: 'redis://127.0.0.1:6379/2',
      DD_REMOTE_CONFIGURATION_CLUSTER_NAME: 'edge-eu',
      DD_REMOTE_CONFIGURATION_CLUSTER_LOCK_TTL: '2s',
      DD_REMOTE_CONFIGURATION_CLUSTER_COMMAND_TIMEOUT_MS: '250',
    },
  }).remoteConfiguration.cluster;
  t.same(c, {
    redisUrl: 'redis://127.0.0.1:6379/2',
    name: 'edge-eu',
    lockTtlMs: 2000,
    connectTimeoutMs: 1000,
    commandTimeoutMs: 250,
  });
  t.throws(
    () => loadConfig({ env: { DD_REMOTE_CONFIGURATION_CLUSTER_NAME: 'a b' } }),
    /remote_configuration\.cluster\.name/,
    'a bad cluster name names the key',
  );
  t.end();
});
