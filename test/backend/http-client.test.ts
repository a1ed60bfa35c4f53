import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import t, { type Test } from 'tap';
import { BackendError, createHttpBackendClient } from '../../src/backend/index.js';
import { pb } from '../../src/proto/index.js';

type Handler = (req: IncomingMessage, body: Buffer, res: ServerResponse) => void;

/** A plain node:http server whose behaviour each test sets. */
async function startServer(t: Test): Promise<{ url: string; setHandler(h: Handler): void }> {
  let handler: Handler = (_req, _body, res) => res.end();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handler(req, Buffer.concat(chunks), res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, setHandler: (h) => (handler = h) };
}

function client(t: Test, url: string, fetchTimeoutMs = 5_000) {
  const c = createHttpBackendClient({ baseUrl: url, apiKey: 'key-1', noTls: true, fetchTimeoutMs });
  t.teardown(() => c.close());
  return c;
}

const request = { hostname: 'h', agentVersion: '7.70.0', products: ['APM_TRACING'], currentConfigSnapshotVersion: 3 };

void t.test('refuses plain http unless no_tls (reference NewHTTPClient)', async (t) => {
  const err = t.throws(() =>
    createHttpBackendClient({ baseUrl: 'http://127.0.0.1:1', apiKey: 'k', noTls: false, fetchTimeoutMs: 1000 }),
  ) as BackendError;
  t.ok(err instanceof BackendError);
  t.equal(err.code, 'INVALID_CONFIG');
  t.match(err.message, /TLS is required by default/);
  t.throws(() => createHttpBackendClient({ baseUrl: 'not a url', apiKey: 'k', noTls: true, fetchTimeoutMs: 1000 }));
  t.throws(() => createHttpBackendClient({ baseUrl: 'ftp://x', apiKey: 'k', noTls: true, fetchTimeoutMs: 1000 }));
  t.throws(() => createHttpBackendClient({ baseUrl: 'https://x', apiKey: 'k', noTls: false, fetchTimeoutMs: 0 }));
  const ok = createHttpBackendClient({
    baseUrl: 'https://config.datadoghq.com/',
    apiKey: 'k',
    noTls: false,
    fetchTimeoutMs: 1000,
  });
  t.equal(ok.url, 'https://config.datadoghq.com');
  await ok.close();
});

void t.test('sends protobuf with DD-Api-Key and decodes the three answers', async (t) => {
  const srv = await startServer(t);
  const seen: Array<{ method?: string; url?: string; key?: string | string[]; type?: string; body: Buffer }> = [];
  srv.setHandler((req, body, res) => {
    seen.push({
      method: req.method,
      url: req.url,
      key: req.headers['dd-api-key'],
      type: req.headers['content-type'],
      body,
    });
    res.setHeader('content-type', 'application/x-protobuf');
    if (req.url === '/api/v0.1/configurations') {
      res.end(
        pb.LatestConfigsResponse.encode({
          targetFiles: [{ path: 'datadog/2/P/c/config', raw: Buffer.from('x') }],
        }).finish(),
      );
    } else if (req.url === '/api/v0.1/org') {
      res.end(pb.OrgDataResponse.encode({ uuid: 'org-uuid-1' }).finish());
    } else {
      res.end(pb.OrgStatusResponse.encode({ enabled: true, authorized: false }).finish());
    }
  });
  const c = client(t, srv.url);
  const res = await c.fetchLatestConfigs(request);
  t.equal(res.targetFiles?.[0]?.path, 'datadog/2/P/c/config');
  t.equal(await c.fetchOrgUuid(), 'org-uuid-1');
  t.same(await c.fetchOrgStatus(), { enabled: true, authorized: false });
  t.equal(seen.length, 3);
  t.same(
    seen.map((s) => [s.method, s.url, s.key, s.type]),
    [
      ['POST', '/api/v0.1/configurations', 'key-1', 'application/x-protobuf'],
      ['GET', '/api/v0.1/org', 'key-1', 'application/x-protobuf'],
      ['GET', '/api/v0.1/status', 'key-1', 'application/x-protobuf'],
    ],
  );
  const decoded = pb.LatestConfigsRequest.decode(seen[0]!.body);
  t.equal(decoded.agentVersion, '7.70.0');
  t.equal(decoded.currentConfigSnapshotVersion, 3);
  t.same(decoded.products, ['APM_TRACING']);
});

