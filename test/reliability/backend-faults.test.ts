// Issue 13 properties 1 and 2 against a real agent process and the backend simulator: with a verified state held,
// every backend fault mode (and a rate limit) leaves tracers with 0 non-2xx answers and the same configs byte for
// byte, the poll loop keeps going (the fetch timeout covers a body that drips forever) and recovers once the fault
// clears; every attack is rejected, visible in /status and rc_verification_failures_total{reason}, and the last
// verified state keeps serving byte for byte.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { request } from 'undici';
import { ATTACK_MODES, FAULT_MODES, type AttackMode, type FaultMode } from '../../src/backend/types.js';
import { encodeRemoteConfigKey } from '../../src/config/rc-key.js';
import type { StatusReport } from '../../src/service/index.js';
import { waitUntil } from '../helpers/agent-process.js';
import {
  getJson,
  postConfig,
  servedFiles,
  startAgentWithBackend,
  tracerRequest,
  waitReady,
  type AgentWithBackend,
} from '../helpers/agent-with-backend.js';

const PRODUCTS = ['APM_TRACING', 'FFE_FLAGS'];
/** Requests per fault mode or attack, half while the fault is being hit, half after. */
const REQUESTS = Number(process.env.RC_FAULT_REQUESTS ?? 10);

let seq = 0;

// The two tests below each run their own agent and backend and mostly wait on them: side by side, the file takes
// about the longer one's time instead of the sum.
t.jobs = 2;

/** `REQUESTS` first polls of new tracers: counts non-2xx and answers whose files differ from `expected`. */
async function poll(
  h: AgentWithBackend,
  expected: Record<string, string>,
): Promise<{ non2xx: number; changed: number }> {
  let non2xx = 0;
  let changed = 0;
  await Promise.all(
    Array.from({ length: REQUESTS }, async () => {
      const res = await postConfig(h.agent.httpUrl, tracerRequest(`fault-${seq++}`, PRODUCTS));
      if (res.status !== 200) non2xx++;
      else if (JSON.stringify(servedFiles(res.body)) !== JSON.stringify(expected)) changed++;
    }),
  );
  return { non2xx, changed };
}

async function status(h: AgentWithBackend): Promise<StatusReport> {
  return (await getJson<StatusReport>(`${h.agent.httpUrl}/status`)).body;
}

