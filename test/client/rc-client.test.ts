// The client against a local HTTP agent on 127.0.0.1: apply/modify/unapply, `{}`, errors, apply states.
import t, { type Test } from 'tap';
import { Pool } from 'undici';
import { RcClient } from '../../src/client/index.js';
import { type RcConfigChange } from '../../src/client/types.js';
import { type RcClientError } from '../../src/client/error.js';
import { buildReply, exampleConfig, startFakeAgent, type FakeAgent, type FakeReply } from '../helpers/rc-replies.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { until } from '../helpers/until.js';

const FFE_PATH = 'datadog/2/FFE_FLAGS/ffe-demo/config';
const APM_PATH = 'datadog/2/APM_TRACING/org-sampling/config';
const ffe = { path: FFE_PATH, raw: exampleConfig('FFE_FLAGS', 'ffe-demo'), v: 3 };
const apm = { path: APM_PATH, raw: exampleConfig('APM_TRACING', 'org-sampling'), v: 7 };

/** Replies in order; `{}` once the script runs out. */
async function scriptedAgent(t: Test, replies: FakeReply[]): Promise<FakeAgent> {
  const queue = [...replies];
  const agent = await startFakeAgent(() => queue.shift() ?? { body: '{}' });
  t.teardown(() => agent.close());
  return agent;
}

function newClient(
  t: Test,
  agent: FakeAgent,
  extra: Partial<ConstructorParameters<typeof RcClient>[0]> = {},
): RcClient {
  const client = new RcClient({
    agentUrl: agent.url,
    products: ['APM_TRACING', 'FFE_FLAGS'],
    service: 'checkout',
    env: 'dev',
    appVersion: '1.2.3',
    ...extra,
  });
  t.teardown(() => client.stop());
  return client;
}

function record(client: RcClient): RcConfigChange[] {
  const seen: RcConfigChange[] = [];
  client.on('apply', (c) => seen.push(c));
  client.on('modify', (c) => seen.push(c));
  client.on('unapply', (c) => seen.push(c));
  return seen;
}

void t.test('apply, acknowledge, echo, then modify and unapply', async (t) => {
  const ffe2 = { ...ffe, raw: Buffer.from('{"format":"SERVER","environment":{"name":"dev"},"flags":{}}'), v: 4 };
  const agent = await scriptedAgent(t, [
    { body: buildReply({ version: 100, files: [ffe, apm], opaqueBackendState: 'c3RhdGUtMQ==' }) },
    { body: '{}' },
    { body: buildReply({ version: 101, files: [ffe2], opaqueBackendState: 'c3RhdGUtMg==' }) },
  ]);
  const client = newClient(t, agent);
  const changes = record(client);

  await client.pollOnce();
  t.same(
    changes.map((c) => [c.action, c.product, c.id, c.version]),
    [
      ['apply', 'FFE_FLAGS', 'ffe-demo', 3],
      ['apply', 'APM_TRACING', 'org-sampling', 7],
    ],
  );
  t.same(Buffer.from(changes[0]!.raw), ffe.raw, 'raw bytes');
  t.same((changes[0]!.parsed as { format: string }).format, 'SERVER', 'parsed JSON');
  t.equal(changes[0]!.lane, 'main');

  await client.pollOnce();
  const second = agent.requests[1]!.body;
  t.equal(second.client.state.targets_version, 100);
  t.equal(second.client.state.backend_client_state, 'c3RhdGUtMQ==', 'opaque_backend_state echoed verbatim');
  t.same(second.client.state.config_states, [
    { id: 'ffe-demo', version: 3, product: 'FFE_FLAGS', apply_state: 2, apply_error: '' },
    { id: 'org-sampling', version: 7, product: 'APM_TRACING', apply_state: 2, apply_error: '' },
  ]);
  t.same(
    second.cached_target_files.map((f) => [f.path, f.length, f.hashes[0]!.algorithm]),
    [
      [FFE_PATH, ffe.raw.length, 'sha256'],
      [APM_PATH, apm.raw.length, 'sha256'],
    ],
  );
  t.equal(changes.length, 2, '{} changes nothing');

  await client.pollOnce();
  t.same(
    changes.slice(2).map((c) => [c.action, c.id, c.version]),
    [
      ['unapply', 'org-sampling', 7],
      ['modify', 'ffe-demo', 4],
    ],
    'dd-trace-js order: unapply, apply, modify',
  );
  t.same(Buffer.from(changes[2]!.raw), apm.raw, 'unapply carries the removed bytes');

  await client.pollOnce();
  const fourth = agent.requests[3]!.body;
  t.equal(fourth.client.state.targets_version, 101);
  t.equal(fourth.client.state.backend_client_state, 'c3RhdGUtMg==');
  t.same(fourth.client.state.config_states, [
    { id: 'ffe-demo', version: 4, product: 'FFE_FLAGS', apply_state: 2, apply_error: '' },
  ]);
  t.same(
    fourth.cached_target_files.map((f) => [f.path, f.length]),
    [[FFE_PATH, ffe2.raw.length]],
  );
  t.same(client.stats, { requests: 4, errors: 0, timeouts: 0, updates: 2, lastStatus: 200 });
});

