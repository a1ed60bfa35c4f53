// Fleet-wide bypass budgets on a real Redis: replicas share one bucket (at most `capacity` draws per window whatever the
// replica count), each answers synchronously from its lease, and a replica that is not joined uses its local bucket.
import t from 'tap';
import { Redis } from 'ioredis';
import { FleetBudget, type TokenSource } from '../../src/cluster/fleet-budget.js';
import { TAKE_TOKENS } from '../../src/cluster/scripts.js';
import { redisServerAvailable, startRedisServer } from '../helpers/redis-server.js';

/** A TokenSource on a real Redis: the script the cluster runs. */
function source(redis: Redis, state: { joined: boolean }): TokenSource {
  return {
    get joined() {
      return state.joined;
    },
    async takeTokens(bucket, capacity, intervalMs, wanted) {
      const [granted, windowLeftMs] = (await redis.eval(TAKE_TOKENS, 1, bucket, capacity, intervalMs, wanted)) as [
        number,
        number,
      ];
      return { granted, windowLeftMs };
    },
  };
}

t.test('three replicas share one bucket', { skip: !redisServerAvailable() }, async (t) => {
  const server = await startRedisServer(t);
  const redis = new Redis(server.url);
  t.teardown(() => redis.disconnect());
  const joined = { joined: true };
  const budgets = [0, 1, 2].map(
    () => new FleetBudget({ bucket: 'b:fast', capacity: 5, refillIntervalMs: 60_000, source: source(redis, joined) }),
  );
  t.teardown(() => budgets.forEach((b) => b.close()));
  // Before any lease, a draw answers false and leases in the background.
  t.equal(budgets[0]!.tryTake(Date.now()), false, 'no lease yet: not granted');
  await Promise.all(budgets.map((b) => b.topUp()));
  t.same(
    budgets.map((b) => b.leased),
    [2, 2, 1],
    'leases of ceil(5/4) = 2 tokens, from one bucket of 5',
  );
  let granted = 0;
  for (let round = 0; round < 5; round++) {
    for (const b of budgets) if (b.tryTake(Date.now())) granted++;
    await Promise.all(budgets.map((b) => b.topUp()));
  }
  t.equal(granted, 5, 'the fleet drew exactly the bucket capacity in the window');
  t.equal(await redis.hget('b:fast', 'tokens'), '0', 'the shared bucket is empty');
});

t.test(
  'a new window refills the fleet bucket; leases expire with their window',
  { skip: !redisServerAvailable() },
  async (t) => {
    const server = await startRedisServer(t);
    const redis = new Redis(server.url);
    t.teardown(() => redis.disconnect());
    const b = new FleetBudget({
      bucket: 'b:w',
      capacity: 2,
      refillIntervalMs: 300,
      source: source(redis, { joined: true }),
    });
    t.teardown(() => b.close());
    await b.topUp();
    t.equal(b.leased, 1, 'leased');
    t.equal(b.tryTake(Date.now()), true);
    await b.topUp();
    t.equal(b.tryTake(Date.now()), true);
    await b.topUp();
    t.equal(b.tryTake(Date.now()), false, 'the window is spent');
    // The budget re-leases by itself when Redis's window turns.
    const deadline = Date.now() + 5000;
    while (b.leased === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    t.ok(b.leased > 0, 'leased again in the next window');
  },
);

t.test('not joined: the local bucket answers', async (t) => {
  const failing: TokenSource = {
    joined: false,
    takeTokens: () => Promise.reject(new Error('must not be called')),
  };
  const b = new FleetBudget({ bucket: 'x', capacity: 2, refillIntervalMs: 60_000, source: failing });
  t.teardown(() => b.close());
  t.equal(b.tryTake(0), true);
  t.equal(b.tryTake(1), true);
  t.equal(b.tryTake(2), false, 'local capacity 2 spent');
  t.equal(b.tryTake(60_000), true, 'local window refilled');
});
