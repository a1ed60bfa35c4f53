// The agent's HTTP connection cap follows its open-file limit (src/http/connection-limit.ts): under a low limit a
// connection flood is turned away at the cap instead of exhausting descriptors, and the agent keeps serving. A real
// `rc-agent run` under `ulimit -n`, real sockets on loopback.
import t from 'tap';
import { request } from 'undici';
import {
  FALLBACK_MAX_CONNECTIONS,
  MAX_CONNECTIONS_CEILING,
  RESERVED_FILE_DESCRIPTORS,
  maxConnectionsFor,
  openFileLimit,
} from '../../src/http/connection-limit.js';
import { spawnAgent, waitUntil } from '../helpers/agent-process.js';
import { openRawSocket as open } from '../helpers/raw-socket.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const LIMITS_TEXT = (soft: string): string =>
  'Limit                     Soft Limit           Hard Limit           Units     \n' +
  'Max processes             127431               127431               processes \n' +
  `Max open files            ${soft.padEnd(21)}1048576              files     \n`;

t.test('the open-file limit is the soft "Max open files" of /proc/self/limits', (t) => {
  t.equal(
    openFileLimit(() => LIMITS_TEXT('20000')),
    20_000,
  );
  t.equal(
    openFileLimit(() => LIMITS_TEXT('unlimited')),
    Infinity,
  );
  for (const bad of ['', 'Max open files', LIMITS_TEXT('x'), LIMITS_TEXT('0'), LIMITS_TEXT('-5')]) {
    t.equal(
      openFileLimit(() => bad),
      undefined,
      JSON.stringify(bad.slice(-40)),
    );
  }
  t.equal(
    openFileLimit(() => {
      throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
    }),
    undefined,
    'unreadable',
  );
  t.end();
});

t.test('the cap: the limit less a reserve, bounded above, a fixed value when unknown', (t) => {
  t.equal(maxConnectionsFor(20_000), 20_000 - RESERVED_FILE_DESCRIPTORS);
  t.equal(maxConnectionsFor(1_048_576), MAX_CONNECTIONS_CEILING);
  t.equal(maxConnectionsFor(Infinity), MAX_CONNECTIONS_CEILING);
  t.equal(maxConnectionsFor(undefined), FALLBACK_MAX_CONNECTIONS);
  t.equal(maxConnectionsFor(100), 1, 'never below one');
  t.end();
});

t.test('on this machine the limit is read from /proc (Linux)', { skip: process.platform !== 'linux' }, (t) => {
  const limit = openFileLimit();
  t.ok(limit !== undefined && limit > 0, `open-file limit ${limit}`);
  t.end();
});

t.test('rc-agent under ulimit -n 400 holds 144 connections and turns the next away', async (t) => {
  const work = mkdtempSync(join(tmpdir(), 'rc-conncap-'));
  t.teardown(() => rmSync(work, { recursive: true, force: true }));
  const limit = 400;
  const cap = limit - RESERVED_FILE_DESCRIPTORS;
  // No api_key: the agent serves the local signed source and is ready at once; no backend is needed.
  const agent = await spawnAgent({ DD_RUN_PATH: join(work, 'agent') }, 20_000, { openFileLimit: limit });
  t.teardown(() => agent.stop('SIGKILL'));
  t.match(agent.output(), `http: at most ${cap} connections (open-file limit ${limit})`);
  const port = Number(new URL(agent.httpUrl).port);

  const held = await Promise.all(Array.from({ length: cap }, () => open(port)));
  t.teardown(() => held.forEach((s) => s.destroy()));
  const extra = await open(port);
  await waitUntil('the connection over the cap closed', () => (extra.closed ? true : undefined), 10_000);
  t.ok(extra.closed, 'connection 145 is closed at once');
  t.ok(
    held.every((s) => !s.closed),
    'the 144 held connections stay open',
  );

  // Freeing a few gives capacity back; the agent still answers.
  for (const s of held.splice(0, 4)) s.destroy();
  const status = await waitUntil('an answer once below the cap', async () => {
    const res = await request(`${agent.httpUrl}/readyz`).catch(() => undefined);
    if (res === undefined) return undefined;
    await res.body.dump();
    return res.statusCode;
  });
  t.equal(status, 200);
  t.equal(agent.child.exitCode, null, 'the agent is still running');
});