void t.test('a file already applied with the same sha256 need not be resent', async (t) => {
  const agent = await scriptedAgent(t, [
    { body: buildReply({ version: 100, files: [ffe] }) },
    // the agent's diff: APM is new, FFE unchanged so only listed in client_configs
    { body: buildReply({ version: 101, files: [ffe, apm], send: [APM_PATH] }) },
  ]);
  const client = newClient(t, agent);
  const changes = record(client);
  await client.pollOnce();
  await client.pollOnce();
  await client.pollOnce();
  t.same(
    changes.map((c) => [c.action, c.id]),
    [
      ['apply', 'ffe-demo'],
      ['apply', 'org-sampling'],
    ],
  );
  t.equal(agent.requests[2]!.body.client.state.has_error, false);
  t.equal(agent.requests[2]!.body.client.state.targets_version, 101);
});

void t.test('`{}`, an empty body and 204 mean no change', async (t) => {
  const agent = await scriptedAgent(t, [
    { body: buildReply({ version: 100, files: [ffe] }) },
    { body: '{}' },
    { body: '' },
    { status: 204, body: '' },
  ]);
  const client = newClient(t, agent);
  const outcomes: string[] = [];
  client.on('response', (r) => outcomes.push(r.outcome));
  const changes = record(client);
  for (let i = 0; i < 5; i++) await client.pollOnce();
  t.same(outcomes, ['update', 'no-change', 'no-change', 'no-change', 'no-change']);
  t.equal(changes.length, 1);
  t.equal(agent.requests[4]!.body.client.state.config_states.length, 1, 'still applied');
});

void t.test(
  'a listed path with no file and no cached copy is an error; targets_version stays so the agent resends',
  async (t) => {
    const agent = await scriptedAgent(t, [
      { body: buildReply({ version: 100, files: [apm, ffe], send: [APM_PATH] }) },
      { body: buildReply({ version: 100, files: [apm, ffe] }) },
    ]);
    const client = newClient(t, agent);
    const changes = record(client);
    const errors: RcClientError[] = [];
    client.on('error', (e) => errors.push(e));

    await client.pollOnce();
    t.equal(changes.length, 0, 'nothing of the batch is applied');
    t.equal(errors[0]?.code, 'MISSING_FILE');
    await client.pollOnce();
    const second = agent.requests[1]!.body.client.state;
    t.equal(second.has_error, true);
    t.equal(second.error, `Error: Unable to find file for path ${FFE_PATH}`, 'dd-trace-js err.toString()');
    t.equal(second.targets_version, 0);
    t.equal(changes.length, 2, 'the resend applies');

    await client.pollOnce();
    const third = agent.requests[2]!.body.client.state;
    t.equal(third.has_error, false, 'cleared by the next 2xx');
    t.equal(third.error, '');
    t.equal(third.targets_version, 100);
  },
);

