// The HTTP transport in front of the real RemoteConfigService (fake time, real lmdb, in-process signed backend):
// cached (frozen, shared) requests and exact 64-bit numbers go through the service unharmed.
import t from 'tap';
import Long from 'long';
import { buildHttpApp } from '../../src/http/index.js';
import { APM_FILE, FFE_FILE } from '../helpers/signed-backend.js';

import { createHarness, type Harness } from '../helpers/service-harness.js';

function body(targetsVersion: string, configVersion: string): string {
  return (
    `{"client":{"state":{"root_version":1,"targets_version":${targetsVersion},"config_states":[{"id":"a",` +
    `"version":${configVersion},"product":"FFE_FLAGS","apply_state":2}]},"id":"exact-client",` +
    `"products":["FFE_FLAGS","APM_TRACING"],"is_tracer":true,"client_tracer":{"runtime_id":"rt","language":"node",` +
    `"service":"Checkout","env":"dev"}},"cached_target_files":[]}`
  );
}

async function post(h: Harness, app: ReturnType<typeof buildHttpApp>, payload: string) {
  const pending = app.inject({ method: 'POST', url: '/v0.7/config', payload });
  let done = false;
  void pending.finally(() => (done = true));
  // a new client may wait for a bypass refresh on the fake clock
  for (let i = 0; i < 100 && !done; i++) await h.clock.advance(50);
  return pending;
}

t.test('repeated bodies and 64-bit versions beyond 2^53 through the real service', async (t) => {
  const h = await createHarness(t, { files: [FFE_FILE, APM_FILE], latencyMs: 10 });
  const app = buildHttpApp({ service: h.service, enabled: true, version: 'test' });
  t.teardown(() => app.close());
  const payload = body('18446744073709551615', '9007199254740993');
  for (let i = 0; i < 3; i++) {
    const res = await post(h, app, payload);
    t.equal(res.statusCode, 200, `poll ${i + 1}: ${res.body.slice(0, 200)}`);
    // targets_version matches no snapshot version: the client gets the files it holds again, as from the Go agent
    const reply = JSON.parse(res.body) as { client_configs?: string[] };
    t.ok(reply.client_configs?.includes(FFE_FILE.path), `poll ${i + 1}: the FFE config`);
  }
  // the tracked client kept the exact values (forwarded upstream as they came)
  const active = h.service.getConfigState().activeClients ?? [];
  const client = active.find((c) => c.id === 'exact-client');
  t.ok(client, 'tracked');
  t.equal(String((client!.state!.targetsVersion as unknown as Long).toString()), '18446744073709551615');
  t.equal(String((client!.state!.configStates![0]!.version as unknown as Long).toString()), '9007199254740993');
  t.equal(client!.clientTracer!.service, 'checkout', 'normalised once, before caching');
});
