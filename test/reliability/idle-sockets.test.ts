// Issue 13 property 7: 10,000 idle keep-alive sockets (tracers between polls) do not keep others from being served.
// A real agent process; each socket made one request and stays open, as dd-trace-js's keep-alive agent leaves it.
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { request } from 'undici';
import { spawnAgent } from '../helpers/agent-process.js';

const IDLE_SOCKETS = 10_000;
const BODY = JSON.stringify({
  client: {
    state: { root_version: 1, targets_version: 0 },
    id: 'idle',
    products: ['FFE_FLAGS'],
    is_tracer: true,
    client_tracer: { runtime_id: 'rt-idle', language: 'node' },
  },
});
const REQUEST = `POST /v0.7/config HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(BODY)}\r\n\r\n${BODY}`;

/** Opens a keep-alive socket, makes one request on it and resolves once the answer arrived (the socket stays open). */
function idleAfterOneRequest(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => socket.write(REQUEST));
    let head = '';
    const onData = (chunk: Buffer): void => {
      head += chunk.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      if (head.startsWith('HTTP/1.1 200')) resolve(socket);
      else reject(new Error(`answered ${head.split('\r\n')[0]}`));
    };
    socket.on('data', onData);
    socket.once('error', reject);
  });
}

t.test(`${IDLE_SOCKETS} idle keep-alive sockets: a new tracer is still served`, async (t) => {
  const runPath = mkdtempSync(join(tmpdir(), 'rc-idle-'));
  t.teardown(() => rmSync(runPath, { recursive: true, force: true }));
  const agent = await spawnAgent({ DD_RUN_PATH: runPath, DD_LOG_LEVEL: 'warn' });
  t.teardown(() => agent.stop());
  const port = Number(new URL(agent.httpUrl).port);
  const sockets: Socket[] = [];
  t.teardown(() => {
    for (const s of sockets) s.destroy();
  });
  for (let opened = 0; opened < IDLE_SOCKETS; opened += 500) {
    const batch = await Promise.all(Array.from({ length: 500 }, () => idleAfterOneRequest(port)));
    sockets.push(...batch);
  }
  t.equal(sockets.filter((s) => !s.destroyed).length, IDLE_SOCKETS, 'every idle socket is still open');
  const res = await request(`${agent.httpUrl}/v0.7/config`, {
    method: 'POST',
    body: BODY.replace('"idle"', '"newcomer"').replace('rt-idle', 'rt-newcomer'),
    headersTimeout: 10_000,
  });
  t.equal(res.statusCode, 200, 'a new tracer is served');
  t.match(await res.body.text(), /"targets"/);
});