async function verificationFailures(h: AgentWithBackend, reason?: string): Promise<number> {
  const text = await (await request(`${h.agent.httpUrl}/metrics`)).body.text();
  let n = 0;
  for (const m of text.matchAll(/^rc_verification_failures_total\{reason="([^"]+)"\} (\d+)/gm))
    if (reason === undefined || m[1] === reason) n += Number(m[2]);
  return n;
}

/** Answers counted by the simulator for one outcome. */
const answers = (h: AgentWithBackend, outcome: string): number => h.backend.stats.responses[outcome] ?? 0;

/** What a new tracer gets once the agent fetches its products (the first answers may precede that fetch). */
async function baseline(h: AgentWithBackend): Promise<Record<string, string>> {
  return waitUntil('a tracer holding configs', async () => {
    const res = await postConfig(h.agent.httpUrl, tracerRequest(`baseline-${seq++}`, PRODUCTS));
    const files = res.status === 200 ? servedFiles(res.body) : {};
    if (Object.keys(files).length >= 2) return files;
    await new Promise((resolve) => setTimeout(resolve, 200));
    return undefined;
  });
}

const AGENT_ENV = { DD_REMOTE_CONFIGURATION_FETCH_TIMEOUT: '3s', DD_STOP_TIMEOUT: '2s' };
/** The error backoff after one failure is 30–60 s; new clients' bypass refreshes usually recover sooner. */
const RECOVERY_MS = 90_000;

/** Waits for `check`, asking as a new client meanwhile: its bypass refresh need not wait out the error backoff. */
async function withPulls(h: AgentWithBackend, what: string, check: () => Promise<boolean>): Promise<void> {
  await waitUntil(
    what,
    async () => {
      if (await check()) return true;
      // FFE_FLAGS alone is fast lane: its larger bypass allowance makes the refresh
      await postConfig(h.agent.httpUrl, tracerRequest(`pull-${seq++}`, ['FFE_FLAGS']));
      await new Promise((resolve) => setTimeout(resolve, 400));
      return undefined;
    },
    RECOVERY_MS,
  );
}

/** Waits until a refresh succeeds again. */
async function recovered(h: AgentWithBackend, what: string): Promise<void> {
  await withPulls(h, what, async () => !(await status(h)).lastError);
}

t.test('backend faults: 0 non-2xx, configs kept byte for byte, the poll loop recovers', async (t) => {
  const h = await startAgentWithBackend(t, { env: AGENT_ENV });
  await waitReady(h.agent.httpUrl);
  const held = await baseline(h);
  const modes = FAULT_MODES.filter((m): m is Exclude<FaultMode, 'none'> => m !== 'none');
  const outcomeOf = (m: FaultMode): string => (m === 'garbage' ? '200' : m);
  const counts = { modes: 0, requests: 0, non2xx: 0, changed: 0 };
  const tally = (r: { non2xx: number; changed: number }): void => {
    counts.requests += REQUESTS;
    counts.non2xx += r.non2xx;
    counts.changed += r.changed;
  };
  for (const mode of modes) {
    // each mode meets a restarted agent: its first refresh hits the fault at once (no backoff to wait out), and the
    // state it holds is the verified one in its store
    await h.agent.stop('SIGTERM');
    const before = answers(h, outcomeOf(mode));
    h.backend.setFault(mode);
    await h.restartAgent();
    const during = await poll(h, held);
    await waitUntil(`${mode} hit`, () => (answers(h, outcomeOf(mode)) > before ? true : undefined));
    // the refresh ended (hang and drip: by the fetch timeout) and its failure is visible
    await waitUntil(`${mode} in /status`, async () => ((await status(h)).lastError ? true : undefined));
    const after = await poll(h, held);
    tally(during);
    tally(after);
    counts.modes++;
    t.same({ mode, during, after }, { mode, during: { non2xx: 0, changed: 0 }, after: { non2xx: 0, changed: 0 } });
    h.backend.setFault('none');
    await recovered(h, `recovery after ${mode}`);
    t.same(servedFiles((await postConfig(h.agent.httpUrl, tracerRequest(`rec-${seq++}`, PRODUCTS))).body), held);
  }

  // a rate limit (429 with Retry-After) from a restarted backend on the same state and port
  await h.agent.stop('SIGTERM');
  await h.backend.close();
  await h.restartBackend({ rateLimitPerS: 0.05 });
  // the simulator's bucket starts full: spend it so the agent's first refresh is limited
  await request(`${h.backend.url}/api/v0.1/org`).then((r) => r.body.dump());
  await h.restartAgent();
  await waitUntil('a 429', () => (answers(h, '429') > 0 ? true : undefined));
  const limited = await poll(h, held);
  tally(limited);
  counts.modes++;
  t.same({ rateLimited: limited }, { rateLimited: { non2xx: 0, changed: 0 } });
  t.equal(await verificationFailures(h), 0, 'a restarted backend is not mistaken for an attack');
  t.comment(
    `chaos faults: modes=${counts.modes} requests=${counts.requests} non2xx=${counts.non2xx} changed=${counts.changed}`,
  );
});

t.test('attacks: rejected, visible in status and metrics; the last verified state keeps serving', async (t) => {
  // An RC key for the simulator's org turns on the org-ID check, the only one that catches org-id-mismatch.
  const rcKey = encodeRemoteConfigKey({ appKey: 'app-key', orgId: 2, datacenter: 'us1' });
  const h = await startAgentWithBackend(t, { env: { ...AGENT_ENV, DD_REMOTE_CONFIGURATION_KEY: rcKey } });
  await waitReady(h.agent.httpUrl);
  // npm test: one attack per verification stage (files, versions, signatures, org); scripts/chaos.ts: all
  const chosen = process.env.RC_ATTACKS ?? 'tampered-file,rollback,wrong-key,org-uuid-mismatch,org-id-mismatch';
  const only = chosen === 'all' ? undefined : chosen.split(',');
  const attacks = ATTACK_MODES.filter(
    (m): m is Exclude<AttackMode, 'none'> => m !== 'none' && (only === undefined || only.includes(m)),
  );
  const ffe = join(h.configsDir, 'FFE_FLAGS', 'ffe-demo', 'config');
  let edit = 0;
  const counts = { attacks: 0, requests: 0, non2xx: 0, changed: 0 };
  for (const attack of attacks) {
    const held = await baseline(h);
    const failuresBefore = await verificationFailures(h);
    h.backend.setAttack(attack);
    // a new version for the attack to tamper with; a rollback needs none (it serves one older than the agent holds,
    // and edits make new versions faster than its "two below" can reach back)
    if (attack !== 'rollback')
      writeFileSync(
        ffe,
        readFileSync(ffe, 'utf8').replace(/"served by rc-agent[^"]*"/, `"served by rc-agent ${++edit}"`),
      );
    await h.backend.rescan();
    await withPulls(h, `${attack} rejected`, async () => (await verificationFailures(h)) > failuresBefore);
    const during = await poll(h, held);
    counts.attacks++;
    counts.requests += REQUESTS;
    counts.non2xx += during.non2xx;
    counts.changed += during.changed;
    t.same({ attack, during }, { attack, during: { non2xx: 0, changed: 0 } }, `${attack}: nothing unverified served`);
    const st = await status(h);
    t.ok(st.lastError, `${attack}: visible in /status (${st.lastError})`);
    h.backend.setAttack('none');
    await recovered(h, `recovery after ${attack}`);
    const now = servedFiles((await postConfig(h.agent.httpUrl, tracerRequest(`rec-${seq++}`, PRODUCTS))).body);
    if (attack === 'rollback') t.same(now, held, 'rollback: the held state still serves after the attack stops');
    else t.not(JSON.stringify(now), JSON.stringify(held), `${attack}: the honest edit arrives after the attack stops`);
  }
  t.comment(
    `chaos attacks: attacks=${counts.attacks} requests=${counts.requests} non2xx=${counts.non2xx} unverified=${counts.changed}`,
  );
  const text = await (await request(`${h.agent.httpUrl}/metrics`)).body.text();
  t.match(text, /rc_verification_failures_total\{reason="[A-Z_]+"\} [1-9]/);
});
