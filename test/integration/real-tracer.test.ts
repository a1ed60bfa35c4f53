// rc-agent end to end with a real dd-trace-js process (issue "RC service core", what it must show): the agent runs as
// `./bin/rc-agent run` against the backend simulator on loopback; the tracer applies FFE_FLAGS (OpenFeature provider
// ready with our flag) and APM_TRACING, then sees an edit as an update and a deletion as an unapply, and acknowledges
// each (apply_state 2). Then the agent restarts without a backend and serves the same state from its store; a corrupt
// store is recreated.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { request } from 'undici';
import { startBackendSimulator } from '../../src/backend/index.js';
import { AUTH_TOKEN_FILE, IPC_CERT_FILE } from '../../src/grpc/index.js';
import { createAgentSecureClient } from '../../src/grpc/client.js';
import { spawnAgent, waitUntil, type AgentProcess } from '../helpers/agent-process.js';
import { spawnTracer } from '../helpers/tracer.js';

// The tests' own copy of the example configs (users are invited to edit examples/configs/).
const EXAMPLES = new URL('../fixtures/configs/', import.meta.url);

interface RcBody {
  client?: { state?: { config_states?: Array<{ id: string; product: string; version: number; apply_state: number }> } };
}

t.test('a real dd-trace-js process applies, updates and unapplies configs served by rc-agent', async (t) => {
  const work = mkdtempSync(join(tmpdir(), 'rc-e2e-'));
  t.teardown(() => rmSync(work, { recursive: true, force: true }));
  const configs = join(work, 'configs');
  cpSync(EXAMPLES, configs, { recursive: true });
  const backendState = join(work, 'backend');
  const runPath = join(work, 'agent');

  const backend = await startBackendSimulator({
    configsDir: configs,
    stateDir: backendState,
    agentRefreshIntervalS: 1,
  });
  let backendClosed = false;
  t.teardown(async () => {
    if (!backendClosed) await backend.close();
  });
  const agentEnv = {
    DD_RUN_PATH: runPath,
    DD_API_KEY: 'e2e-key',
    DD_REMOTE_CONFIGURATION_RC_DD_URL: backend.url,
    DD_REMOTE_CONFIGURATION_NO_TLS: 'true',
    DD_REMOTE_CONFIGURATION_CONFIG_ROOT: join(backendState, 'config-root.json'),
    DD_REMOTE_CONFIGURATION_DIRECTOR_ROOT: join(backendState, 'director-root.json'),
  };
  let agent: AgentProcess = await spawnAgent(agentEnv);
  t.teardown(() => agent.stop('SIGKILL'));

  const tracer = await spawnTracer({ agentUrl: agent.httpUrl, service: 'checkout', env: 'dev', pollIntervalS: 0.5 });
  t.teardown(() => tracer.kill());

  await tracer.waitFor((e) => e.type === 'ffe-ready', 20_000);
  const banner = await tracer.evaluate('banner-text', 'default');
  t.equal(banner.value, 'served by rc-agent', 'the FFE_FLAGS flag evaluates inside the tracer');
  const apm = await tracer.waitFor((e) => e.type === 'apm-tracing' && Number(e.sampleRate) === 0.25, 20_000);
  t.ok(apm, 'APM_TRACING (the checkout-only config) applied: sample rate 0.25');

  // Acknowledged on the next poll.
  const acked = (product: string, id: string, version?: number) => () => {
    const bodies = tracer.rcRequests() as RcBody[];
    const last = bodies[bodies.length - 1];
    return last?.client?.state?.config_states?.some(
      (s) =>
        s.product === product && s.id === id && s.apply_state === 2 && (version === undefined || s.version === version),
    )
      ? true
      : undefined;
  };
  await waitUntil('FFE_FLAGS acknowledged', acked('FFE_FLAGS', 'ffe-demo'));
  await waitUntil('APM_TRACING acknowledged', acked('APM_TRACING', 'checkout-sampling'));

  // An edit reaches the tracer as an update.
  const ffePath = join(configs, 'FFE_FLAGS', 'ffe-demo', 'config');
  writeFileSync(ffePath, readFileSync(ffePath, 'utf8').replace('served by rc-agent', 'edited by rc-agent'));
  await backend.rescan();
  await waitUntil('the edited flag value', async () => {
    const r = await tracer.evaluate('banner-text', 'default');
    return r.value === 'edited by rc-agent' ? true : undefined;
  });
  t.pass('the edit was applied as an update');
  await waitUntil('the updated FFE_FLAGS acknowledged at version 2', acked('FFE_FLAGS', 'ffe-demo', 2));

  // A deletion reaches it as an unapply.
  rmSync(join(configs, 'APM_TRACING', 'checkout-sampling'), { recursive: true });
  await backend.rescan();
  await tracer.waitFor((e) => e.type === 'apm-tracing' && Array.isArray(e.unapplied) && e.unapplied.length > 0, 20_000);
  t.pass('the deleted APM_TRACING config was unapplied');
  await waitUntil('the remaining APM_TRACING config acknowledged', acked('APM_TRACING', 'org-sampling'));
  await tracer.kill();

  // The same service over gRPC (TLS + bearer token from the data dir), as in-agent clients call it.
  const grpc = createAgentSecureClient(agent.grpcAddress, {
    token: readFileSync(join(runPath, AUTH_TOKEN_FILE), 'utf8').trim(),
    certPem: readFileSync(join(runPath, IPC_CERT_FILE), 'utf8'),
  });
  try {
    const agentReply = await grpc.clientGetConfigs({
      client: {
        state: { rootVersion: 1 },
        id: 'system-probe-1',
        products: ['APM_TRACING'],
        isAgent: true,
        clientAgent: { name: 'system-probe', version: '7.72.0' },
      },
    });
    t.same(
      agentReply.clientConfigs,
      ['datadog/2/APM_TRACING/org-sampling/config'],
      'an agent client gets the unrestricted APM_TRACING config over gRPC',
    );
    const state = await grpc.getConfigState();
    t.ok(state.directorState?.['targets.json']?.version, 'GetConfigState reports the director targets version');
    t.ok(
      state.activeClients?.some((c) => c.id === 'system-probe-1'),
      'and the gRPC client among the active clients',
    );
    const bad = createAgentSecureClient(agent.grpcAddress, {
      token: 'wrong',
      certPem: readFileSync(join(runPath, IPC_CERT_FILE), 'utf8'),
    });
    await t.rejects(bad.getConfigState(), { code: 16 }, 'a wrong token is UNAUTHENTICATED');
    bad.close();
  } finally {
    grpc.close();
  }

  // Metrics: the fast lane and both transports are visible.
  const metrics = await request(`${agent.httpUrl}/metrics`);
  const text = await metrics.body.text();
  t.match(text, /rc_client_get_configs_total\{[^}]*transport="grpc"[^}]*\} [1-9]/, 'gRPC calls counted');
  t.match(text, /rc_client_get_configs_total\{[^}]*transport="http"[^}]*\} [1-9]/, 'HTTP calls counted');
  t.match(text, /rc_backend_refreshes_total\{reason="scheduled",result="ok"\} [1-9]/, 'scheduled refreshes counted');
  t.match(text, /rc_state_lock_hold_seconds_count [1-9]/, 'lock hold recorded');
  t.match(text, /rc_active_clients\{product="APM_TRACING"\} [1-9]/, 'active clients by product');

  // Restart without a backend: the tracer-visible state comes from the store.
  t.equal(await agent.stop('SIGTERM'), 0, 'SIGTERM stops the agent cleanly');
  await backend.close();
  backendClosed = true;
  agent = await spawnAgent(agentEnv);
  const ready = await request(`${agent.httpUrl}/readyz`);
  await ready.body.dump();
  t.equal(ready.statusCode, 200, 'ready from the store before any backend poll succeeds');
  const reply = await request(`${agent.httpUrl}/v0.7/config`, {
    method: 'POST',
    body: JSON.stringify({
      client: {
        state: { root_version: 1 },
        id: 'after-restart',
        products: ['FFE_FLAGS'],
        is_tracer: true,
        client_tracer: { runtime_id: 'rt-after-restart', language: 'node', service: 'checkout', env: 'dev' },
      },
    }),
  });
  const body = (await reply.body.json()) as { target_files?: Array<{ path: string; raw: string }> };
  t.equal(reply.statusCode, 200);
  const ffe = body.target_files?.find((f) => f.path.includes('/FFE_FLAGS/ffe-demo/'));
  t.ok(ffe, 'FFE_FLAGS served from the store');
  t.match(Buffer.from(ffe?.raw ?? '', 'base64').toString(), /edited by rc-agent/, 'the last verified content');
  t.equal(await agent.stop('SIGTERM'), 0);

  // A corrupt store is detected and recreated; the agent keeps running (not ready: no backend, no state).
  writeFileSync(join(runPath, 'remote-config.db'), Buffer.alloc(64 * 1024, 0x42));
  agent = await spawnAgent(agentEnv);
  const notReady = await request(`${agent.httpUrl}/readyz`);
  await notReady.body.dump();
  t.equal(notReady.statusCode, 503, 'no verified state after recreating the store');
  t.match(agent.output(), /state store recreated/, 'the corruption was detected and logged');
  t.equal(await agent.stop('SIGTERM'), 0);
});
