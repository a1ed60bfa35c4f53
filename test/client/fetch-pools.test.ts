// Fetch pools: fast-lane fetches have their own pool (20) apart from standard ones (100). The semaphore alone, then
// a burst of real HTTP fetches on loopback against an agent that holds fast-lane replies until the test lets them go.
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import t, { type Test } from 'tap';
import { Agent } from 'undici';
import { RcClient } from '../../src/client/index.js';
import { ConcurrencyLimit, createFetchPools, type ReleaseSlot } from '../../src/client/fetch-pools.js';
import { type RcClientError } from '../../src/client/error.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { until } from '../helpers/until.js';

/** The semaphore is promises only: every continuation queued so far has run once the next macrotask does. */
const flush = () => new Promise((resolve) => setImmediate(resolve));

void t.test('a limit: at most maxConcurrent holders, first come first served, the slot passes on', async (t) => {
  const limit = new ConcurrencyLimit(2);
  const order: string[] = [];
  const releases = new Map<string, ReleaseSlot>();
  for (const name of ['a', 'b', 'c', 'd', 'e']) {
    void limit.acquire().then((release) => {
      order.push(name);
      releases.set(name, release);
    });
  }
  await flush();
  t.same([limit.inFlight, limit.queued, order], [2, 3, ['a', 'b']]);
  releases.get('a')!();
  releases.get('a')!(); // a second call gives nothing back
  await flush();
  t.same([limit.inFlight, limit.queued, order], [2, 2, ['a', 'b', 'c']]);
  releases.get('b')!();
  releases.get('c')!();
  await flush();
  t.same([limit.inFlight, limit.queued, order], [2, 0, ['a', 'b', 'c', 'd', 'e']]);
  releases.get('d')!();
  releases.get('e')!();
  t.same([limit.inFlight, limit.queued], [0, 0]);
});

void t.test('an aborted waiter leaves the queue and never takes a slot', async (t) => {
  const limit = new ConcurrencyLimit(1);
  const holder = await limit.acquire();
  const controller = new AbortController();
  const abandoned = limit.acquire(controller.signal);
  const next = limit.acquire();
  t.equal(limit.queued, 2);
  controller.abort('gave up');
  await t.rejects(abandoned, { message: 'aborted while waiting for a fetch slot', cause: 'gave up' });
  t.equal(limit.queued, 1);
  holder();
  const release = await next;
  t.same([limit.inFlight, limit.queued], [1, 0], 'the slot went to the live waiter');
  release();
  await t.rejects(limit.acquire(AbortSignal.abort('already')), { cause: 'already' });
  t.same([limit.inFlight, limit.queued], [0, 0]);
});

interface HoldingAgent {
  readonly url: string;
  /** Requests the agent holds or answered, by lane; `max`: the most held at once. */
  readonly fast: { inFlight: number; max: number; done: number };
  readonly standard: { inFlight: number; max: number; done: number };
  /** Answers every request of that lane held now; returns how many. */
  release(lane: 'fast' | 'standard'): number;
}

/** Holds every request until `release(lane)`; a request is fast lane if it asks for FFE_FLAGS. */
async function holdingAgent(t: Test): Promise<HoldingAgent> {
  const fast = { inFlight: 0, max: 0, done: 0 };
  const standard = { inFlight: 0, max: 0, done: 0 };
  const held = { fast: [] as ServerResponse[], standard: [] as ServerResponse[] };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString()) as { client: { products: string[] } };
      const lane = body.client.products.includes('FFE_FLAGS') ? fast : standard;
      lane.inFlight++;
      lane.max = Math.max(lane.max, lane.inFlight);
      res.on('finish', () => {
        lane.inFlight--;
        lane.done++;
      });
      held[lane === fast ? 'fast' : 'standard'].push(res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    fast,
    standard,
    release(lane) {
      const now = held[lane].splice(0);
      for (const res of now) res.end('{}');
      return now.length;
    },
  };
}

