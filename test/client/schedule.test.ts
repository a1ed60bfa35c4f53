// Poll scheduling: the pure delay rules, then both policies driven by fake time against a local agent.
import { once } from 'node:events';
import t, { type Test } from 'tap';
import { nextPollDelay, RcClient } from '../../src/client/index.js';
import { backoffCeilingMs, fullJitterMs, parseRetryAfterMs, type NextPollInput } from '../../src/client/schedule.js';
import { resolveClientOptions } from '../../src/client/options.js';
import { type RcClientOptions, type RcLaneName, type RcScheduledEvent } from '../../src/client/types.js';
import {
  buildReply,
  exampleConfig,
  startFakeAgent,
  type CapturedRequest,
  type FakeAgent,
  type FakeReply,
} from '../helpers/rc-replies.js';
import { FakeClock } from '../helpers/fake-clock.js';

const base: NextPollInput = {
  policy: 'fastlane',
  lane: 'fast',
  delivered: false,
  failures: 0,
  pollIntervalMs: 5000,
  fastPollIntervalMs: 1000,
  maxBackoffMs: 30_000,
  maxRetryAfterMs: 300_000,
  random: () => 0.5,
};
const top = () => 0.999999;
/** The middle of the interval jitter: exactly one interval. */
const mid = () => 0.5;

void t.test('legacy: a fixed 5 s after each poll, whatever happened', (t) => {
  for (const failures of [0, 1, 5]) {
    t.same(nextPollDelay({ ...base, policy: 'legacy', lane: 'main', failures, retryAfterMs: 60_000, random: top }), {
      delayMs: 5000,
      reason: 'interval',
    });
  }
  t.end();
});

void t.test('fastlane: jitter over a whole interval centred on it, 1 s until delivery, then 5 s', (t) => {
  t.same(nextPollDelay({ ...base, random: () => 0 }), { delayMs: 500, reason: 'fast-interval' });
  t.same(nextPollDelay({ ...base, random: top }), { delayMs: 1500, reason: 'fast-interval' });
  t.same(nextPollDelay({ ...base, delivered: true, random: top }), { delayMs: 7500, reason: 'interval' });
  t.same(nextPollDelay({ ...base, lane: 'main', random: mid }), { delayMs: 5000, reason: 'interval' });
  let sum = 0;
  for (let i = 0; i < 200; i++) {
    const { delayMs } = nextPollDelay({ ...base, random: Math.random });
    t.ok(delayMs >= 500 && delayMs <= 1500, `jitter bound ${delayMs}`);
    sum += delayMs;
  }
  t.ok(Math.abs(sum / 200 - 1000) < 100, 'the mean interval stays one interval');
  t.end();
});

void t.test('fastlane: exponential backoff with full jitter, capped at 30 s', (t) => {
  t.same(
    [1, 2, 3, 4, 5, 10].map((failures) => nextPollDelay({ ...base, failures, random: top }).delayMs),
    [2000, 4000, 8000, 16_000, 30_000, 30_000],
    'fast lane ceilings',
  );
  t.same(
    [1, 2, 3].map((failures) => nextPollDelay({ ...base, delivered: true, failures, random: top }).delayMs),
    [10_000, 20_000, 30_000],
    'after delivery',
  );
  t.equal(nextPollDelay({ ...base, failures: 3, random: () => 0 }).delayMs, 0, 'full jitter reaches 0');
  t.equal(nextPollDelay({ ...base, failures: 1 }).reason, 'backoff');
  t.equal(backoffCeilingMs(1000, 1000, 30_000), 30_000, 'no overflow');
  t.end();
});

