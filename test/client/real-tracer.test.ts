// The key test: a real dd-trace-js 5.132 process and our client, fed the same replies, send the same bodies.
// Also checks, inside the tracer, that the shipped example configs take effect (FFE flags evaluate, APM_TRACING
// changes the sampling rate) and are undone on unapply.
import t from 'tap';
import { RcClient } from '../../src/client/index.js';
import {
  buildReply,
  exampleConfig,
  startFakeAgent,
  type CapturedRequest,
  type FakeReply,
} from '../helpers/rc-replies.js';
import { spawnTracer, type TracerEvent } from '../helpers/tracer.js';
import { until } from '../helpers/until.js';

const FFE_PATH = 'datadog/2/FFE_FLAGS/ffe-demo/config';
const APM_PATH = 'datadog/2/APM_TRACING/org-sampling/config';
const ffe = { path: FFE_PATH, raw: exampleConfig('FFE_FLAGS', 'ffe-demo'), v: 3 };
const apm = { path: APM_PATH, raw: exampleConfig('APM_TRACING', 'org-sampling'), v: 1 };
const ffeModified = {
  path: FFE_PATH,
  raw: Buffer.from(ffe.raw.toString().replace('served by rc-agent', 'modified by rc-agent')),
  v: 4,
};

/**
 * The agent's side of the scenario. Stage 0: a reply missing FFE's file (an error); 1: the full state; 2: `{}` until
 * the test moves on; 3: FFE modified and APM_TRACING removed; 4: `{}`.
 */
class Script {
  stage = 0;
  handle = (_req: CapturedRequest): FakeReply => {
    switch (this.stage) {
      case 0:
        this.stage = 1;
        return { body: buildReply({ version: 100, files: [apm, ffe], send: [APM_PATH] }) };
      case 1:
        this.stage = 2;
        return { body: buildReply({ version: 100, files: [apm, ffe] }) };
      case 3:
        this.stage = 4;
        return { body: buildReply({ version: 101, files: [ffeModified], opaqueBackendState: 'c3RhdGUtMTAx' }) };
      default:
        return { body: '{}' };
    }
  };
}

/** Consecutive duplicates removed: polls that repeat the same state collapse into one. */
function distinct(bodies: readonly string[]): string[] {
  return bodies.filter((b, i) => i === 0 || b !== bodies[i - 1]);
}

/** Every object's keys in order, with their paths: the "same fields, same key order" check. */
function keyPaths(value: unknown, path = '$'): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => keyPaths(v, `${path}[${i}]`));
  if (typeof value !== 'object' || value === null) return [`${path}:${typeof value}`];
  return Object.entries(value).flatMap(([k, v]) => [`${path}.${k}`, ...keyPaths(v, `${path}.${k}`)]);
}

