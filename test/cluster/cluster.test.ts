// The Cluster on its own, in process, on a real Redis: a replica started while Redis is down serves standalone (and
// says why), joins as leader when Redis comes up, releases its lock on stop so that another replica leads at once;
// two fleets (cluster names) on one Redis never share a lock.
import { performance } from 'node:perf_hooks';
import t from 'tap';
import { Redis } from 'ioredis';
import { Cluster } from '../../src/cluster/index.js';
import { clusterKeys } from '../../src/cluster/keys.js';
import { encodeRound, type RoundRecord } from '../../src/cluster/rounds.js';
import { ACQUIRE, RENEW } from '../../src/cluster/scripts.js';
import { loadConfig, type ClusterConfig } from '../../src/config/index.js';
import { waitUntil } from '../helpers/agent-process.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { SignedTestBackend, FFE_FILE } from '../helpers/signed-backend.js';
import { redisServerAvailable, startRedisServer } from '../helpers/redis-server.js';

function cluster(t: { teardown(fn: () => unknown): void }, url: string, name = 'c', lockTtlMs = 300): Cluster {
  const config: ClusterConfig = {
    redisUrl: url,
    name,
    lockTtlMs,
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

/** Keeps this process's event loop blocked for `ms` (what a replica answering a herd or verifying a big round does). */
function blockEventLoop(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // busy: nothing else runs, timers and socket reads wait
  }
}

/**
 * Blocks the event loop for 350 ms right after each of the next armed commands matching `match` is sent (as the next
 * HTTP request's work would): Redis answers meanwhile, but the command's timer is due before the socket is read.
 */
function blockAfterSending(
  t: { teardown(fn: () => unknown): void },
  match: (name: string, args: readonly unknown[]) => boolean,
): { arm(n: number): void; readonly armed: number; readonly blocked: number } {
  type Send = (this: Redis, command: { name: string; args: unknown[] }, stream?: unknown) => unknown;
  const proto = Redis.prototype as unknown as { sendCommand: Send };
  const send = proto.sendCommand;
  const state = { armed: 0, blocked: 0 };
  proto.sendCommand = function (command, stream) {
    const sent = send.call(this, command, stream);
    if (state.armed > 0 && match(command.name, command.args)) {
      state.armed--;
      state.blocked++;
      setImmediate(() => blockEventLoop(350));
    }
    return sent;
  };
  t.teardown(() => {
    proto.sendCommand = send;
  });
  return {
    arm: (n) => (state.armed = n),
    get armed() {
      return state.armed;
    },
    get blocked() {
      return state.blocked;
    },
  };
}

t.test(
  'a blocked event loop past the command timeout does not make a replica drop out of the fleet',
  { skip: !redisServerAvailable() },
  async (t) => {
    const redis = await startRedisServer(t);
    const a = cluster(t, redis.url, 'c', 1500); // command timeout 200 ms, a tick every 500 ms
    a.start();
    await waitUntil('leader', () => (a.mode === 'leader' ? true : undefined), 5000);
    const fence = a.status().fencingToken;
    // The leader's next lock renewals are sent, then the event loop stays blocked past the command timeout: Redis
    // answers at once, but the reply is read only after the command's timer fired.
    const block = blockAfterSending(t, (name, args) => name === 'eval' && args[0] === RENEW);
    const modes = new Set<string>();
    for (let i = 0; i < 3; i++) {
      block.arm(1);
      await waitUntil('a renewal blocked', () => (block.armed === 0 ? true : undefined), 5000);
      for (let j = 0; j < 10; j++) {
        await new Promise((r) => setTimeout(r, 20));
        modes.add(a.mode);
      }
    }
    t.equal(block.blocked, 3, 'three renewals were caught by a blocked event loop');
    t.same([...modes], ['leader'], 'it stayed the leader throughout');
    t.equal(a.status().fencingToken, fence, 'with the same fencing token (no lock hand-over)');
  },
);

t.test('ACQUIRE is re-entrant for the holder whose reply was lost', { skip: !redisServerAvailable() }, async (t) => {
  const redis = await startRedisServer(t);
  const admin = new Redis(redis.url);
  t.teardown(() => admin.disconnect());
  const first = Number(await admin.eval(ACQUIRE, 2, 'L', 'F', 'r1', 5000));
  t.equal(first, 1, 'the first acquisition gets fencing token 1');
  t.equal(Number(await admin.eval(ACQUIRE, 2, 'L', 'F', 'r1', 5000)), 1, 'the holder asking again gets its token');
  t.equal(Number(await admin.eval(ACQUIRE, 2, 'L', 'F', 'r2', 5000)), 0, 'another replica gets nothing');
  t.equal(Number(await admin.eval(ACQUIRE, 2, 'L', 'F', 'r', 5000)), 0, 'nor one whose ID is a prefix of the holder');
  t.equal(await admin.get('L'), 'r1:1');
});

t.test(
  'a round read that timed out is read again, not counted as rejected; a malformed one is rejected',
  { skip: !redisServerAvailable() },
  async (t) => {
    const redis = await startRedisServer(t);
    const leader = cluster(t, redis.url, 'r', 1500);
    leader.start();
    await waitUntil('leader', () => (leader.mode === 'leader' ? true : undefined), 5000);
    const f = cluster(t, redis.url, 'r', 1500);
    f.start();
    await waitUntil('follower', () => (f.mode === 'follower' ? true : undefined), 5000);
    const admin = new Redis(redis.url);
    t.teardown(() => admin.disconnect());
    const keys = clusterKeys('r', 'k');
    const round: RoundRecord = {
      fence: 1,
      leader: 'l',
      basis: { configSnapshot: 1, configRoot: 1, directorRoot: 1, clientState: '', hasError: false, orgUuid: 'o' },
      products: ['FFE_FLAGS'],
      newProducts: [],
      askIds: [],
      fetchStartedAtMs: Date.now(),
      publishedAtMs: Date.now(),
      payload: new Uint8Array([1]),
    };
    await admin.set(`${keys.roundPrefix}1`, encodeRound(round));
    const block = blockAfterSending(t, (name, args) => name === 'get' && args[0] === `${keys.roundPrefix}1`);
    block.arm(1);
    await admin.publish(keys.roundsChannel, '1');
    await waitUntil(
      'the read was caught by a blocked event loop',
      () => (block.blocked === 1 ? true : undefined),
      5000,
    );
    await new Promise((r) => setTimeout(r, 500));
    t.equal(f.status().roundsRejected, 0, 'a read that timed out is not a rejected round');
    await admin.set(`${keys.roundPrefix}2`, '{"fence":1}');
    await admin.publish(keys.roundsChannel, '2');
    await waitUntil('rejected', () => (f.status().roundsRejected === 1 ? true : undefined), 5000);
    t.pass('a malformed round is rejected');
  },
);
