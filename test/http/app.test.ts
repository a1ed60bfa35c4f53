import { Writable } from 'node:stream';
import pino from 'pino';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { Registry, Counter } from 'prom-client';
import { buildHttpApp } from '../../src/http/index.js';
import { type HttpAppOptions } from '../../src/http/app.js';
import { type RequestDoneInfo } from '../../src/http/config-route.js';
import { ServiceError } from '../../src/service/index.js';
import { aborted, FakeService } from '../helpers/fake-service.js';
import {
  LITERAL_FILE,
  LITERAL_FILE_PATH,
  LITERAL_REPLY,
  LITERAL_REQUEST,
  LITERAL_TARGETS_JSON,
} from '../helpers/rc-literal.js';

const TEXT = 'text/plain; charset=utf-8';

function app(service: FakeService, extra: Partial<HttpAppOptions> = {}) {
  const a = buildHttpApp({ service, enabled: true, version: '0.1.0-test', ...extra });
  return a;
}

t.test('200: the literal poll gets the literal reply as text/plain', async (t) => {
  const service = new FakeService(async () => ({
    targets: Buffer.from(LITERAL_TARGETS_JSON),
    targetFiles: [{ path: LITERAL_FILE_PATH, raw: Buffer.from(LITERAL_FILE) }],
    clientConfigs: [LITERAL_FILE_PATH],
  }));
  const a = app(service);
  t.teardown(() => a.close());
  const res = await a.inject({
    method: 'POST',
    url: '/v0.7/config',
    headers: { 'content-type': 'application/json; charset=utf-8', 'datadog-entity-id': 'in-1' },
    payload: LITERAL_REQUEST,
  });
  t.equal(res.statusCode, 200);
  t.equal(res.headers['content-type'], TEXT);
  t.equal(res.body, LITERAL_REPLY);
  t.equal(service.calls.length, 1);
  t.equal(service.calls[0]!.ctx.transport, 'http');
  t.equal(service.calls[0]!.request.client!.clientTracer!.service, 'checkout');
  t.equal(service.calls[0]!.ctx.signal.aborted, false);
});

t.test('no change: exactly the two bytes {}', async (t) => {
  const a = app(new FakeService());
  t.teardown(() => a.close());
  const res = await a.inject({ method: 'POST', url: '/v0.7/config', payload: LITERAL_REQUEST });
  t.equal(res.statusCode, 200);
  t.equal(res.rawPayload.length, 2);
  t.equal(res.body, '{}');
  t.equal(res.headers['content-length'], '2');
});

t.test('method and content type are not checked', async (t) => {
  const service = new FakeService();
  const a = app(service);
  t.teardown(() => a.close());
  // dd-trace-go polls with GET and a JSON body
  const get = await a.inject({ method: 'GET', url: '/v0.7/config', payload: '{"client":{"id":"go"}}\n' });
  t.equal(get.statusCode, 200);
  t.equal(service.calls.at(-1)!.request.client!.id, 'go');
  for (const contentType of [
    undefined,
    'text/plain',
    'application/x-www-form-urlencoded',
    'json',
    'garbage;;',
    'application/msgpack',
  ]) {
    const headers: Record<string, string> = contentType === undefined ? {} : { 'content-type': contentType };
    const res = await a.inject({ method: 'POST', url: '/v0.7/config', headers, payload: '{"client":{"id":"x"}}' });
    t.equal(res.statusCode, 200, String(contentType));
    t.equal(service.calls.at(-1)!.request.client!.id, 'x', String(contentType));
  }
  const put = await a.inject({ method: 'PUT', url: '/v0.7/config', payload: '{"client":{"id":"put"}}' });
  t.equal(put.statusCode, 200);
  t.equal(service.calls.at(-1)!.request.client!.id, 'put');
});

