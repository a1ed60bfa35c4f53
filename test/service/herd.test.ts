// The boot storm at small scale (issue "Fast lane"): 200 emulated new tracers within 1 s, backend latency 100 ms.
// A reply the tracer would not see (dd-trace-js gives up after 2 s) counts as no delivery. Counts, not timings.
import t from 'tap';
import { APM_FILE, ASM_FILE, FFE_FILE } from '../helpers/signed-backend.js';
import { createHarness, ctx, tracerRequest, type Harness } from '../helpers/service-harness.js';

const TRACERS = 200;
const RAMP_MS = 1000;
const TRACER_TIMEOUT_MS = 2000;

async function boot(h: Harness): Promise<{ delivered: number; refreshes: number }> {
  await h.clock.advance(5000);
  const before = h.backend.requests.length;
  const results: Array<{ ms?: number; hasFfe?: boolean }> = [];
  for (let i = 0; i < TRACERS; i++) {
    const r: { ms?: number; hasFfe?: boolean } = {};
    results.push(r);
    const start = h.clock.now();
    const request = tracerRequest({ id: `tracer-${i}`, products: ['FFE_FLAGS'] });
    void h.service.clientGetConfigs(request, ctx()).then((reply) => {
      r.ms = h.clock.now() - start;
      r.hasFfe = (reply.targetFiles ?? []).some((f) => f.path === FFE_FILE.path);
    });
    await h.clock.advance(RAMP_MS / TRACERS);
  }
  await h.clock.advance(5000);
  const delivered = results.filter((r) => r.ms !== undefined && r.ms < TRACER_TIMEOUT_MS && r.hasFfe).length;
  return { delivered, refreshes: h.backend.requests.length - before };
}

t.test('fast lane: every tracer first reply holds its FFE_FLAGS config, with a few refreshes', async (t) => {
  const h = await createHarness(t, { files: [FFE_FILE, APM_FILE, ASM_FILE], latencyMs: 100 });
  const { delivered, refreshes } = await boot(h);
  t.equal(delivered, TRACERS, 'all tracers got FFE_FLAGS in their first reply');
  t.ok(refreshes <= 5, `backend refreshes: ${refreshes}`);
});

t.test('legacy policy: most tracers do not get FFE_FLAGS in a first reply they can see', async (t) => {
  const h = await createHarness(t, {
    files: [FFE_FILE, APM_FILE, ASM_FILE],
    latencyMs: 100,
    config: { 'remote_configuration.policy': 'legacy' },
  });
  const { delivered, refreshes } = await boot(h);
  t.ok(delivered < TRACERS / 2, `delivered in the first reply: ${delivered}/${TRACERS}`);
  t.ok(refreshes <= 10, `backend refreshes: ${refreshes}`);
});