void t.test('fastlane: Retry-After is honoured as a floor, capped', (t) => {
  t.same(nextPollDelay({ ...base, failures: 1, retryAfterMs: 7000 }), { delayMs: 7000, reason: 'retry-after' });
  t.same(nextPollDelay({ ...base, failures: 3, retryAfterMs: 1000, random: top }), {
    delayMs: 8000,
    reason: 'backoff',
  });
  t.same(nextPollDelay({ ...base, failures: 1, retryAfterMs: 3_600_000 }), { delayMs: 300_000, reason: 'retry-after' });
  t.end();
});

void t.test('fastlane: agent_refresh_interval only slows a lane down', (t) => {
  const at = (agentRefreshIntervalS: number, delivered = true) =>
    nextPollDelay({ ...base, delivered, agentRefreshIntervalS, random: mid }).delayMs;
  t.equal(at(10), 10_000, 'slower than 5 s: honoured');
  t.equal(at(2), 5000, 'faster than 5 s: ignored');
  t.equal(at(2, false), 2000, 'slower than the 1 s fast interval: honoured');
  t.equal(at(500), 5000, 'outside [1, 60] s: ignored (PROTOCOL.md §4.6)');
  t.equal(at(-1), 5000);
  t.end();
});

void t.test('Retry-After parsing', (t) => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  t.equal(parseRetryAfterMs('7', now), 7000);
  t.equal(parseRetryAfterMs([' 2 '], now), 2000);
  t.equal(parseRetryAfterMs('Thu, 01 Jan 2026 00:00:30 GMT', now), 30_000);
  t.equal(parseRetryAfterMs('Wed, 31 Dec 2025 00:00:00 GMT', now), 0, 'a past date means now');
  t.equal(parseRetryAfterMs('soon', now), undefined);
  t.equal(parseRetryAfterMs(undefined, now), undefined);
  t.equal(
    fullJitterMs(1000, () => 0.25),
    250,
  );
  t.end();
});

/** Collects `scheduled` events; `next(lane)` resolves with the next one for that lane. */
function schedules(client: RcClient) {
  const seen: RcScheduledEvent[] = [];
  let consumed = 0;
  client.on('scheduled', (e) => seen.push(e));
  return {
    seen,
    async next(lane: RcLaneName): Promise<RcScheduledEvent> {
      for (;;) {
        const i = seen.findIndex((e, idx) => idx >= consumed && e.lane === lane);
        if (i >= 0) {
          consumed = i + 1;
          return seen[i]!;
        }
        // not events.once: it rejects on 'error', which some tests provoke on purpose
        await new Promise<void>((resolve) => client.once('scheduled', () => resolve()));
      }
    },
  };
}

/** A started client on fake time (jitter at the middle unless given), with its `scheduled` events. */
function startClient(t: Test, options: RcClientOptions) {
  const clock = new FakeClock();
  const client = new RcClient({ clock, random: mid, ...options });
  t.teardown(() => client.stop());
  const s = schedules(client);
  client.start();
  return { client, s, clock };
}

const FFE = { path: 'datadog/2/FFE_FLAGS/ffe-demo/config', raw: exampleConfig('FFE_FLAGS', 'ffe-demo') };

void t.test('legacy with fake time: first poll at start, then every 5 s, one client id for all products', async (t) => {
  const agent = await startFakeAgent(() => ({ body: '{}' }));
  t.teardown(() => agent.close());
  const clock = new FakeClock();
  const client = new RcClient({
    agentUrl: agent.url,
    products: ['APM_TRACING', 'FFE_FLAGS'],
    clock,
    random: () => {
      throw new Error('legacy draws no jitter');
    },
  });
  t.teardown(() => client.stop());
  const s = schedules(client);
  client.start();
  t.same(await s.next('main'), { lane: 'main', delayMs: 5000, reason: 'interval' });
  t.equal(agent.requests.length, 1, 'polled once at start');
  await clock.advance(4999);
  t.equal(agent.requests.length, 1);
  await clock.advance(1);
  t.same(await s.next('main'), { lane: 'main', delayMs: 5000, reason: 'interval' });
  t.equal(agent.requests.length, 2);
  t.same(new Set(agent.requests.map((r) => r.body.client.id)).size, 1);
  t.same(agent.requests[0]!.body.client.products, ['APM_TRACING', 'FFE_FLAGS']);
  t.same(client.laneNames(), ['main']);
});