void t.test('a burst of fast-lane fetches never exceeds 20 in flight while standard ones proceed', async (t) => {
  const agent = await holdingAgent(t);
  // One socket per request, as many as asked: only the pools limit concurrency here.
  const dispatcher = new Agent({ keepAliveTimeout: 10_000 });
  t.teardown(() => dispatcher.close());
  const pools = createFetchPools();
  const clients = Array.from(
    { length: 60 },
    () =>
      new RcClient({
        agentUrl: agent.url,
        products: ['APM_TRACING', 'FFE_FLAGS'],
        policy: 'fastlane',
        fetchPools: pools,
        dispatcher,
        clock: new FakeClock(), // request timeouts never fire
      }),
  );
  t.teardown(() => Promise.all(clients.map((c) => c.stop())));
  const polls = Promise.all(clients.map((c) => c.pollOnce()));

  await until(() => agent.standard.inFlight === 60 && agent.fast.inFlight === 20, 'both pools full');
  t.same([pools.fast.inFlight, pools.fast.queued], [20, 40], '20 fast-lane fetches out, 40 waiting');
  t.same([pools.standard.inFlight, pools.standard.queued], [60, 0], 'all 60 standard fetches out at the same time');
  agent.release('standard');
  await until(() => agent.standard.done === 60, 'every standard fetch done');
  t.equal(agent.fast.inFlight, 20, 'standard fetches completed while the fast pool stayed full');

  let rounds = 0;
  while (agent.fast.done < 60) {
    const before = agent.fast.done;
    const released = agent.release('fast');
    if (released === 0) break;
    rounds++;
    await until(() => agent.fast.done === before + released, 'the released fast fetches done');
    await until(() => agent.fast.inFlight === Math.min(20, 60 - agent.fast.done), 'the fast pool refilled');
  }
  await polls;
  t.equal(agent.fast.max, 20, 'the fast pool filled up to 20 and never beyond');
  t.equal(rounds, 3, '60 fast-lane fetches went in three waves of 20');
  t.same([pools.fast.inFlight, pools.fast.queued], [0, 0]);
  t.equal(
    clients.reduce((n, c) => n + c.stats.errors, 0),
    0,
  );
});

void t.test('each client has its own pools unless given shared ones', (t) => {
  const options = { agentUrl: 'http://127.0.0.1:9', products: ['FFE_FLAGS'] };
  const a = new RcClient({ ...options, fastLaneMaxConcurrent: 3, standardMaxConcurrent: 7 });
  const b = new RcClient(options);
  t.not(a.fetchPools, b.fetchPools);
  t.same([a.fetchPools.fast.maxConcurrent, a.fetchPools.standard.maxConcurrent], [3, 7]);
  const shared = createFetchPools({ fastLaneMaxConcurrent: 1 });
  t.equal(new RcClient({ ...options, fetchPools: shared }).fetchPools, shared);
  t.end();
});

void t.test('waiting for a slot counts towards the request timeout; the queued fetch is never sent', async (t) => {
  const agent = await holdingAgent(t);
  const pools = createFetchPools({ fastLaneMaxConcurrent: 1 });
  const clock = new FakeClock();
  const options = { agentUrl: agent.url, products: ['FFE_FLAGS'], policy: 'fastlane' as const, fetchPools: pools };
  const holder = new RcClient({ ...options, clock, requestTimeoutMs: 60_000 });
  const waiter = new RcClient({ ...options, clock, requestTimeoutMs: 2000 });
  t.teardown(() => Promise.all([holder.stop(), waiter.stop()]));
  const errors: RcClientError[] = [];
  waiter.on('error', (e) => errors.push(e));

  const first = holder.pollOnce();
  await until(() => agent.fast.inFlight === 1, 'the holder at the agent');
  const second = waiter.pollOnce();
  await clock.drain();
  t.equal(pools.fast.queued, 1);
  await clock.advance(2000);
  await second;
  t.equal(errors[0]?.code, 'TIMEOUT');
  t.equal(errors[0]?.message, 'no fast-lane fetch slot free within 2000 ms');
  t.same([pools.fast.inFlight, pools.fast.queued], [1, 0], 'the holder keeps its slot, the waiter left the queue');
  t.match(waiter.stats, { requests: 1, errors: 1, timeouts: 1 });
  agent.release('fast');
  await first;
  t.equal(agent.fast.done, 1, 'only the holder reached the agent');
  t.equal(pools.fast.inFlight, 0);
});
