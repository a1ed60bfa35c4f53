// rc-agent pointed at a Datadog-like backend (the signed simulator): the RC key, what is sent upstream, container
// tags through /v0.7/config, and API key rotation without restart (file edit and SIGHUP).
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import t, { type Test } from 'tap';
import { stringify } from 'yaml';
import { startAgent, type RunningAgent } from '../../src/agent.js';
import { AGENT_UUID_FILE } from '../../src/backend/agent-uuid.js';
import { CONFIG_ROOT_FILE, DIRECTOR_ROOT_FILE } from '../../src/backend/simulator.js';
import { loadConfig } from '../../src/config/index.js';
import { encodeRemoteConfigKey } from '../../src/config/rc-key.js';
import { waitUntil } from '../helpers/agent-process.js';
import { makeConfigDir, startSim } from '../helpers/backend-sim.js';

const CONTAINER = 'f'.repeat(64);

/** Log lines of the agent, parsed. */
function logSink(): { logger: pino.Logger; lines: Array<{ level: number; msg: string }> } {
  const lines: Array<{ level: number; msg: string }> = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) {
        lines.push(JSON.parse(line) as { level: number; msg: string });
      }
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

async function setup(t: Test) {
  const stateDir = t.testdir({ 'tags.yaml': `${CONTAINER}: ["Image Name:Nginx"]\n` });
  const sim = await startSim(t, { configsDir: makeConfigDir(t), stateDir, apiKey: 'key-old' });
  const file = join(stateDir, 'datadog.yaml');
  const settings = (apiKey: string): Record<string, unknown> => ({
    api_key: apiKey,
    run_path: join(stateDir, 'run'),
    env: 'prod',
    tags: ['team:rc'],
    container_tags_file: join(stateDir, 'tags.yaml'),
    cmd_port: 0,
    apm_config: { receiver_port: 0 },
    remote_configuration: {
      rc_dd_url: sim.url,
      no_tls: true,
      config_root: join(stateDir, CONFIG_ROOT_FILE),
      director_root: join(stateDir, DIRECTOR_ROOT_FILE),
      key: encodeRemoteConfigKey({ appKey: 'app-key', orgId: 2, datacenter: 'us1' }),
    },
  });
  // atomic save, as editors and config management do
  const save = (apiKey: string): void => {
    writeFileSync(`${file}.tmp`, stringify(settings(apiKey)));
    renameSync(`${file}.tmp`, file);
  };
  save('key-old');
  const load = () => loadConfig({ file, env: {} });
  const { logger, lines } = logSink();
  const start = async (): Promise<RunningAgent> => {
    const agent = await startAgent({
      config: load(),
      reload: { file, load, sighup: true },
      announce: () => undefined,
      log: logger,
    });
    t.teardown(() => agent.stop());
    return agent;
  };
  return { sim, stateDir, file, save, start, lines };
}

void t.test('upstream identity, RC key and container tags end to end', async (t) => {
  const { sim, stateDir, start } = await setup(t);
  const agent = await start();
  await waitUntil('first verified state', () => agent.service.isReady() || undefined);
  const req = sim.stats.lastRequest;
  t.equal(req?.agentVersion, '7.72.0', 'a version the backend serves, not empty');
  t.equal(req?.traceAgentEnv, 'prod');
  t.same(req?.tags, ['env:prod', 'team:rc'], 'host tags: tags + env:<env>, sorted');
  t.equal(req?.hostname !== undefined && req.hostname !== '', true);
  t.equal(req?.agentUuid, readFileSync(join(stateDir, 'run', AGENT_UUID_FILE), 'utf8').trim(), 'the persisted UUID');
  t.equal(agent.service.status().lastError, undefined, 'paths of the RC key org verify');

  const res = await fetch(`${agent.httpUrl}/v0.7/config`, {
    method: 'POST',
    headers: { 'datadog-container-id': CONTAINER },
    body: JSON.stringify({
      client: {
        id: 'c1',
        products: ['APM_TRACING'],
        is_tracer: true,
        client_tracer: { runtime_id: 'r1', language: 'node', service: 'checkout', tags: ['a:b'] },
        state: { root_version: 1 },
      },
    }),
  });
  t.equal(res.status, 200);
  const tracked = agent.service.status().activeClients.find((c) => c.id === 'c1');
  t.ok(tracked, 'the tracer reached the service');
});

void t.test('api_key rotation: the next backend request uses the new key, no restart', async (t) => {
  const { sim, save, start, lines, file } = await setup(t);
  const agent = await start();
  await waitUntil('first verified state', () => agent.service.isReady() || undefined);
  const versionsBefore = agent.service.status().versions;

  // the backend revokes the old key: refreshes fail, serving goes on from the verified snapshot
  sim.setApiKey('key-new');
  await agent.service.refreshNow();
  t.match(agent.service.status().lastError, /unauthorized/);
  t.equal(agent.service.isReady(), true, 'still serving the verified snapshot');

  save('key-new');
  await waitUntil('the new key in use', async () => {
    await agent.service.refreshNow();
    return agent.service.status().lastError === undefined || undefined;
  });
  t.same(agent.service.status().versions, versionsBefore, 'same verified state: the store was not rebuilt');
  t.ok(lines.some((l) => l.msg === 'api_key changed: used from the next backend request'));
  t.notOk(
    lines.some((l) => l.msg.includes('different organization')),
    'same org behind the new key',
  );

  // SIGHUP reloads too
  sim.setApiKey('key-third');
  save('key-third');
  process.emit('SIGHUP', 'SIGHUP');
  await waitUntil('the third key in use', async () => {
    await agent.service.refreshNow();
    return agent.service.status().lastError === undefined || undefined;
  });
  t.ok(lines.some((l) => l.msg === 'SIGHUP: reloading the configuration'));

  // a half-written file is refused with a warning and the current key stays
  writeFileSync(file, 'api_key: [unterminated\n');
  await waitUntil('the reload refused', () => lines.some((l) => l.msg === 'configuration not reloaded') || undefined);
  await agent.service.refreshNow();
  t.equal(agent.service.status().lastError, undefined, 'still the third key');
});

void t.test('after a rotation the next start rebuilds the store, as the reference does', async (t) => {
  const { save, start, lines, sim } = await setup(t);
  const first = await start();
  await waitUntil('first verified state', () => first.service.isReady() || undefined);
  await first.stop();
  sim.setApiKey('key-new');
  save('key-new');
  const second = await start();
  t.ok(
    lines.some((l) => l.msg === 'state store recreated'),
    'different key hash → recreated at start',
  );
  await waitUntil('verified again with the new key', () => second.service.isReady() || undefined);
});

void t.test(
  'org-id-mismatch: another org served by the backend is refused and the verified state keeps serving',
  async (t) => {
    const { sim, start } = await setup(t);
    const agent = await start();
    await waitUntil('first verified state', () => agent.service.isReady() || undefined);
    const before = agent.service.status().configs.map((c) => c.path);
    sim.setAttack('org-id-mismatch');
    await agent.service.refreshNow();
    t.match(agent.service.status().lastError, /does not have the correct orgID\. 3 != 2/);
    t.same(
      agent.service.status().configs.map((c) => c.path),
      before,
      'still the verified configs of org 2',
    );
  },
);
