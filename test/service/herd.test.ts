// Boot storms on fake time (issue "Fast lane for the tracers that exist"): 1,000 tracers booting within 1 s against
// the in-process signed backend at 100 ms latency, in the situations real fleets are in — unchanged dd-trace-js
// clients (all products in one request) and FFE_FLAGS-only clients; the herd at the instant the agent is ready, long
// after, and right after the flags changed while the agent held the old ones. Freshness contract: a tracer's first
// reply holds the flags document the backend held at least 1 s before its request; an older one, or none, is a miss.
import t, { type Test } from 'tap';
import { APM_FILE, ASM_FILE, FFE_FILE, file } from '../helpers/signed-backend.js';
import { createHarness, ctx, tracerRequest, type Harness } from '../helpers/service-harness.js';
import type { SignerFile } from '../../src/backend/signer/repository-signer.js';

const TRACERS = 1000;
const RAMP_MS = 1000;
const TRACER_TIMEOUT_MS = 2000;
/** Tracers boot in batches every STEP_MS of fake time (keeps the test fast; 10 ms resolution). */
const STEP_MS = 10;
const BUNDLED = ['APM_TRACING', 'AGENT_CONFIG', 'AGENT_TASK', 'ASM_FEATURES', 'FFE_FLAGS'];
const FFE_V2 = file('FFE_FLAGS', 'ffe-main', { format: 'SERVER', environment: { name: 'dev' }, flags: { v: 2 } });

type Population = 'unchanged' | 'split';
type Timing = 'ready' | 'steady' | 'changed';

interface HerdResult {
  /** boot → current flags (ms) of every tracer; Infinity when its first reply did not hold them */
  readonly latencies: number[];
  readonly heldMs: number[];
  readonly refreshes: number;
}

/** The backend's FFE_FLAGS content over time, to judge each reply against what the backend held 1 s before. */
class FlagsHistory {
  readonly #versions: Array<{ atMs: number; raw: string }> = [];
  record(atMs: number, f: SignerFile): void {
    this.#versions.push({ atMs, raw: Buffer.from(f.raw).toString() });
  }
  heldAt(atMs: number): string {
    let current = '';
    for (const v of this.#versions) if (v.atMs <= atMs) current = v.raw;
    return current;
  }
}

async function herd(h: Harness, population: Population, timing: Timing, history: FlagsHistory): Promise<HerdResult> {
  if (timing !== 'ready') {
    // An earlier client made the agent hold the flags, then time passes (and, for `changed`, the flags change 2 s
    // before the herd).
    await h.service.clientGetConfigs(tracerRequest({ id: 'warm', products: ['FFE_FLAGS'] }), ctx());
    await h.clock.advance(6000);
    if (timing === 'changed') {
      h.backend.publish([FFE_V2, APM_FILE, ASM_FILE]);
      history.record(h.clock.now(), FFE_V2);
      await h.clock.advance(2000);
    }
  }
  const before = h.backend.requests.length;
  const latencies: number[] = [];
  const heldMs: number[] = [];
  for (let i = 0; i < TRACERS; i++) {
    const bootMs = h.clock.now();
    const mustHold = history.heldAt(bootMs - 1000);
    const products = population === 'unchanged' ? BUNDLED : ['FFE_FLAGS'];
    void h.service.clientGetConfigs(tracerRequest({ id: `tracer-${i}`, products }), ctx()).then((reply) => {
      const ms = h.clock.now() - bootMs;
      heldMs.push(ms);
      const flags = (reply.targetFiles ?? []).find((f) => f.path === FFE_FILE.path);
      const current = flags !== undefined && Buffer.from(flags.raw ?? []).toString() === mustHold;
      latencies.push(current && ms < TRACER_TIMEOUT_MS ? ms : Infinity);
    });
    if ((i + 1) % ((TRACERS * STEP_MS) / RAMP_MS) === 0) await h.clock.advance(STEP_MS);
  }
  await h.clock.advance(3000);
  return { latencies, heldMs, refreshes: h.backend.requests.length - before };
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function run(t: Test, population: Population, timing: Timing, policy: 'fastlane' | 'legacy') {
  const h = await createHarness(t, {
    files: [FFE_FILE, APM_FILE, ASM_FILE],
    latencyMs: 100,
    config: { 'remote_configuration.policy': policy },
  });
  const history = new FlagsHistory();
  history.record(0, FFE_FILE);
  return herd(h, population, timing, history);
}

for (const population of ['unchanged', 'split'] as const) {
  for (const timing of ['ready', 'steady', 'changed'] as const) {
    t.test(`fast lane, ${population} tracers, herd ${timing}: current flags on the first poll`, async (t) => {
      const { latencies, heldMs, refreshes } = await run(t, population, timing, 'fastlane');
      t.equal(latencies.length, TRACERS, 'every tracer answered');
      const missed = latencies.filter((ms) => ms === Infinity).length;
      t.equal(missed, 0, 'every first reply holds the flags the backend held 1 s before the request');
      const p50 = percentile(latencies, 50);
      const p99 = percentile(latencies, 99);
      t.ok(p50 <= 300, `p50 ${p50} ms ≤ 300 ms`);
      t.ok(p99 <= 1000, `p99 ${p99} ms ≤ 1 s`);
      t.ok(Math.max(...heldMs) <= 1500, `no request held longer than 1.5 s (max ${Math.max(...heldMs)} ms)`);
      t.ok(refreshes <= 10, `backend refreshes caused by the herd: ${refreshes} ≤ 10`);
    });
  }
}

t.test('legacy policy: most unchanged tracers do not get current flags in a first reply they can see', async (t) => {
  // hundreds of hand-offs wait at once on the policy's one never-aborted signal: no listener-leak warning
  const warnings: string[] = [];
  const onWarning = (w: Error): void => void warnings.push(w.name);
  process.on('warning', onWarning);
  t.teardown(() => void process.off('warning', onWarning));
  const { latencies, refreshes } = await run(t, 'unchanged', 'ready', 'legacy');
  const delivered = latencies.filter((ms) => ms !== Infinity).length;
  t.ok(delivered < TRACERS / 2, `delivered in the first reply: ${delivered}/${TRACERS}`);
  t.ok(refreshes <= 10, `backend refreshes: ${refreshes}`);
  await new Promise<void>((resolve) => setImmediate(resolve));
  t.notOk(warnings.includes('MaxListenersExceededWarning'), `no MaxListenersExceededWarning (${warnings.join(', ')})`);
});