void t.test('a reply that is not JSON reports the SyntaxError text dd-trace-js would', async (t) => {
  const agent = await scriptedAgent(t, [{ body: '{"targets":' }]);
  const client = newClient(t, agent);
  await client.pollOnce();
  await client.pollOnce();
  let expected = '';
  try {
    JSON.parse('{"targets":');
  } catch (err) {
    expected = String(err);
  }
  t.equal(agent.requests[1]!.body.client.state.has_error, true);
  t.equal(agent.requests[1]!.body.client.state.error, expected);
});

void t.test('apply states: sync ack, throw, promise pending then settled', async (t) => {
  const cfg = (id: string, product = 'FFE_FLAGS') => ({
    path: `datadog/2/${product}/${id}/config`,
    raw: Buffer.from(`{"id":"${id}"}`),
    v: 1,
  });
  const agent = await scriptedAgent(t, [
    { body: buildReply({ version: 100, files: [cfg('sync'), cfg('throws'), cfg('slow'), cfg('rejects')] }) },
  ]);
  const client = newClient(t, agent);
  let release: () => void = () => {};
  let refuse: (e: Error) => void = () => {};
  client.handle('FFE_FLAGS', (change) => {
    const id = change.id;
    if (id === 'throws') throw new Error('boom');
    if (id === 'slow') return new Promise<void>((resolve) => (release = resolve));
    if (id === 'rejects') return new Promise<void>((_, reject) => (refuse = reject));
    return undefined;
  });
  await client.pollOnce();
  await client.pollOnce();
  const states = (i: number) =>
    Object.fromEntries(
      agent.requests[i]!.body.client.state.config_states.map((s) => [s.id, [s.apply_state, s.apply_error]]),
    );
  t.same(states(1), {
    sync: [2, ''],
    throws: [3, 'Error: boom'],
    slow: [1, ''],
    rejects: [1, ''],
  });
  release();
  refuse(new TypeError('bad flags'));
  await new Promise((resolve) => setImmediate(resolve));
  await client.pollOnce();
  t.same(states(2), {
    sync: [2, ''],
    throws: [3, 'Error: boom'],
    slow: [2, ''],
    rejects: [3, 'TypeError: bad flags'],
  });
});

void t.test(
  'without a handler: acknowledged by default, left unacknowledged like dd-trace-js on request',
  async (t) => {
    for (const ackUnhandled of [true, false]) {
      const agent = await scriptedAgent(t, [{ body: buildReply({ version: 100, files: [ffe] }) }]);
      const client = newClient(t, agent, { ackUnhandled });
      await client.pollOnce();
      await client.pollOnce();
      t.equal(agent.requests[1]!.body.client.state.config_states[0]!.apply_state, ackUnhandled ? 2 : 1);
    }
  },
);

void t.test('a throwing listener is reported and does not change the apply state', async (t) => {
  const agent = await scriptedAgent(t, [{ body: buildReply({ version: 100, files: [ffe] }) }]);
  const client = newClient(t, agent);
  const errors: RcClientError[] = [];
  client.on('error', (e) => errors.push(e));
  client.on('apply', () => {
    throw new Error('listener bug');
  });
  await client.pollOnce();
  await client.pollOnce();
  t.equal(errors[0]?.code, 'LISTENER');
  t.equal(agent.requests[1]!.body.client.state.config_states[0]!.apply_state, 2);
});

void t.test('non-2xx keeps the state; 404 too', async (t) => {
  const agent = await scriptedAgent(t, [
    { body: buildReply({ version: 100, files: [ffe] }) },
    { status: 500, body: 'rpc error: code = Unknown desc = boom\n' },
    { status: 404, body: '404 page not found\n' },
  ]);
  const client = newClient(t, agent);
  const errors: RcClientError[] = [];
  client.on('error', (e) => errors.push(e));
  for (let i = 0; i < 4; i++) await client.pollOnce();
  t.same(
    errors.map((e) => [e.code, e.status]),
    [
      ['HTTP_STATUS', 500],
      ['HTTP_STATUS', 404],
    ],
  );
  const last = agent.requests[3]!.body.client.state;
  t.equal(last.targets_version, 100);
  t.equal(last.has_error, false, 'an HTTP error is not a config error');
  t.equal(client.stats.errors, 2);
  t.equal(client.stats.lastStatus, 200);
});

