// The herd generator's pure parts: body templates (byte-identical to RcClient's bodies), lane state after a reply
// (byte-identical to RcClient's next body), the minimal HTTP reply reader and the freshness rule.
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import {
  BodyTemplate,
  HttpReplyError,
  HttpReplyReader,
  LaneState,
  ReplyError,
  documentIndexAt,
  isCurrent,
  nextDelayMs,
  populationLanes,
} from '../../../bench/herd/index.js';
import { TRACER_PRODUCTS } from '../../../bench/common/index.js';
import { RcClient } from '../../../src/client/index.js';

const IDS = {
  clientId: '11111111-1111-4111-8111-111111111111',
  runtimeId: '22222222-2222-4222-8222-222222222222',
  service: 'bench-svc-7',
};
const FAST_ID = '33333333-3333-4333-8333-333333333333';

function client(policy: 'legacy' | 'fastlane', agentUrl = 'http://127.0.0.1:9'): RcClient {
  return new RcClient({
    agentUrl,
    products: TRACER_PRODUCTS,
    policy,
    runtimeId: IDS.runtimeId,
    clientId: IDS.clientId,
    fastLaneClientId: FAST_ID,
    service: IDS.service,
    env: 'bench',
    appVersion: '1.0.0',
  });
}

t.test('templates render the bytes RcClient sends, for every lane of every population', async (t) => {
  const [unchanged] = populationLanes('unchanged', TRACER_PRODUCTS);
  const template = LaneState.initial(unchanged!.profile).template;
  t.equal(template.render(IDS), client('legacy').requestBody('main'));
  t.equal(template.byteLength(IDS), Buffer.byteLength(client('legacy').requestBody('main')));

  const lanes = populationLanes('fastlane', TRACER_PRODUCTS);
  t.same(
    lanes.map((l) => l.name),
    ['main', 'fast'],
  );
  const fastlane = client('fastlane');
  for (const lane of lanes) {
    const ids = lane.name === 'fast' ? { ...IDS, clientId: FAST_ID } : IDS;
    t.equal(LaneState.initial(lane.profile).template.render(ids), fastlane.requestBody(lane.name), lane.name);
  }
  t.same(
    populationLanes('split', TRACER_PRODUCTS).map((l) => [l.name, l.schedule]),
    [
      ['main', 'fixed'],
      ['fast', 'fast-until-delivered'],
    ],
  );
});

t.test('a template splices every slot occurrence', async (t) => {
  const tpl = new BodyTemplate('{"a":"@@CLIENT_ID@@","b":["x:@@CLIENT_ID@@","@@RUNTIME_ID@@"],"s":"@@SERVICE@@"}');
  t.same(tpl.slots, ['clientId', 'clientId', 'runtimeId', 'service']);
  t.equal(tpl.render({ clientId: 'C', runtimeId: 'R', service: 'S' }), '{"a":"C","b":["x:C","R"],"s":"S"}');
});

/** A director targets document and a reply as the agent sends them (files base64, targets base64). */
function reply(version: number, files: Record<string, string>, cached: readonly string[] = []): string {
  const sha = (text: string): string => createHash('sha256').update(text).digest('hex');
  const targets: Record<string, unknown> = {};
  for (const [path, text] of Object.entries(files)) {
    targets[path] = { length: Buffer.byteLength(text), hashes: { sha256: sha(text) }, custom: { v: version } };
  }
  const signed = { _type: 'targets', version, targets, custom: { opaque_backend_state: `state-${version}` } };
  return JSON.stringify({
    roots: [],
    targets: Buffer.from(JSON.stringify({ signatures: [], signed })).toString('base64'),
    target_files: Object.entries(files)
      .filter(([p]) => !cached.includes(p))
      .map(([path, text]) => ({ path, raw: Buffer.from(text).toString('base64') })),
    client_configs: Object.keys(files),
  });
}

const FFE = 'datadog/2/FFE_FLAGS/ffe-bench/config';
const APM = 'datadog/2/APM_TRACING/bench-sampling/config';

