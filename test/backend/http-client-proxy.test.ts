// The backend client through a real HTTP CONNECT proxy on loopback, TLS options, the RC key header and API key
// rotation (PROTOCOL.md §1 "Agent → backend").
import {
  createServer as createHttpServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { connect as netConnect, type AddressInfo, type Socket } from 'node:net';
import t, { type Test } from 'tap';
import { createHttpBackendClient } from '../../src/backend/index.js';
import { type HttpBackendClientOptions } from '../../src/backend/http-client.js';
import { loadOrCreateCredentials } from '../../src/grpc/credentials.js';
import { pb } from '../../src/proto/index.js';

interface SeenRequest {
  readonly url: string | undefined;
  readonly apiKey: string | undefined;
  readonly appKey: string | undefined;
}

const orgBody = Buffer.from(pb.OrgDataResponse.encode({ uuid: 'org-uuid-1' }).finish());

function headerOf(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Answers /api/v0.1/org and records what each request carried. */
function recordingHandler(seen: SeenRequest[]): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    seen.push({ url: req.url, apiKey: headerOf(req, 'dd-api-key'), appKey: headerOf(req, 'dd-application-key') });
    req.resume();
    req.on('end', () => res.end(orgBody));
  };
}

/** Listens on an ephemeral loopback port, closed at teardown; resolves with the port. */
async function listen(t: Test, server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  return (server.address() as AddressInfo).port;
}

/** An https backend answering /api/v0.1/org, with the IPC certificate (SAN 127.0.0.1). */
async function startHttpsBackend(
  t: Test,
): Promise<{ url: string; port: number; certPem: string; seen: SeenRequest[] }> {
  const creds = await loadOrCreateCredentials(t.testdir());
  const seen: SeenRequest[] = [];
  const server = createHttpsServer({ cert: creds.certPem, key: creds.keyPem }, recordingHandler(seen));
  const port = await listen(t, server);
  return { url: `https://127.0.0.1:${port}`, port, certPem: creds.certPem, seen };
}

/** A plain http backend (for the `no_tls` + `proxy.http` forwarding case). */
async function startHttpBackend(t: Test): Promise<{ url: string; seen: SeenRequest[] }> {
  const seen: SeenRequest[] = [];
  const port = await listen(t, createHttpServer(recordingHandler(seen)));
  return { url: `http://127.0.0.1:${port}`, seen };
}

interface ProxyLog {
  readonly connects: Array<{ target: string; auth: string | undefined }>;
  readonly forwarded: Array<{ url: string | undefined; auth: string | undefined }>;
}