void t.test(
  'fastlane with fake time: 1 s until FFE delivery, then 5 s; its own client id, same runtime id',
  async (t) => {
    let fastPolls = 0;
    const handler = (req: CapturedRequest): FakeReply => {
      if (!req.body.client.products.includes('FFE_FLAGS')) return { body: '{}' };
      fastPolls++;
      // The agent has nothing for the first two polls (`{}`), then delivers.
      if (fastPolls < 3) return { body: '{}' };
      if (req.body.client.state.targets_version === 0) return { body: buildReply({ version: 100, files: [FFE] }) };
      return { body: '{}' };
    };
    const agent = await startFakeAgent(handler);
    t.teardown(() => agent.close());
    const clock = new FakeClock();
    const client = new RcClient({
      agentUrl: agent.url,
      products: ['APM_TRACING', 'FFE_FLAGS'],
      policy: 'fastlane',
      clock,
      random: mid,
    });
    t.teardown(() => client.stop());
    const s = schedules(client);
    client.start();

    t.same(client.laneNames(), ['main', 'fast']);
    t.same(await s.next('main'), { lane: 'main', delayMs: 5000, reason: 'interval' });
    t.same(await s.next('fast'), { lane: 'fast', delayMs: 1000, reason: 'fast-interval' });
    const [mainReq, fastReq] = [
      agent.requests.find((r) => r.body.client.id === client.clientId('main'))!,
      agent.requests.find((r) => r.body.client.id === client.clientId('fast'))!,
    ];
    t.same(mainReq.body.client.products, ['APM_TRACING']);
    t.same(fastReq.body.client.products, ['FFE_FLAGS']);
    t.not(client.clientId('main'), client.clientId('fast'));
    t.equal(mainReq.body.client.client_tracer.runtime_id, fastReq.body.client.client_tracer.runtime_id);
    t.ok(fastReq.body.client.client_tracer.tags.includes(`_dd.rc.client_id:${client.clientId('fast')}`));

    await clock.advance(1000);
    t.same(await s.next('fast'), { lane: 'fast', delayMs: 1000, reason: 'fast-interval' }, 'still nothing delivered');
    const applied = once(client, 'apply');
    await clock.advance(1000);
    t.same(await s.next('fast'), { lane: 'fast', delayMs: 5000, reason: 'interval' }, 'delivered: slow down');
    t.equal(((await applied)[0] as { product: string }).product, 'FFE_FLAGS');
    t.equal(fastPolls, 3);
  },
);

void t.test('fastlane: an empty but successful full state also ends the fast phase', async (t) => {
  const agent = await startFakeAgent(() => ({ body: buildReply({ version: 100, files: [] }) }));
  t.teardown(() => agent.close());
  const { client, s } = startClient(t, { agentUrl: agent.url, products: ['FFE_FLAGS'], policy: 'fastlane' });
  t.same(client.laneNames(), ['fast']);
  t.same(await s.next('fast'), { lane: 'fast', delayMs: 5000, reason: 'interval' });
});