void t.test('a network error is counted and reported', async (t) => {
  const agent = await startFakeAgent(() => ({ body: '{}' }));
  const url = agent.url;
  await agent.close();
  const client = new RcClient({ agentUrl: url, products: ['FFE_FLAGS'] });
  t.teardown(() => client.stop());
  const errors: RcClientError[] = [];
  client.on('error', (e) => errors.push(e));
  await client.pollOnce();
  t.equal(errors[0]?.code, 'NETWORK');
  t.equal(client.stats.lastStatus, 0);
});

void t.test('the request times out after requestTimeoutMs (fake time)', async (t) => {
  const agent = await scriptedAgent(t, [{ body: '{}', delayMs: 60_000 }]);
  const clock = new FakeClock();
  const client = newClient(t, agent, { clock });
  const errors: RcClientError[] = [];
  client.on('error', (e) => errors.push(e));
  const poll = client.pollOnce();
  await until(() => agent.requests.length === 1, 'the request at the agent');
  await clock.advance(1999);
  t.equal(errors.length, 0, 'still waiting at 1999 ms');
  await clock.advance(1);
  await poll;
  t.equal(errors[0]?.code, 'TIMEOUT');
  t.same(client.stats, { requests: 1, errors: 1, timeouts: 1, updates: 0, lastStatus: 0 });
});

void t.test('stop() aborts an in-flight request without counting an error', async (t) => {
  const agent = await scriptedAgent(t, [{ body: '{}', delayMs: 60_000 }]);
  const client = newClient(t, agent, { clock: new FakeClock() });
  client.start();
  await until(() => agent.requests.length === 1, 'the request at the agent');
  await client.stop();
  t.equal(client.stats.errors, 0);
  t.equal(client.stats.requests, 1);
});

void t.test('default identity: random UUIDs, dd-trace-js tags, its capabilities', async (t) => {
  const agent = await scriptedAgent(t, []);
  const client = newClient(t, agent, { products: ['APM_TRACING', 'FFE_FLAGS'] });
  await client.pollOnce();
  const body = agent.requests[0]!.body;
  t.match(body.client.id, /^[0-9a-f-]{36}$/);
  t.not(body.client.id, body.client.client_tracer.runtime_id);
  t.same(body.client.client_tracer.tags, [
    'service:checkout',
    'env:dev',
    'version:1.2.3',
    `runtime-id:${client.runtimeId}`,
    `_dd.rc.client_id:${body.client.id}`,
  ]);
  t.equal(body.client.capabilities, 'AmNAoAjwAg==');
  t.equal(body.client.client_tracer.tracer_version, '5.132.0');
  t.equal(agent.requests[0]!.headers['content-type'], 'application/json; charset=utf-8');
  t.equal(agent.requests[0]!.method, 'POST');
});

void t.test('`{}\\n` is not `{}`: like dd-trace-js, an empty full state unapplies everything', async (t) => {
  const agent = await scriptedAgent(t, [{ body: buildReply({ version: 100, files: [ffe] }) }, { body: '{}\n' }]);
  const client = newClient(t, agent);
  const changes = record(client);
  for (let i = 0; i < 3; i++) await client.pollOnce();
  t.same(
    changes.map((c) => c.action),
    ['apply', 'unapply'],
  );
  const last = agent.requests[2]!.body;
  t.equal(last.client.state.targets_version, 100, 'targets_version stays, so the agent never resyncs (PROTOCOL.md §7)');
  t.same(last.client.state.config_states, []);
  t.same(last.cached_target_files, []);
});

void t.test('requests go through the given undici dispatcher', async (t) => {
  const agent = await scriptedAgent(t, []);
  const pool = new Pool(agent.url, { connections: 1 });
  t.teardown(() => pool.close());
  const client = newClient(t, agent, { dispatcher: pool });
  await client.pollOnce();
  await client.pollOnce();
  t.equal(agent.requests.length, 2);
  t.equal(pool.stats.connected, 1, 'one pooled connection served both polls');
});
