// A fleet booting during a backend outage (issue "Reliability, security and lifecycle"): bypasses obey the error
// backoff (with the fast lane's stated allowance) and Retry-After; known requests keep being served from the verified
// snapshot; absurd product lists are refused instead of being forwarded upstream.
import t from 'tap';
import { APM_FILE, ASM_FILE, FFE_FILE } from '../helpers/signed-backend.js';
import { createHarness, ctx, tracerRequest } from '../helpers/service-harness.js';
import { BackendError } from '../../src/backend/index.js';
import { FAST_LANE_OUTAGE_RETRY_MS } from '../../src/service/refresher.js';
import { MAX_CLIENT_PRODUCTS } from '../../src/service/validate.js';

const FILES = [FFE_FILE, APM_FILE, ASM_FILE];
const unavailable = (retryAfterMs?: number): BackendError =>
  new BackendError('SERVICE_UNAVAILABLE', 'service unavailable: non-200 response code: 503', {
    status: 503,
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  });

t.test('10 new clients a second during a 503 outage: backend calls stay bounded', async (t) => {
  for (const products of [['FFE_FLAGS'], ['APM_TRACING'], ['APM_TRACING', 'FFE_FLAGS']]) {
    const h = await createHarness(t, { files: FILES, latencyMs: 20 });
    await h.clock.advance(5000);
    h.backend.failWith = unavailable();
    const before = h.backend.requests.length;
    let answered = 0;
    let withFlags = 0;
    for (let i = 0; i < 300; i++) {
      void h.service.clientGetConfigs(tracerRequest({ products }), ctx()).then((reply) => {
        answered++;
        if ((reply.targetFiles ?? []).length > 0) withFlags++;
      });
      await h.clock.advance(100);
    }
    await h.clock.advance(2000);
    const calls = h.backend.requests.length - before;
    // Fast lane: the first bypass, then one retry per FAST_LANE_OUTAGE_RETRY_MS; standard: the backoff (≥ 30 s).
    const bound = Math.ceil(30_000 / FAST_LANE_OUTAGE_RETRY_MS) + 2;
    t.ok(calls <= bound, `${products.join('+')}: ${calls} backend calls in 30 s (≤ ${bound}; the defect made ~160)`);
    t.equal(answered, 300, 'every request answered');
    if (products.includes('FFE_FLAGS')) t.equal(withFlags, 300, 'from the verified snapshot, which holds the flags');
  }
});

t.test('Retry-After of a 429/503 is honoured by every refresh, scheduled or bypass', async (t) => {
  const h = await createHarness(t, { files: FILES, latencyMs: 20 });
  await h.clock.advance(5000);
  h.backend.failWith = unavailable(120_000);
  void h.service.clientGetConfigs(tracerRequest({ products: ['FFE_FLAGS'] }), ctx());
  await h.clock.advance(100);
  const failedAt = h.backend.requests.length;
  h.backend.failWith = undefined;
  for (let i = 0; i < 110; i++) {
    void h.service.clientGetConfigs(tracerRequest({ products: ['FFE_FLAGS'] }), ctx());
    await h.clock.advance(1000);
  }
  t.equal(h.backend.requests.length, failedAt, 'no backend call for 110 s of the 120 s asked for');
  await h.clock.advance(15_000);
  t.ok(h.backend.requests.length > failedAt, 'then it retries');
  t.equal(h.service.status().lastError, undefined, 'and recovers');
});

t.test('a client with an absurd product list is refused, naming the field; duplicates are sent once', async (t) => {
  const h = await createHarness(t, { files: FILES, latencyMs: 10 });
  const huge = Array.from({ length: MAX_CLIENT_PRODUCTS + 1 }, () => 'FFE_FLAGS');
  await t.rejects(h.service.clientGetConfigs(tracerRequest({ products: huge }), ctx()), {
    code: 'INVALID_ARGUMENT',
    message: /^client\.products has 65 entries/,
  });
  const long = ['X'.repeat(129)];
  await t.rejects(h.service.clientGetConfigs(tracerRequest({ products: long }), ctx()), {
    code: 'INVALID_ARGUMENT',
    message: /^client\.products\[0\] is 129 characters long/,
  });
  const dup = h.service.clientGetConfigs(
    tracerRequest({ id: 'dup', products: ['FFE_FLAGS', 'APM_TRACING', 'FFE_FLAGS', 'APM_TRACING'] }),
    ctx(),
  );
  await h.clock.advance(3000);
  await dup;
  const sent = h.backend.requests[h.backend.requests.length - 1]!.activeClients?.find((c) => c.id === 'dup');
  t.same(sent?.products, ['FFE_FLAGS', 'APM_TRACING'], 'forwarded upstream once each');
  t.same(h.service.status().activeClients.find((c) => c.id === 'dup')?.products, ['FFE_FLAGS', 'APM_TRACING']);
});
