// Issue 13 property 3: kill -9 at random points while updates are being applied, then a restart with the backend
// down: /readyz is 200 and what is served is a state the backend signed (never a torn or unverified one). A
// truncated or garbage store is detected and rebuilt: the agent starts, serves nothing unverified, recovers with
// the backend. RC_CHAOS_KILLS sets the iteration count (scripts/chaos.ts runs ≥ 50).
import { createHash } from 'node:crypto';
import { readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { request } from 'undici';
import { waitUntil } from '../helpers/agent-process.js';
import {
  postConfig,
  servedFiles,
  startAgentWithBackend,
  tracerRequest,
  waitReady,
  type AgentWithBackend,
} from '../helpers/agent-with-backend.js';

const KILLS = Number(process.env.RC_CHAOS_KILLS ?? 2);
const FFE_PATH = 'datadog/2/FFE_FLAGS/ffe-demo/config';
const PRODUCTS = ['APM_TRACING', 'FFE_FLAGS'];
const AGENT_ENV = { DD_REMOTE_CONFIGURATION_FETCH_TIMEOUT: '2s', DD_STOP_TIMEOUT: '2s' };

const sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

let seq = 0;

interface Served {
  readonly status: number;
  readonly ffe?: string;
  /** every served file matches the hash and length the served (signed) director targets give it */
  readonly consistent: boolean;
}

async function served(h: AgentWithBackend): Promise<Served> {
  const res = await postConfig(h.agent.httpUrl, tracerRequest(`crash-${seq++}`, PRODUCTS));
  if (res.status !== 200) return { status: res.status, consistent: false };
  const body = JSON.parse(res.body) as { targets?: string };
  if (!body.targets) return { status: 200, consistent: Object.keys(servedFiles(res.body)).length === 0 };
  const targets = JSON.parse(Buffer.from(body.targets ?? '', 'base64').toString()) as {
    signed: { targets: Record<string, { length: number; hashes: { sha256: string } }> };
  };
  let consistent = true;
  const files = servedFiles(res.body);
  for (const [path, raw] of Object.entries(files)) {
    const bytes = Buffer.from(raw, 'base64');
    const meta = targets.signed.targets[path];
    if (meta?.length !== bytes.length || meta.hashes.sha256 !== sha256(bytes)) consistent = false;
  }
  const ffe = files[FFE_PATH];
  return { status: 200, consistent, ...(ffe === undefined ? {} : { ffe: Buffer.from(ffe, 'base64').toString() }) };
}

t.test(
  `kill -9 while updates are applied (${KILLS}×): restarts with the backend down serve a verified state`,
  async (t) => {
    const h = await startAgentWithBackend(t, { env: AGENT_ENV });
    await waitReady(h.agent.httpUrl);
    const ffeFile = join(h.configsDir, 'FFE_FLAGS', 'ffe-demo', 'config');
    const original = readFileSync(ffeFile, 'utf8');
    /** every FFE content the backend ever published: a served one must be among them */
    const published = new Set<string>([original]);
    const counts = { iterations: 0, lost: 0, unverified: 0, crashes: 0, notReady: 0 };
    /** restarts that served a verified state without the configs: the kill landed after the first refresh of a new
     * run (which fetches no product yet) was stored, before one with products was */
    let withoutConfigs = 0;
    for (let i = 0; i < KILLS; i++) {
      // updates keep coming: edit, publish, and let new clients pull them (bypass refreshes) while the kill lands
      let edits = 0;
      let editing = true;
      const editor = (async () => {
        while (editing) {
          const content = original.replace('served by rc-agent', `served by rc-agent ${i}.${edits++}`);
          published.add(content);
          writeFileSync(ffeFile, content);
          await h.backend.rescan();
          await postConfig(h.agent.httpUrl, tracerRequest(`pull-${seq++}`, PRODUCTS)).catch(() => undefined);
        }
      })();
      await new Promise((resolve) => setTimeout(resolve, 100 + Math.random() * 900));
      const code = await h.agent.stop('SIGKILL');
      editing = false;
      await editor;
      if (code !== null) counts.crashes++; // it died on its own before the kill

      // restart with the backend down
      await h.backend.close();
      try {
        await h.restartAgent();
        await waitReady(h.agent.httpUrl, 15_000);
      } catch {
        counts.notReady++;
      }
      const s = await served(h).catch((): Served => ({ status: 0, consistent: false }));
      if (s.status !== 200) counts.lost++;
      else if (!s.consistent || (s.ffe !== undefined && !published.has(s.ffe))) {
        counts.unverified++;
        t.comment(`iteration ${i}: served ${JSON.stringify(s).slice(0, 300)}`);
      } else if (s.ffe === undefined) withoutConfigs++;
      counts.iterations++;

      // back to normal for the next round
      await h.agent.stop('SIGTERM');
      await h.restartBackend();
      await h.restartAgent();
      await waitReady(h.agent.httpUrl);
    }
    t.comment(
      `chaos kill9: iterations=${counts.iterations} lost=${counts.lost} unverified=${counts.unverified} crashes=${counts.crashes} not_ready=${counts.notReady} verified_without_configs=${withoutConfigs}`,
    );
    t.same(counts, { iterations: KILLS, lost: 0, unverified: 0, crashes: 0, notReady: 0 });
  },
);

t.test('a truncated or garbage store is detected and rebuilt: no crash loop, nothing unverified served', async (t) => {
  const h = await startAgentWithBackend(t, { env: AGENT_ENV });
  await waitReady(h.agent.httpUrl);
  const db = join(h.runPath, 'remote-config.db');
  const corruptions: Array<[string, () => void]> = [
    ['truncated', () => truncateSync(db, Math.floor(statSync(db).size / 3))],
    ['garbage', () => writeFileSync(db, Buffer.alloc(64 * 1024, 0x5a))],
    ['empty', () => writeFileSync(db, '')],
  ];
  for (const [what, corrupt] of corruptions) {
    await h.agent.stop('SIGTERM');
    corrupt();
    // backend down: the agent starts (no crash loop), has nothing verified, says so
    await h.backend.close();
    await h.restartAgent();
    const ready = await request(`${h.agent.httpUrl}/readyz`);
    await ready.body.dump();
    t.equal(ready.statusCode, 503, `${what}: not ready without a verified state`);
    const s = await served(h);
    t.ok(s.ffe === undefined, `${what}: no config served from a rebuilt, empty store`);
    // an empty file is simply a new store; anything else unreadable is rebuilt and said so
    if (what !== 'empty') t.match(h.agent.output(), /state store recreated/, `${what}: the rebuild is logged`);
    // backend back: verified state again (new clients' bypass refreshes do not wait out the error backoff)
    await h.restartBackend();
    await waitUntil(
      `${what}: configs served again`,
      async () => ((await served(h)).ffe !== undefined ? true : undefined),
      90_000,
    );
    const after = await served(h);
    t.ok(after.consistent, `${what}: the served files match their signed metadata`);
    // the rebuilt store is private too
    t.equal(statSync(db).mode & 0o777, 0o600, `${what}: the rebuilt store is 0600`);
  }
});