t.test('the state after a reply renders the body RcClient sends next', async (t) => {
  const replies = [
    reply(7, { [FFE]: '{"flags":1}', [APM]: '{"a":1}' }),
    reply(8, { [FFE]: '{"flags":2}', [APM]: '{"a":1}' }, [APM]),
  ];
  let served = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.end(replies[Math.min(served++, replies.length - 1)]));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => server.close());
  const rc = client('legacy', `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  const [lane] = populationLanes('unchanged', TRACER_PRODUCTS);
  let state = LaneState.initial(lane!.profile);
  for (const r of replies) {
    await rc.pollOnce();
    state = state.after(r);
    t.equal(state.template.render(IDS), rc.requestBody('main'), `after targets version ${state.targetsVersion}`);
  }
  t.equal(state.targetsVersion, 8);
  t.equal(state.held.size, 2);
  t.equal(state.after('{}'), state, '{} changes nothing');
  t.equal(state.after(replies[1]!), state.after(replies[1]!), 'the same reply to the same state is one interned state');
});

t.test('a reply dd-trace-js would reject throws ReplyError', async (t) => {
  const initial = LaneState.initial(populationLanes('unchanged', TRACER_PRODUCTS)[0]!.profile);
  t.throws(() => initial.after('not json'), ReplyError);
  const noFile = JSON.parse(reply(3, { [FFE]: '{}' })) as { target_files: unknown[] };
  noFile.target_files = [];
  t.throws(() => initial.after(JSON.stringify(noFile)), ReplyError, 'a listed config without its file');
});

t.test('the HTTP reply reader: content-length, chunked, split reads, close', async (t) => {
  const reader = new HttpReplyReader();
  const head = 'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 7\r\n\r\n';
  t.equal(reader.push(Buffer.from(head.slice(0, 20))), undefined);
  t.equal(reader.push(Buffer.from(head.slice(20) + '{"a"')), undefined);
  t.same(reader.push(Buffer.from(':1}')), { status: 200, body: '{"a":1}', close: false });

  // A UTF-8 character split across chunks decodes whole.
  const chunked = Buffer.concat([
    Buffer.from('HTTP/1.1 503 Busy\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n3\r\nab'),
    Buffer.from([0xc3]),
    Buffer.from('\r\n2\r\n'),
    Buffer.from([0xa9]),
    Buffer.from('!\r\n0\r\n\r\n'),
  ]);
  t.same(reader.push(chunked), { status: 503, body: 'abé!', close: true });
  t.same(reader.push(Buffer.from('HTTP/1.0 204 No Content\r\n\r\n')), { status: 204, body: '', close: true });
  t.throws(() => new HttpReplyReader().push(Buffer.from('SSH-2.0-x\r\n\r\n')), HttpReplyError);
});

t.test('freshness: the document held 1 s before the request, or newer', async (t) => {
  const timeline = [
    { sha256: 'old', sinceMs: 0 },
    { sha256: 'new', sinceMs: 10_000 },
  ];
  t.equal(documentIndexAt(timeline, 5_000), 0);
  t.equal(documentIndexAt(timeline, 10_000), 1);
  t.ok(isCurrent(timeline, 'old', 10_500), 'a change younger than 1 s may be missing');
  t.notOk(isCurrent(timeline, 'old', 11_000), 'the old document 1 s after the change is not current');
  t.ok(isCurrent(timeline, 'new', 10_200), 'a newer document is always current');
  t.notOk(isCurrent(timeline, undefined, 5_000), 'no FFE_FLAGS is not delivered');
  t.notOk(isCurrent(timeline, 'unknown', 5_000), 'a document the backend never held is not delivered');
});

t.test('poll schedules per population', async (t) => {
  const timing = { pollIntervalMs: 5000, fastPollIntervalMs: 1000 };
  const [main, fast] = populationLanes('split', TRACER_PRODUCTS);
  t.equal(nextDelayMs(main!, timing, { delivered: false, failures: 0 }, Math.random), 5000);
  t.equal(nextDelayMs(fast!, timing, { delivered: false, failures: 2 }, Math.random), 1000);
  t.equal(nextDelayMs(fast!, timing, { delivered: true, failures: 0 }, Math.random), 5000);
  const [, rcFast] = populationLanes('fastlane', TRACER_PRODUCTS);
  t.equal(
    nextDelayMs(rcFast!, timing, { delivered: false, failures: 0 }, () => 0.5),
    1000,
    'jitter centred',
  );
  t.equal(
    nextDelayMs(rcFast!, timing, { delivered: false, failures: 0 }, () => 0),
    500,
  );
  t.equal(
    nextDelayMs(rcFast!, timing, { delivered: false, failures: 1 }, () => 1),
    2000,
    'backoff ceiling',
  );
});