void t.test('dd-trace-js and RcClient send the same bodies for the same replies', async (t) => {
  const script = new Script();
  const agent = await startFakeAgent(script.handle);
  t.teardown(() => agent.close());

  // Phase A: the real tracer.
  const tracer = await spawnTracer({
    agentUrl: agent.url,
    service: 'checkout',
    env: 'dev',
    version: '1.2.3',
    pollIntervalS: 0.2,
    extraEnv: { DD_TRACE_FLUSH_INTERVAL: '100' },
  });
  t.teardown(() => tracer.kill());
  const fail = (err: unknown) => {
    t.comment(tracer.output());
    throw err;
  };

  await tracer.waitFor((e) => e.type === 'ffe-ready', 20_000).catch(fail);
  t.same(
    [
      (await tracer.evaluate('new-checkout', false)).value,
      (await tracer.evaluate('banner-text', 'default')).value,
      (await tracer.evaluate('max-items', 1)).value,
      (await tracer.evaluate('no-such-flag', 'fallback')).value,
    ],
    [true, 'served by rc-agent', 20, 'fallback'],
    'the example UFC document evaluates inside dd-trace',
  );
  const applied = await tracer.waitFor(
    (e) => e.type === 'apm-tracing' && (e.applied as string[]).includes('org-sampling'),
    10_000,
  );
  t.match(applied, { sampleRate: 0.5, sampleRateOrigin: 'remote_config', tags: { 'rc-source': 'org' } });

  const mark = tracer.events.length;
  script.stage = 3;
  const unapplied = await tracer.waitFor(
    (e: TracerEvent) => e.type === 'apm-tracing' && (e.unapplied as string[]).includes('org-sampling'),
    10_000,
    mark,
  );
  t.not(unapplied.sampleRateOrigin, 'remote_config', 'unapply restores the sampling rate');
  t.equal(unapplied.tags && (unapplied.tags as Record<string, unknown>)['rc-source'], undefined);
  t.equal((await tracer.evaluate('banner-text', 'default')).value, 'modified by rc-agent', 'modify applies');

  // A trace flush answered 404 (what rc-agent does for /v0.4/traces) must not disturb the tracer.
  await tracer.span();
  await until(() => agent.otherPaths.some((p) => p.includes('/traces')), 'the trace flush', 30_000);
  // Two more polls: the acknowledgement of the modified config is on the wire, and the tracer still polls.
  const after = agent.requests.length;
  await until(() => agent.requests.length >= after + 2, 'two more polls', 30_000);
  t.notOk(tracer.exited, 'the tracer is alive after a 404 on its trace flush');
  await tracer.kill();

  const traced = distinct(agent.requests.map((r) => r.raw));
  t.equal(traced.length, 4, 'first poll, error report, acknowledged v100, acknowledged v101');
  const inside = distinct(tracer.events.filter((e) => e.type === 'rc-request').map((e) => String(e.body)));
  t.same(inside.slice(0, 4), traced, 'the in-process hook sees the bytes the agent receives');

  // Phase B: our client with the tracer's identity, through the same script.
  const first = JSON.parse(traced[0]!);
  const ct = first.client.client_tracer;
  const fields = {
    agentUrl: agent.url,
    products: first.client.products,
    clientId: first.client.id,
    runtimeId: ct.runtime_id,
    language: ct.language,
    tracerVersion: ct.tracer_version,
    service: ct.service,
    env: ct.env,
    appVersion: ct.app_version,
    extraServices: ct.extra_services,
    processTags: ct.process_tags,
  };
  const defaults = new RcClient(fields);
  t.same(JSON.parse(defaults.requestBody()).client.client_tracer.tags, ct.tags, 'default tags are dd-trace-js tags');
  t.equal(JSON.parse(defaults.requestBody()).client.capabilities, first.client.capabilities, 'default capabilities');

  const client = new RcClient({
    ...fields,
    tags: ct.tags,
    capabilities: Buffer.from(first.client.capabilities, 'base64'),
  });
  t.teardown(() => client.stop());
  script.stage = 0;
  const from = agent.requests.length;
  await client.pollOnce(); // R_bad
  await client.pollOnce(); // full state
  await client.pollOnce(); // {}
  script.stage = 3;
  await client.pollOnce(); // modify + unapply
  await client.pollOnce(); // {}
  const ours = distinct(agent.requests.slice(from).map((r) => r.raw));

  t.equal(ours.length, traced.length);
  for (const [i, body] of traced.entries()) {
    const mine = ours[i] ?? '';
    t.same(keyPaths(JSON.parse(mine)), keyPaths(JSON.parse(body)), `body ${i}: same fields, key order and types`);
    t.equal(mine, body, `body ${i}: byte-identical`);
  }
  const errorBody = JSON.parse(traced[1]!);
  t.equal(errorBody.client.state.error, `Error: Unable to find file for path ${FFE_PATH}`, 'dd-trace error text');
  t.equal(errorBody.client.state.targets_version, 0);
  const last = JSON.parse(traced[3]!);
  t.equal(last.client.state.backend_client_state, 'c3RhdGUtMTAx');
  t.same(last.client.state.config_states, [
    { id: 'ffe-demo', version: 4, product: 'FFE_FLAGS', apply_state: 2, apply_error: '' },
  ]);
});

void t.test('the predicate-restricted example wins over the org-level one inside a checkout tracer', async (t) => {
  const checkout = {
    path: 'datadog/2/APM_TRACING/checkout-sampling/config',
    raw: exampleConfig('APM_TRACING', 'checkout-sampling'),
  };
  const agent = await startFakeAgent((req) =>
    req.body.client.state.targets_version === 0
      ? { body: buildReply({ version: 100, files: [apm, checkout] }) }
      : { body: '{}' },
  );
  t.teardown(() => agent.close());
  const tracer = await spawnTracer({ agentUrl: agent.url, service: 'checkout', pollIntervalS: 0.2, reportRc: false });
  t.teardown(() => tracer.kill());
  const event = await tracer.waitFor((e) => e.type === 'apm-tracing', 20_000);
  t.same([...(event.configIds as string[])].sort(), ['checkout-sampling', 'org-sampling']);
  // dd-trace-js merges APM_TRACING configs by target: service (priority 4) over org (1).
  t.match(event, { sampleRate: 0.25, sampleRateOrigin: 'remote_config', tags: { 'rc-source': 'checkout' } });
  t.notOk(
    tracer.events.some((e) => e.type === 'rc-request'),
    'reportRc: false silences per-poll events',
  );
});