void t.test('maps statuses to the reference errors', async (t) => {
  const srv = await startServer(t);
  const c = client(t, srv.url);
  const cases: Array<[number, string, RegExp, Record<string, string>?]> = [
    [401, 'UNAUTHORIZED', /^unauthorized\. Please make sure your API key is valid and has the Remote Config scope$/],
    [403, 'PROXY', /^4XX status code\. This might be related to the proxy settings.*: 403$/],
    [404, 'PROXY', /: 404$/],
    [429, 'PROXY', /: 429$/, { 'retry-after': '7' }],
    [503, 'SERVICE_UNAVAILABLE', /non-200 response code: 503$/],
    [504, 'GATEWAY_TIMEOUT', /non-200 response code: 504$/],
    [500, 'NON_200', /^non-200 response code: 500$/],
    [302, 'NON_200', /^non-200 response code: 302$/],
  ];
  for (const [status, code, message, headers] of cases) {
    srv.setHandler((_req, _body, res) => {
      res.writeHead(status, headers ?? {});
      res.end('some body');
    });
    const calls: Array<() => Promise<unknown>> = [
      () => c.fetchLatestConfigs(request),
      () => c.fetchOrgUuid(),
      () => c.fetchOrgStatus(),
    ];
    for (const call of calls) {
      const err = (await call().then(
        () => undefined,
        (e: unknown) => e,
      )) as BackendError;
      t.ok(err instanceof BackendError, `${status} rejects with a BackendError`);
      t.equal(err.code, code, `${status} → ${code}`);
      t.match(err.message, message);
      t.equal(err.status, status);
      if (status === 429) t.equal(err.retryAfterMs, 7000, 'Retry-After is kept');
    }
  }
});

void t.test('garbage bytes on a 200 are BAD_RESPONSE', async (t) => {
  const srv = await startServer(t);
  srv.setHandler((_req, _body, res) => res.end('<html><body>gateway says hi</body></html>'));
  const c = client(t, srv.url);
  const calls: Array<() => Promise<unknown>> = [
    () => c.fetchLatestConfigs(request),
    () => c.fetchOrgUuid(),
    () => c.fetchOrgStatus(),
  ];
  for (const call of calls) {
    await t.rejects(call(), { name: 'BackendError', code: 'BAD_RESPONSE', message: /^failed to decode response: / });
  }
});

void t.test('a backend that never answers fails with TIMEOUT after fetchTimeoutMs', async (t) => {
  const srv = await startServer(t);
  let arrived = 0;
  srv.setHandler(() => void arrived++); // never responds
  const c = client(t, srv.url, 100);
  const err = (await c.fetchLatestConfigs(request).catch((e: unknown) => e)) as BackendError;
  t.equal(err.code, 'TIMEOUT');
  t.match(err.message, /timeout after 100 ms/);
  t.equal(arrived, 1);
  // headers sent, body never finished: still a timeout
  srv.setHandler((_req, _body, res) => {
    res.writeHead(200);
    res.write(Buffer.from([0x0a]));
  });
  await t.rejects(c.fetchOrgUuid(), { code: 'TIMEOUT' });
});

void t.test('the caller AbortSignal aborts an in-flight request', async (t) => {
  const srv = await startServer(t);
  const ac = new AbortController();
  srv.setHandler(() => ac.abort(new Error('caller gave up')));
  const c = client(t, srv.url);
  await t.rejects(c.fetchLatestConfigs(request, ac.signal), { name: 'BackendError', code: 'ABORTED' });
  // already aborted: no request at all
  let arrived = 0;
  srv.setHandler((_req, _body, res) => {
    arrived++;
    res.end();
  });
  await t.rejects(c.fetchOrgStatus(ac.signal), { code: 'ABORTED' });
  t.equal(arrived, 0);
});

void t.test('connection refused and reset are NETWORK errors', async (t) => {
  const srv = await startServer(t);
  srv.setHandler((req) => req.socket.resetAndDestroy());
  const c = client(t, srv.url);
  await t.rejects(c.fetchLatestConfigs(request), { code: 'NETWORK', message: /^failed to issue request: / });
  const dead = client(t, 'http://127.0.0.1:1');
  await t.rejects(dead.fetchOrgUuid(), { code: 'NETWORK' });
});

void t.test('a closed client refuses further calls', async (t) => {
  const c = createHttpBackendClient({ baseUrl: 'http://127.0.0.1:1', apiKey: 'k', noTls: true, fetchTimeoutMs: 1000 });
  await c.close();
  await c.close();
  await t.rejects(c.fetchOrgUuid(), { code: 'NETWORK' });
});
