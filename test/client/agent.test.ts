// The client's fast-lane surface against the real thing: `./bin/rc-agent run` on loopback, fed by the backend
// simulator. The split requests (own client ids, per-lane capabilities) are accepted and each lane is served only its
// products; with DD_RC_FAST_LANE_ENABLED=false one request gets everything.
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { startBackendSimulator } from '../../src/backend/index.js';
import { RcClient } from '../../src/client/index.js';
import { resolveClientOptions } from '../../src/client/options.js';
import { type RcConfigChange } from '../../src/client/types.js';
import { spawnAgent, waitUntil } from '../helpers/agent-process.js';

// The tests' own copy of the example configs (users are invited to edit examples/configs/).
const EXAMPLES = new URL('../fixtures/configs/', import.meta.url);
const EXPECTED = ['APM_TRACING/checkout-sampling', 'APM_TRACING/org-sampling', 'FFE_FLAGS/ffe-demo'];

void t.test('fastlane and legacy clients configured from DD_RC_FAST_LANE_* against rc-agent', async (t) => {
  const work = mkdtempSync(join(tmpdir(), 'rc-client-agent-'));
  t.teardown(() => rmSync(work, { recursive: true, force: true }));
  const configs = join(work, 'configs');
  cpSync(EXAMPLES, configs, { recursive: true });
  const backendState = join(work, 'backend');
  const backend = await startBackendSimulator({ configsDir: configs, stateDir: backendState });
  t.teardown(() => backend.close());
  const agent = await spawnAgent({
    DD_RUN_PATH: join(work, 'agent'),
    DD_API_KEY: 'client-test-key',
    DD_REMOTE_CONFIGURATION_RC_DD_URL: backend.url,
    DD_REMOTE_CONFIGURATION_NO_TLS: 'true',
    DD_REMOTE_CONFIGURATION_CONFIG_ROOT: join(backendState, 'config-root.json'),
    DD_REMOTE_CONFIGURATION_DIRECTOR_ROOT: join(backendState, 'director-root.json'),
  });
  t.teardown(() => agent.stop('SIGKILL'));

  const run = async (enabled: string) => {
    const client = new RcClient(
      resolveClientOptions(
        {
          agentUrl: agent.httpUrl,
          products: ['APM_TRACING', 'FFE_FLAGS'],
          service: 'checkout',
          env: 'dev',
          pollIntervalMs: 500,
        },
        { DD_RC_FAST_LANE_ENABLED: enabled, DD_RC_FAST_LANE_INTERVAL_MS: '200' },
      ),
    );
    t.teardown(() => client.stop());
    const applied: RcConfigChange[] = [];
    client.on('apply', (c) => applied.push(c));
    client.start();
    const held = () => applied.map((c) => `${c.product}/${c.id}`).sort();
    await waitUntil(`${EXPECTED.join(', ')} (DD_RC_FAST_LANE_ENABLED=${enabled})`, () =>
      EXPECTED.every((e) => held().includes(e)) ? true : undefined,
    );
    await client.stop();
    return { client, applied, held: held() };
  };

  const fast = await run('true');
  t.same(fast.client.laneNames(), ['main', 'fast']);
  t.same(fast.held, EXPECTED, 'each config once');
  t.same(
    fast.applied.map((c) => [c.product, c.lane]).sort(),
    [
      ['APM_TRACING', 'main'],
      ['APM_TRACING', 'main'],
      ['FFE_FLAGS', 'fast'],
    ],
    'FFE_FLAGS came on the fast lane only, APM_TRACING on the standard lane only',
  );
  t.equal(fast.client.stats.errors, 0, 'the agent accepted both requests');

  const legacy = await run('false');
  t.same(legacy.client.laneNames(), ['main']);
  t.same(legacy.held, EXPECTED);
  t.ok(
    legacy.applied.every((c) => c.lane === 'main'),
    'one request carried every product',
  );
  t.equal(legacy.client.stats.errors, 0);
});