void t.test('fastlane: errors back off exponentially, Retry-After wins when longer, success resets', async (t) => {
  const replies: FakeReply[] = [
    { status: 500, body: 'boom\n' },
    { status: 500, body: 'boom\n' },
    { status: 429, body: 'slow down\n', headers: { 'retry-after': '20' } },
    { status: 503, body: 'busy\n', headers: { 'retry-after': '1' } },
    { body: '{}' },
  ];
  const agent = await startFakeAgent(() => replies.shift() ?? { body: '{}' });
  t.teardown(() => agent.close());
  const clock = new FakeClock();
  const client = new RcClient({
    agentUrl: agent.url,
    products: ['FFE_FLAGS'],
    policy: 'fastlane',
    clock,
    random: top,
  });
  t.teardown(() => client.stop());
  client.on('error', () => {});
  const s = schedules(client);
  client.start();
  const expected: Array<Omit<RcScheduledEvent, 'lane'>> = [
    { delayMs: 2000, reason: 'backoff' },
    { delayMs: 4000, reason: 'backoff' },
    { delayMs: 20_000, reason: 'retry-after' },
    { delayMs: 16_000, reason: 'backoff' },
    { delayMs: 1500, reason: 'fast-interval' },
  ];
  for (const [i, want] of expected.entries()) {
    const got = await s.next('fast');
    t.same(got, { lane: 'fast', ...want });
    if (i < expected.length - 1) await clock.advance(got.delayMs);
  }
  t.equal(agent.requests.length, 5);
});

void t.test('fastlane: agent_refresh_interval from the director targets slows the lane', async (t) => {
  const agent = await startFakeAgent((req) =>
    req.body.client.state.targets_version === 0
      ? { body: buildReply({ version: 100, files: [FFE], agentRefreshIntervalS: 20 }) }
      : { body: '{}' },
  );
  t.teardown(() => agent.close());
  const { s } = startClient(t, { agentUrl: agent.url, products: ['FFE_FLAGS'], policy: 'fastlane' });
  t.same(await s.next('fast'), { lane: 'fast', delayMs: 20_000, reason: 'interval' });
});

void t.test('stop() clears the schedule', async (t) => {
  const agent = await startFakeAgent(() => ({ body: '{}' }));
  t.teardown(() => agent.close());
  const clock = new FakeClock();
  const client = new RcClient({ agentUrl: agent.url, products: ['FFE_FLAGS'], clock });
  const s = schedules(client);
  client.start();
  await s.next('main');
  await client.stop();
  await clock.advance(60_000);
  t.equal(agent.requests.length, 1);
});

const fastRequests = (agent: FakeAgent, client: RcClient) =>
  agent.requests.filter((r) => r.body.client.id === client.clientId('fast')).length;

void t.test('DD_RC_FAST_LANE_ENABLED=false: one request with every product, like the legacy client', async (t) => {
  const agent = await startFakeAgent(() => ({ body: '{}' }));
  t.teardown(() => agent.close());
  const products = ['APM_TRACING', 'AGENT_CONFIG', 'AGENT_TASK', 'ASM_FEATURES', 'FFE_FLAGS'];
  const env = { DD_RC_FAST_LANE_ENABLED: 'false', DD_RC_FAST_LANE_INTERVAL_MS: '200' };
  const clock = new FakeClock();
  const client = new RcClient(resolveClientOptions({ agentUrl: agent.url, products, clock }, env));
  t.teardown(() => client.stop());
  const s = schedules(client);
  client.start();
  t.same(client.laneNames(), ['main']);
  t.same(await s.next('main'), { lane: 'main', delayMs: 5000, reason: 'interval' }, 'fixed 5 s, no fast interval');
  t.same(agent.requests[0]!.body.client.products, products);
  t.equal(agent.requests[0]!.body.client.capabilities, 'AmNAoAjwAg==', 'what dd-trace-js advertises');

  const enabled = new RcClient(
    resolveClientOptions({ agentUrl: agent.url, products }, { ...env, DD_RC_FAST_LANE_ENABLED: 'true' }),
  );
  t.same(enabled.laneNames(), ['main', 'fast']);
  t.same(enabled.products('fast'), ['FFE_FLAGS']);
});