/** A tiny forward proxy: CONNECT tunnels and absolute-form forwarding, optionally requiring Basic auth. */
async function startProxy(t: Test, requiredAuth?: string): Promise<{ url: string; log: ProxyLog }> {
  const log: ProxyLog = { connects: [], forwarded: [] };
  const sockets = new Set<Socket>();
  const server = createHttpServer((req, res) => {
    const auth = headerOf(req, 'proxy-authorization');
    log.forwarded.push({ url: req.url, auth });
    if (requiredAuth !== undefined && auth !== requiredAuth) {
      res.writeHead(407).end();
      return;
    }
    const target = new URL(req.url ?? '');
    const headers = { ...req.headers };
    delete headers['proxy-authorization'];
    delete headers['proxy-connection'];
    const upstream = httpRequest(
      { host: target.hostname, port: target.port, path: target.pathname, method: req.method, headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    req.pipe(upstream);
  });
  server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    const auth = headerOf(req, 'proxy-authorization');
    log.connects.push({ target: req.url ?? '', auth });
    sockets.add(client);
    if (requiredAuth !== undefined && auth !== requiredAuth) {
      client.end('HTTP/1.1 407 Proxy Authentication Required\r\n\r\n');
      return;
    }
    const [host, port] = (req.url ?? '').split(':');
    const upstream = netConnect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    const close = (): void => {
      upstream.destroy();
      client.destroy();
    };
    upstream.on('error', close);
    client.on('error', close);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(async () => {
    for (const s of sockets) s.destroy();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, log };
}

function client(t: Test, opts: Partial<HttpBackendClientOptions> & { baseUrl: string }) {
  const c = createHttpBackendClient({ apiKey: 'key-1', noTls: false, fetchTimeoutMs: 5_000, ...opts });
  t.teardown(() => c.close());
  return c;
}

const noProxyNone = { http: '', noProxy: [], noProxyNonexactMatch: false };

void t.test('https backend through a CONNECT proxy, trusting the backend CA', async (t) => {
  const backend = await startHttpsBackend(t);
  const proxy = await startProxy(t);
  const c = client(t, {
    baseUrl: backend.url,
    appKey: 'app-key-1',
    proxy: { ...noProxyNone, https: proxy.url },
    tls: { skipVerify: false, minVersion: 'TLSv1.2', ca: backend.certPem },
  });
  t.equal(c.proxyUrl, proxy.url);
  t.equal(await c.fetchOrgUuid(), 'org-uuid-1');
  t.same(proxy.log.connects, [{ target: `127.0.0.1:${backend.port}`, auth: undefined }], 'one CONNECT tunnel');
  t.same(backend.seen, [{ url: '/api/v0.1/org', apiKey: 'key-1', appKey: 'app-key-1' }], 'headers inside the tunnel');

  // API key rotation: the next request carries the new key, over the same client
  c.setApiKey('key-2');
  t.equal(await c.fetchOrgUuid(), 'org-uuid-1');
  t.equal(backend.seen[1]?.apiKey, 'key-2');
  t.equal(backend.seen[1]?.appKey, 'app-key-1');
});

void t.test('proxy credentials go in Proxy-Authorization and are hidden from proxyUrl', async (t) => {
  const backend = await startHttpsBackend(t);
  const expected = `Basic ${Buffer.from('user:p@ss').toString('base64')}`;
  const proxy = await startProxy(t, expected);
  const proxyUrl = new URL(proxy.url);
  proxyUrl.username = 'user';
  proxyUrl.password = encodeURIComponent('p@ss');
  const c = client(t, {
    baseUrl: backend.url,
    proxy: { ...noProxyNone, https: proxyUrl.toString() },
    tls: { skipVerify: false, minVersion: 'TLSv1.2', ca: backend.certPem },
  });
  t.equal(c.proxyUrl, proxy.url, 'no credentials in what is logged');
  t.equal(await c.fetchOrgUuid(), 'org-uuid-1');
  t.equal(proxy.log.connects[0]?.auth, expected);

  const wrong = client(t, {
    baseUrl: backend.url,
    proxy: { ...noProxyNone, https: proxy.url },
    tls: { skipVerify: false, minVersion: 'TLSv1.2', ca: backend.certPem },
  });
  await t.rejects(wrong.fetchOrgUuid(), { code: 'NETWORK', message: /failed to issue request: .*407/ });
});

void t.test('TLS: an untrusted certificate fails; skip_ssl_validation accepts it', async (t) => {
  const backend = await startHttpsBackend(t);
  const proxy = await startProxy(t);
  const strict = client(t, {
    baseUrl: backend.url,
    proxy: { ...noProxyNone, https: proxy.url },
    tls: { skipVerify: false, minVersion: 'TLSv1.2' },
  });
  await t.rejects(strict.fetchOrgUuid(), { code: 'NETWORK' });
  t.equal(backend.seen.length, 0, 'nothing reached the backend');

  const skip = client(t, {
    baseUrl: backend.url,
    proxy: { ...noProxyNone, https: proxy.url },
    tls: { skipVerify: true, minVersion: 'TLSv1.2' },
  });
  t.equal(await skip.fetchOrgUuid(), 'org-uuid-1');

  // min_tls_version is enforced: a server capped at TLS 1.2 refuses a client requiring 1.3
  const creds = await loadOrCreateCredentials(t.testdir());
  const old = createHttpsServer({ cert: creds.certPem, key: creds.keyPem, maxVersion: 'TLSv1.2' }, (_q, r) =>
    r.end(orgBody),
  );
  const oldUrl = `https://127.0.0.1:${await listen(t, old)}`;
  const tls13 = client(t, { baseUrl: oldUrl, tls: { skipVerify: false, minVersion: 'TLSv1.3', ca: creds.certPem } });
  await t.rejects(tls13.fetchOrgUuid(), { code: 'NETWORK' });
  const tls12 = client(t, { baseUrl: oldUrl, tls: { skipVerify: false, minVersion: 'TLSv1.2', ca: creds.certPem } });
  t.equal(await tls12.fetchOrgUuid(), 'org-uuid-1');
});

void t.test('no_proxy: an exactly matching host goes direct', async (t) => {
  const backend = await startHttpsBackend(t);
  const proxy = await startProxy(t);
  const c = client(t, {
    baseUrl: backend.url,
    proxy: { ...noProxyNone, https: proxy.url, noProxy: ['example.com', `127.0.0.1:${backend.port}`] },
    tls: { skipVerify: false, minVersion: 'TLSv1.2', ca: backend.certPem },
  });
  t.equal(c.proxyUrl, undefined);
  t.equal(await c.fetchOrgUuid(), 'org-uuid-1');
  t.equal(proxy.log.connects.length, 0, 'the proxy saw nothing');
  t.equal(backend.seen.length, 1);
});

void t.test('plain-http backend (no_tls) is forwarded to proxy.http in absolute form', async (t) => {
  const backend = await startHttpBackend(t);
  const proxy = await startProxy(t);
  const c = client(t, {
    baseUrl: backend.url,
    noTls: true,
    appKey: 'app',
    proxy: { ...noProxyNone, http: proxy.url, https: 'http://127.0.0.1:1' },
  });
  t.equal(await c.fetchOrgUuid(), 'org-uuid-1');
  t.same(proxy.log.forwarded, [{ url: `${backend.url}/api/v0.1/org`, auth: undefined }]);
  t.equal(proxy.log.connects.length, 0);
  t.same(backend.seen, [{ url: '/api/v0.1/org', apiKey: 'key-1', appKey: 'app' }]);
});
