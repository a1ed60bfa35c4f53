// The legacy policy reproduces the reference agent's scheduling (PROTOCOL.md §4.2, §8 rows 1–4).
import t from 'tap';
import { APM_FILE, FFE_FILE } from '../helpers/signed-backend.js';
import { createHarness, ctx, tracerRequest } from '../helpers/service-harness.js';

const legacy = { 'remote_configuration.policy': 'legacy' } as const;

t.test('the 6th new client in a window gets cached data at once', async (t) => {
  const h = await createHarness(t, { files: [FFE_FILE, APM_FILE], latencyMs: 10, config: legacy });
  // Align on a fresh one-minute window.
  await h.clock.advance(60_000 - (h.clock.now() % 60_000) + 1);
  const before = h.backend.requests.length;
  for (let i = 0; i < 5; i++) {
    const p = h.service.clientGetConfigs(tracerRequest({ products: ['APM_TRACING'] }), ctx());
    await h.clock.advance(1100);
    await p;
  }
  t.equal(h.backend.requests.length - before, 5, 'five bypasses, five refreshes');
  const start = h.clock.now();
  let answeredAt: number | undefined;
  void h.service
    .clientGetConfigs(tracerRequest({ products: ['APM_TRACING'] }), ctx())
    .then(() => (answeredAt = h.clock.now()));
  await h.clock.advance(1);
  t.equal(answeredAt, start, 'the sixth is answered at once');
  t.equal(h.backend.requests.length - before, 5, 'without a refresh');
  const status = h.service.status();
  t.equal(status.bypass.standard?.rate_limited, 1);
});

t.test('one bypass in flight; the others block 2 s and time out', async (t) => {
  const h = await createHarness(t, { files: [FFE_FILE, APM_FILE], latencyMs: 100, config: legacy });
  await h.clock.advance(60_000 - (h.clock.now() % 60_000) + 1);
  const before = h.backend.requests.length;
  const times: number[] = [];
  const start = h.clock.now();
  for (let i = 0; i < 4; i++) {
    void h.service
      .clientGetConfigs(tracerRequest({ products: ['FFE_FLAGS'] }), ctx())
      .then(() => times.push(h.clock.now() - start));
  }
  await h.clock.advance(5000);
  times.sort((a, b) => a - b);
  t.equal(times.length, 4);
  t.equal(times[0], 100, 'the first is served by its own refresh');
  t.equal(times[1], 1200, 'the second waits for the next refresh, spaced 1 s after the first');
  t.same(times.slice(2), [2000, 2000], 'the rest burn the 2 s block');
  // The third sender was handed over at 1200 ms; its refresh runs after the spacing, when it has already given up.
  t.equal(h.backend.requests.length - before, 3, 'refreshes run one at a time, one per handed-over bypass');
  t.equal(h.service.status().bypass.standard?.timeout, 2);
});

t.test('even fast-lane products are standard in legacy mode', async (t) => {
  const h = await createHarness(t, { files: [FFE_FILE], latencyMs: 10, config: legacy });
  await h.clock.advance(2000);
  const p = h.service.clientGetConfigs(tracerRequest({ products: ['FFE_FLAGS'] }), ctx());
  await h.clock.advance(1500);
  await p;
  const calls = await h.service.metrics.clientGetConfigs.get();
  t.same(
    calls.values.map((v) => v.labels.lane),
    ['standard'],
  );
});