void t.test(
  'DD_RC_FAST_LANE_INTERVAL_MS: the fast lane polls at it until the first delivery, then at 5 s',
  async (t) => {
    let fastPolls = 0;
    const agent = await startFakeAgent((req) => {
      if (!req.body.client.products.includes('FFE_FLAGS')) return { body: '{}' };
      fastPolls++;
      return fastPolls === 3 ? { body: buildReply({ version: 100, files: [FFE] }) } : { body: '{}' };
    });
    t.teardown(() => agent.close());
    const { s, clock } = startClient(
      t,
      resolveClientOptions(
        { agentUrl: agent.url, products: ['APM_TRACING', 'FFE_FLAGS'] },
        { DD_RC_FAST_LANE_ENABLED: 'true', DD_RC_FAST_LANE_INTERVAL_MS: '250' },
      ),
    );
    t.same(
      await s.next('main'),
      { lane: 'main', delayMs: 5000, reason: 'interval' },
      'the standard lane is not sped up',
    );
    t.same(await s.next('fast'), { lane: 'fast', delayMs: 250, reason: 'fast-interval' });
    await clock.advance(250);
    t.same(await s.next('fast'), { lane: 'fast', delayMs: 250, reason: 'fast-interval' });
    await clock.advance(250);
    t.same(await s.next('fast'), { lane: 'fast', delayMs: 5000, reason: 'interval' }, 'delivered: normal interval');
    t.equal(fastPolls, 3);
  },
);

void t.test('DD_RC_FAST_LANE_INITIAL_INTERVAL_MS delays the first fast-lane request only', async (t) => {
  const agent = await startFakeAgent(() => ({ body: '{}' }));
  t.teardown(() => agent.close());
  const { client, s, clock } = startClient(
    t,
    resolveClientOptions(
      { agentUrl: agent.url, products: ['APM_TRACING', 'FFE_FLAGS'] },
      { DD_RC_FAST_LANE_ENABLED: '1', DD_RC_FAST_LANE_INITIAL_INTERVAL_MS: '3000' },
    ),
  );
  t.same(await s.next('fast'), { lane: 'fast', delayMs: 3000, reason: 'initial' });
  t.same(await s.next('main'), { lane: 'main', delayMs: 5000, reason: 'interval' }, 'the standard lane went at once');
  t.equal(fastRequests(agent, client), 0);
  await clock.advance(2999);
  t.equal(client.stats.requests, 1, 'nothing before 3 s (a poll counts the moment it starts)');
  await clock.advance(1);
  t.same(await s.next('fast'), { lane: 'fast', delayMs: 1000, reason: 'fast-interval' });
  t.equal(fastRequests(agent, client), 1);
  t.equal(agent.requests.length, 2);
});

void t.test('setters take effect at the next scheduling decision', async (t) => {
  const agent = await startFakeAgent(() => ({ body: '{}' }));
  t.teardown(() => agent.close());
  const { client, s, clock } = startClient(t, { agentUrl: agent.url, products: ['FFE_FLAGS'], policy: 'fastlane' });
  t.same(await s.next('fast'), { lane: 'fast', delayMs: 1000, reason: 'fast-interval' });

  client.setFastLaneIntervalMs(300);
  await clock.advance(300);
  t.equal(client.stats.requests, 1, 'the poll already scheduled keeps its time');
  await clock.advance(700);
  t.same(await s.next('fast'), { lane: 'fast', delayMs: 300, reason: 'fast-interval' }, 'the next decision uses it');

  client.setFastLaneInitialIntervalMs(2000);
  await clock.advance(300);
  t.same(await s.next('fast'), { lane: 'fast', delayMs: 300, reason: 'fast-interval' }, 'no effect while running');
  await client.stop();
  const requestsBefore = fastRequests(agent, client);
  client.start();
  t.same(await s.next('fast'), { lane: 'fast', delayMs: 2000, reason: 'initial' }, 'applies to the next start()');
  t.equal(fastRequests(agent, client), requestsBefore);
  await clock.advance(2000);
  t.same(await s.next('fast'), { lane: 'fast', delayMs: 300, reason: 'fast-interval' });
  t.equal(fastRequests(agent, client), requestsBefore + 1);
});