t.test('GET with a body over a real socket', async (t) => {
  const service = new FakeService();
  const a = app(service);
  t.teardown(() => a.close());
  await a.listen({ host: '127.0.0.1', port: 0 });
  const { port } = a.server.address() as AddressInfo;
  const body = '{"client":{"id":"go-client"}}\n';
  const res = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method: 'GET',
        path: '/v0.7/config',
        headers: { 'content-length': Buffer.byteLength(body) },
      },
      (r) => {
        let text = '';
        r.setEncoding('utf8');
        r.on('data', (c: string) => (text += c));
        r.on('end', () => resolve({ status: r.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
  t.equal(res.status, 200);
  t.equal(res.text, '{}');
  t.equal(service.calls[0]!.request.client!.id, 'go-client');
});

t.test('400: the decoder message and a newline, as plain text with nosniff', async (t) => {
  const a = app(new FakeService());
  t.teardown(() => a.close());
  const cases: Array<[string, string]> = [
    ['', 'unexpected end of JSON input\n'],
    ['{"client":', 'unexpected end of JSON input\n'],
    ['{"client":{"id":1}}', 'json: cannot unmarshal number into Go struct field Client.client.id of type string\n'],
    [
      '{"client":{"capabilities":"AmNAoAjwAg"}}',
      'illegal base64 data at input byte 8 in Go struct field Client.client.capabilities of type []uint8\n',
    ],
  ];
  for (const [payload, body] of cases) {
    const res = await a.inject({
      method: 'POST',
      url: '/v0.7/config',
      headers: { 'content-type': 'application/json' },
      payload,
    });
    t.equal(res.statusCode, 400, payload);
    t.equal(res.body, body, payload);
    t.equal(res.headers['content-type'], TEXT);
    t.equal(res.headers['x-content-type-options'], 'nosniff');
  }
  // an empty GET is an empty body too
  const get = await a.inject({ method: 'GET', url: '/v0.7/config' });
  t.equal(get.statusCode, 400);
  t.equal(get.body, 'unexpected end of JSON input\n');
});

t.test('404 when remote configuration is disabled: not served, not listed', async (t) => {
  const service = new FakeService();
  const a = app(service, { enabled: false });
  t.teardown(() => a.close());
  const res = await a.inject({ method: 'POST', url: '/v0.7/config', payload: LITERAL_REQUEST });
  t.equal(res.statusCode, 404);
  t.equal(res.body, '404 page not found\n');
  t.equal(res.headers['content-type'], TEXT);
  t.equal(res.headers['x-content-type-options'], 'nosniff');
  t.equal(service.calls.length, 0);
  const info = await a.inject({ method: 'GET', url: '/info' });
  t.same(info.json().endpoints, []);
});

t.test('service errors: 404 for Unimplemented/NotFound, 500 for the rest, validation included', async (t) => {
  const service = new FakeService();
  const a = app(service);
  t.teardown(() => a.close());
  const cases: Array<[Error, number, string]> = [
    [
      new ServiceError('UNIMPLEMENTED', 'remote configuration service not initialized'),
      404,
      'rpc error: code = Unimplemented desc = remote configuration service not initialized\n',
    ],
    [new ServiceError('NOT_FOUND', 'nope'), 404, 'rpc error: code = NotFound desc = nope\n'],
    [
      new ServiceError('INVALID_ARGUMENT', 'client.id is a required field for client config update requests'),
      500,
      'rpc error: code = InvalidArgument desc = client.id is a required field for client config update requests\n',
    ],
    [
      new ServiceError('UNKNOWN', 'director root version 3 was not found in local store'),
      500,
      'rpc error: code = Unknown desc = director root version 3 was not found in local store\n',
    ],
    [new ServiceError('UNAVAILABLE', 'stopping'), 500, 'rpc error: code = Unavailable desc = stopping\n'],
    [new ServiceError('CANCELLED', 'context canceled'), 500, 'rpc error: code = Canceled desc = context canceled\n'],
    // a bug is not described to the client, nor one the service wrapped as UNKNOWN (a store or system error)
    [new TypeError('x is undefined'), 500, 'internal server error (id <id>)\n'],
    [
      new ServiceError('UNKNOWN', 'EACCES: /var/run/secret', { cause: new Error('EACCES: /var/run/secret') }),
      500,
      'internal server error (id <id>)\n',
    ],
  ];
  for (const [error, status, body] of cases) {
    service.clientGetConfigsImpl = async () => {
      throw error;
    };
    const res = await a.inject({ method: 'POST', url: '/v0.7/config', payload: '{}' });
    t.equal(res.statusCode, status, error.message);
    t.equal(res.body.replace(/\(id [0-9a-f]{16}\)/, '(id <id>)'), body);
    t.equal(res.headers['content-type'], TEXT);
    t.equal(res.headers['x-content-type-options'], 'nosniff');
  }
});

t.test('204 for a nil response', async (t) => {
  const a = app(new FakeService(async () => undefined as never));
  t.teardown(() => a.close());
  const res = await a.inject({ method: 'POST', url: '/v0.7/config', payload: '{}' });
  t.equal(res.statusCode, 204);
  t.equal(res.body, '');
});

t.test('413 above bodyLimitBytes, for POST and for GET bodies', async (t) => {
  const service = new FakeService();
  const a = app(service, { bodyLimitBytes: 64 });
  t.teardown(() => a.close());
  const big = JSON.stringify({ client: { id: 'x'.repeat(100) } });
  const post = await a.inject({ method: 'POST', url: '/v0.7/config', payload: big });
  t.equal(post.statusCode, 413);
  t.equal(post.body, 'http: request body too large\n');
  t.equal(post.headers['x-content-type-options'], 'nosniff');
  const get = await a.inject({ method: 'GET', url: '/v0.7/config', payload: big });
  t.equal(get.statusCode, 413);
  t.equal(service.calls.length, 0);
  const small = await a.inject({ method: 'POST', url: '/v0.7/config', payload: '{}' });
  t.equal(small.statusCode, 200);
});

t.test('the default body limit is 1 MiB', async (t) => {
  const a = app(new FakeService());
  t.teardown(() => a.close());
  const payload = `{"pad":"${'x'.repeat(1024 * 1024)}"}`;
  t.equal((await a.inject({ method: 'POST', url: '/v0.7/config', payload })).statusCode, 413);
  const fits = `{"pad":"${'x'.repeat(1024 * 1024 - 20)}"}`;
  t.equal((await a.inject({ method: 'POST', url: '/v0.7/config', payload: fits })).statusCode, 200);
});

t.test('client_tracer: service and env normalised', async (t) => {
  const service = new FakeService();
  const a = app(service);
  t.teardown(() => a.close());
  await a.inject({
    method: 'POST',
    url: '/v0.7/config',
    payload: JSON.stringify({
      client: { id: 'c', is_tracer: true, client_tracer: { service: 'test ww w@', env: 'test@ww', language: 'go' } },
    }),
  });
  const tracer = service.calls[0]!.request.client!.clientTracer!;
  t.equal(tracer.service, 'test_ww_w');
  t.equal(tracer.env, 'test_ww');
  await a.inject({
    method: 'POST',
    url: '/v0.7/config',
    payload: JSON.stringify({ client: { client_tracer: { language: 'python' } } }),
  });
  t.equal(service.calls[1]!.request.client!.clientTracer!.service, 'unnamed-python-service');
  t.equal(service.calls[1]!.request.client!.clientTracer!.env, '');
});

t.test('container tags are appended to client_tracer.tags', async (t) => {
  const service = new FakeService();
  const seen: string[] = [];
  const a = app(service, {
    containerTags: (id) => {
      seen.push(id);
      if (id === 'broken') throw new Error('tagger down');
      return ['baz:qux'];
    },
  });
  t.teardown(() => a.close());
  const payload = JSON.stringify({ client: { id: 'c', client_tracer: { language: 'node', tags: ['foo:bar'] } } });
  const post = (headers: Record<string, string>, body = payload) =>
    a.inject({ method: 'POST', url: '/v0.7/config', headers, payload: body });

  await post({ 'datadog-container-id': 'abc123' });
  t.same(service.calls.at(-1)!.request.client!.clientTracer!.tags, ['foo:bar', 'baz:qux']);
  await post({ 'datadog-entity-id': 'ci-def456' });
  t.same(service.calls.at(-1)!.request.client!.clientTracer!.tags, ['foo:bar', 'baz:qux']);
  // a cgroup inode cannot be resolved here
  await post({ 'datadog-entity-id': 'in-1' });
  t.same(service.calls.at(-1)!.request.client!.clientTracer!.tags, ['foo:bar']);
  // no tags yet: the container tags become the list
  await post({ 'datadog-container-id': 'abc123' }, JSON.stringify({ client: { client_tracer: { language: 'node' } } }));
  t.same(service.calls.at(-1)!.request.client!.clientTracer!.tags, ['baz:qux']);
  // not a tracer: untouched
  await post({ 'datadog-container-id': 'abc123' }, JSON.stringify({ client: { id: 'agent', is_agent: true } }));
  t.equal(service.calls.at(-1)!.request.client!.clientTracer, undefined);
  // a failing tag source appends nothing and does not fail the request
  const res = await post({ 'datadog-container-id': 'broken' });
  t.equal(res.statusCode, 200);
  t.same(service.calls.at(-1)!.request.client!.clientTracer!.tags, ['foo:bar']);
  t.same(seen, ['abc123', 'def456', 'abc123', 'broken']);
});

t.test('no tag source: headers are ignored', async (t) => {
  const service = new FakeService();
  const a = app(service);
  t.teardown(() => a.close());
  await a.inject({
    method: 'POST',
    url: '/v0.7/config',
    headers: { 'datadog-container-id': 'abc' },
    payload: JSON.stringify({ client: { client_tracer: { language: 'node', tags: ['foo:bar'] } } }),
  });
  t.same(service.calls[0]!.request.client!.clientTracer!.tags, ['foo:bar']);
});

t.test('GET /info lists /v0.7/config and the version', async (t) => {
  const a = app(new FakeService());
  t.teardown(() => a.close());
  const res = await a.inject({ method: 'GET', url: '/info' });
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], /^application\/json/);
  const info = res.json();
  t.ok(info.endpoints.includes('/v0.7/config'));
  t.equal(info.version, '0.1.0-test');
});

t.test('/healthz, /readyz, /status', async (t) => {
  const service = new FakeService();
  service.ready = false;
  const a = app(service);
  t.teardown(() => a.close());
  t.equal((await a.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
  const notReady = await a.inject({ method: 'GET', url: '/readyz' });
  t.equal(notReady.statusCode, 503);
  t.equal(notReady.json<{ ready: boolean }>().ready, false);
  service.ready = true;
  const ready = await a.inject({ method: 'GET', url: '/readyz' });
  t.equal(ready.statusCode, 200);
  t.same(ready.json(), {
    ready: true,
    last_update: null,
    last_error: null,
    director_targets_version: 1795344487,
    configs: 1,
    products_requested: [],
    products_with_configs: [],
    products_fetched: ['APM_TRACING'],
  });
  const status = await a.inject({ method: 'GET', url: '/status' });
  t.equal(status.statusCode, 200);
  t.same(status.json(), service.status());
});

t.test('GET /metrics serves the injected registry', async (t) => {
  const registry = new Registry();
  new Counter({ name: 'rc_test_total', help: 'test', registers: [registry] }).inc(3);
  const a = app(new FakeService(), { metrics: registry });
  t.teardown(() => a.close());
  const res = await a.inject({ method: 'GET', url: '/metrics' });
  t.equal(res.statusCode, 200);
  t.equal(res.headers['content-type'], registry.contentType);
  t.match(res.body, /rc_test_total 3/);
  // without a registry there is no endpoint
  const bare = app(new FakeService());
  t.teardown(() => bare.close());
  t.equal((await bare.inject({ method: 'GET', url: '/metrics' })).statusCode, 404);
});

t.test('unknown paths: Go mux 404', async (t) => {
  const a = app(new FakeService());
  t.teardown(() => a.close());
  const res = await a.inject({ method: 'GET', url: '/v0.7/config/' });
  t.equal(res.statusCode, 404);
  t.equal(res.body, '404 page not found\n');
});

t.test('onRequestDone reports the outcome code and the duration', async (t) => {
  const done: RequestDoneInfo[] = [];
  let nowMs = 1000;
  const service = new FakeService(async () => {
    nowMs += 250;
    return {};
  });
  const a = app(service, { onRequestDone: (info) => done.push(info), monotonicNowMs: () => nowMs });
  t.teardown(() => a.close());
  await a.inject({ method: 'POST', url: '/v0.7/config', payload: '{}' });
  await a.inject({ method: 'POST', url: '/v0.7/config', payload: '{' });
  service.clientGetConfigsImpl = async () => {
    throw new ServiceError('INVALID_ARGUMENT', 'client is a required field for client config update requests');
  };
  await a.inject({ method: 'POST', url: '/v0.7/config', payload: '{}' });
  t.same(done, [
    { code: 'OK', seconds: 0.25 },
    { code: 'JSON_SYNTAX', seconds: 0 },
    { code: 'INVALID_ARGUMENT', seconds: 0 },
  ]);
});

t.test('keep-alive timeout is 10 s (above the 5 s tracer poll)', async (t) => {
  const a = app(new FakeService());
  t.teardown(() => a.close());
  await a.ready();
  t.equal(a.server.keepAliveTimeout, 10_000);
});

t.test('RequestContext.signal aborts when the client disconnects', async (t) => {
  let sawAbort!: () => void;
  const abortSeen = new Promise<void>((resolve) => (sawAbort = resolve));
  let arrived!: () => void;
  const requestArrived = new Promise<void>((resolve) => (arrived = resolve));
  const service = new FakeService(async (_req, ctx) => {
    arrived();
    await aborted(ctx.signal);
    sawAbort();
    return {};
  });
  const a = app(service);
  t.teardown(() => a.close());
  await a.listen({ host: '127.0.0.1', port: 0 });
  const { port } = a.server.address() as AddressInfo;
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  const body = '{"client":{"id":"gone"}}';
  socket.write(`POST /v0.7/config HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
  await requestArrived;
  t.equal(service.calls[0]!.ctx.signal.aborted, false);
  socket.destroy();
  await abortSeen;
  t.equal(service.calls[0]!.ctx.signal.aborted, true);
});

t.test('a signal first read after the client left is already aborted', async (t) => {
  let serverSocketClosed!: () => void;
  const closed = new Promise<void>((resolve) => (serverSocketClosed = resolve));
  let arrived!: () => void;
  const requestArrived = new Promise<void>((resolve) => (arrived = resolve));
  let readAfterClose: boolean | undefined;
  let finished!: () => void;
  const serviceDone = new Promise<void>((resolve) => (finished = resolve));
  const service = new FakeService(async (_req, ctx) => {
    arrived();
    await closed;
    readAfterClose = ctx.signal.aborted;
    finished();
    return {};
  });
  const a = app(service);
  t.teardown(() => a.close());
  a.server.on('connection', (s) => s.once('close', () => serverSocketClosed()));
  await a.listen({ host: '127.0.0.1', port: 0 });
  const { port } = a.server.address() as AddressInfo;
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  socket.write('POST /v0.7/config HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}');
  await requestArrived;
  socket.destroy();
  await serviceDone;
  t.equal(readAfterClose, true);
});

t.test('the signal is not aborted after a normal response', async (t) => {
  const service = new FakeService();
  const a = app(service);
  t.teardown(() => a.close());
  await a.listen({ host: '127.0.0.1', port: 0 });
  const { port } = a.server.address() as AddressInfo;
  const res = await fetch(`http://127.0.0.1:${port}/v0.7/config`, { method: 'POST', body: '{}' });
  t.equal(await res.text(), '{}');
  t.equal(service.calls[0]!.ctx.signal.aborted, false);
});

t.test('a repeated body is decoded once: the service gets the same frozen request', async (t) => {
  const service = new FakeService();
  const a = app(service, {
    containerTags: (id) => [`container:${id}`],
  });
  t.teardown(() => a.close());
  // a tracer's steady body (it holds targets); its first poll is checked below
  const steady = LITERAL_REQUEST.replace('"targets_version":0', '"targets_version":3');
  const post = (headers: Record<string, string> = {}, payload = steady) =>
    a.inject({ method: 'POST', url: '/v0.7/config', headers, payload });
  t.equal((await post()).statusCode, 200);
  t.equal((await post()).statusCode, 200);
  const [first, second] = service.calls.map((c) => c.request);
  t.equal(first, second, 'one decoded object for the same bytes');
  t.ok(Object.isFrozen(first!.client!.clientTracer!), 'deep-frozen');
  t.equal(first!.client!.clientTracer!.service, 'checkout', 'normalised before caching');
  // another body, or a request whose container tags apply, is decoded on its own
  await post({}, steady.replace('"checkout"', '"Checkout2"'));
  t.not(service.calls[2]!.request, first);
  t.equal(service.calls[2]!.request.client!.clientTracer!.service, 'checkout2');
  await post({ 'datadog-container-id': 'c1' });
  await post({ 'datadog-container-id': 'c1' });
  t.not(service.calls[3]!.request, first);
  t.not(service.calls[4]!.request, service.calls[3]!.request);
  t.equal(service.calls[4]!.request.client!.clientTracer!.tags!.at(-1), 'container:c1');
  t.notOk(Object.isFrozen(service.calls[4]!.request), 'not cached, not frozen');
  // a failing body is not cached: the same error each time
  for (let i = 0; i < 2; i++) t.equal((await post({}, '{"client":{"id":1}}')).statusCode, 400);
  // a first poll (targets_version 0) is kept from its second arrival until a later body of the same client is cached
  await post({}, LITERAL_REQUEST);
  await post({}, LITERAL_REQUEST);
  await post({}, LITERAL_REQUEST);
  const [w, x, y] = service.calls.slice(-3).map((c) => c.request);
  t.not(w, x, 'a first poll seen once is not kept');
  t.notOk(Object.isFrozen(w), 'nor frozen');
  t.equal(w!.client!.clientTracer!.service, 'checkout', 'normalised all the same');
  t.equal(x, y, 'a repeated first poll is decoded once more, then served from the cache');
  await post({}, LITERAL_REQUEST.replace('"targets_version":0', '"targets_version":4'));
  await post({}, LITERAL_REQUEST);
  t.not(service.calls.at(-1)!.request, x, 'after the next body of its client, the first poll is decoded anew');
  t.equal(service.calls.at(-1)!.request.client!.clientTracer!.service, 'checkout', 'normalised all the same');
});

t.test('requestCacheEntries 0 turns the cache off', async (t) => {
  const service = new FakeService();
  const a = app(service, { requestCacheEntries: 0 });
  t.teardown(() => a.close());
  const steady = LITERAL_REQUEST.replace('"targets_version":0', '"targets_version":3');
  for (let i = 0; i < 2; i++) await a.inject({ method: 'POST', url: '/v0.7/config', payload: steady });
  t.not(service.calls[0]!.request, service.calls[1]!.request);
  t.notOk(Object.isFrozen(service.calls[0]!.request));
});

t.test('an internal error is logged with its stack under the ID the client got', async (t) => {
  const service = new FakeService(async () => {
    throw new Error('EACCES: /secret/path');
  });
  let logged = '';
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logged += chunk.toString();
      done();
    },
  });
  const a = app(service, { logger: pino({ level: 'error' }, sink) });
  t.teardown(() => a.close());
  const res = await a.inject({ method: 'POST', url: '/v0.7/config', payload: '{}' });
  t.equal(res.statusCode, 500);
  t.notMatch(res.body, /EACCES|secret/);
  const id = /\(id ([0-9a-f]{16})\)/.exec(res.body)?.[1];
  t.ok(id);
  const line = JSON.parse(logged.trim()) as { errorId: string; err: { stack: string } };
  t.equal(line.errorId, id);
  t.match(line.err.stack, /EACCES: \/secret\/path\n\s+at /);
});
