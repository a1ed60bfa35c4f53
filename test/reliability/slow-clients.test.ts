// Issue 13 property 7: slowloris headers, a body sent a byte at a time, a client that never reads its answer and a
// connection flood each lose their own connection to a timeout or the cap, while other clients keep being served.
// Real HTTP on loopback with short limits (the defaults are in README "Tuning").
import type { Socket } from 'node:net';
import t from 'tap';
import { request } from 'undici';
import { buildHttpApp } from '../../src/http/index.js';
import { FakeService } from '../helpers/fake-service.js';
import { waitUntil } from '../helpers/agent-process.js';
import { openRawSocket as open } from '../helpers/raw-socket.js';

const LIMITS = {
  // short, yet far above what a normal request takes on a loaded machine
  headersTimeoutMs: 1_500,
  requestTimeoutMs: 3_000,
  socketIdleTimeoutMs: 3_000,
  maxConnections: 40,
  timeoutCheckIntervalMs: 100,
};
const BODY = '{"client":{"state":{"root_version":1},"id":"x","is_tracer":true,"client_tracer":{"language":"node"}}}';

async function start(t: { teardown(fn: () => unknown): void }, service = new FakeService()) {
  const app = buildHttpApp({ service, enabled: true, version: 'test', limits: LIMITS });
  t.teardown(() => app.close());
  const accepted: Socket[] = [];
  app.server.on('connection', (s: Socket) => accepted.push(s));
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return { url, port: Number(new URL(url).port), accepted };
}

/** Sends `text` a byte every `everyMs` until the server closes the socket. */
function trickle(socket: Socket, text: string, everyMs: number): void {
  let i = 0;
  const timer = setInterval(() => {
    if (socket.closed || i >= text.length) return clearInterval(timer);
    socket.write(text[i++]!);
  }, everyMs);
  socket.on('close', () => clearInterval(timer));
}

async function servedMeanwhile(url: string, n: number): Promise<number> {
  let ok = 0;
  for (let i = 0; i < n; i++) {
    const res = await request(`${url}/v0.7/config`, { method: 'POST', body: BODY });
    await res.body.dump();
    if (res.statusCode === 200) ok++;
    else process.stderr.write(`meanwhile: ${res.statusCode}\n`);
  }
  return ok;
}

t.test('slowloris headers and a dripping body are cut by their timeouts; others are served', async (t) => {
  const { url, port } = await start(t);
  const loris = await Promise.all(Array.from({ length: 10 }, () => open(port)));
  for (const s of loris) trickle(s, 'POST /v0.7/config HTTP/1.1\r\nHost: x\r\nX-Slow: ' + 'a'.repeat(1000), 50);
  const drip = await Promise.all(Array.from({ length: 10 }, () => open(port)));
  for (const s of drip) {
    s.write('POST /v0.7/config HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n');
    trickle(s, 'x'.repeat(1000), 50);
  }
  t.equal(await servedMeanwhile(url, 20), 20, 'other clients served while the slow ones hold connections');
  await waitUntil('slowloris connections closed', () => (loris.every((s) => s.closed) ? true : undefined), 10_000);
  await waitUntil('dripping bodies closed', () => (drip.every((s) => s.closed) ? true : undefined), 10_000);
  t.pass('every slow connection was closed by the server');
});

t.test('a client that never reads a large answer is cut by the idle timeout', async (t) => {
  // the greedy client's answer is large, everyone else's small
  const service = new FakeService(async (req) =>
    req.client?.id === 'greedy'
      ? { targetFiles: [{ path: 'datadog/2/FFE_FLAGS/big/config', raw: Buffer.alloc(8 * 1024 * 1024, 0x61) }] }
      : {},
  );
  const { url, port, accepted } = await start(t, service);
  const greedy = await open(port);
  greedy.pause(); // reads nothing: the server's writes stall once the socket buffers are full
  const body = BODY.replace('"id":"x"', '"id":"greedy"');
  greedy.write(`POST /v0.7/config HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
  t.equal(await servedMeanwhile(url, 10), 10, 'others served');
  // a paused client never sees the close; the server side of its connection is what must go
  await waitUntil('the server to accept it', () => (accepted.length > 0 ? true : undefined));
  const serverSide = accepted[0]!;
  await waitUntil('the stalled connection closed', () => (serverSide.destroyed ? true : undefined), 10_000);
  t.ok(serverSide.destroyed, 'the server closed it with its answer unread');
  greedy.destroy();
});

t.test('connections beyond maxConnections are closed at once; capacity comes back as they go', async (t) => {
  const { url, port } = await start(t);
  const held = await Promise.all(Array.from({ length: LIMITS.maxConnections }, () => open(port)));
  const extra = await open(port);
  await waitUntil('the extra connection closed', () => (extra.closed ? true : undefined), 5_000);
  t.ok(extra.closed, 'over the cap: closed');
  for (const s of held.slice(0, 5)) s.destroy();
  await waitUntil('capacity back', async () =>
    (await servedMeanwhile(url, 1).catch(() => 0)) === 1 ? true : undefined,
  );
  for (const s of held) s.destroy();
});
