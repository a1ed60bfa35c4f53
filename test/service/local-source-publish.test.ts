// An edit of the local signed source's directory reaches tracers at once (issue "Operator experience", item 1): the
// source tells the service, which refreshes as soon as the spacing allows instead of at its next poll, and logs what
// the publish changed. Files the source skips are shown in status.
import t from 'tap';
import { loadConfig } from '../../src/config/index.js';
import { createLocalSource } from '../../src/backend/index.js';
import { RemoteConfigService, StateStore, type Logger } from '../../src/service/index.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { makeConfigDir, tempDir, writeConfig } from '../helpers/backend-sim.js';
import { ctx, tracerRequest } from '../helpers/service-harness.js';

t.test('a config edit is published within 1 s and logged', async (t) => {
  const clock = new FakeClock();
  const dir = makeConfigDir(t, { 'FFE_FLAGS/flags/config': '{"flags":{"a":1}}' });
  const dataDir = tempDir(t);
  const created: { service?: RemoteConfigService } = {};
  const local = await createLocalSource({
    dir,
    orgId: 2,
    dataDir,
    pollIntervalMs: 0,
    now: () => clock.now(),
    onChange: () => created.service?.refreshSoon(),
  });
  t.teardown(() => local.close());
  const config = loadConfig({ env: {}, overrides: { run_path: dataDir } });
  const { store } = await StateStore.open(dataDir, { agentVersion: 'test', apiKey: '', backendUrl: local.client.url });
  t.teardown(() => store.close());
  clock.trackMethods(store); // lmdb writes are real I/O: fake time waits for them
  const logged: Array<{ obj: object; msg?: string }> = [];
  const log: Logger = {
    debug: () => undefined,
    info: (obj, msg) => logged.push({ obj, msg }),
    warn: () => undefined,
    error: () => undefined,
  };
  const service = new RemoteConfigService({
    config: config.remoteConfiguration,
    hostname: 'h',
    agentVersion: '7.72.0',
    backend: local.client,
    pinnedRoots: local.pinnedRoots,
    store,
    clock,
    log,
    sourceWarnings: () => local.warnings(),
  });
  created.service = service;
  service.start();
  t.teardown(() => service.stop());
  await clock.advance(10);
  const flags = (): string =>
    Buffer.from(service.snapshot.state.files.get('datadog/2/FFE_FLAGS/flags/config') ?? []).toString();
  t.equal(flags(), '{"flags":{"a":1}}');
  await clock.advance(5000);

  writeConfig(dir, 'FFE_FLAGS/flags/config', '{"flags":{"a":2}}');
  writeConfig(dir, 'FFE_FLAGS/stray', '{}');
  await local.rescan();
  await clock.advance(1000);
  t.equal(flags(), '{"flags":{"a":2}}', 'published within 1 s, not at the next 60 s poll');
  const publish = logged.find((l) => l.msg?.startsWith('published director targets') && l.msg.includes('1 changed'));
  t.ok(publish, 'the publish is logged with what changed');
  t.match(publish?.obj, { changed: ['datadog/2/FFE_FLAGS/flags/config'], added: [], removed: [] });
  t.match(service.status().sourceWarnings, [/FFE_FLAGS\/stray/], 'a skipped file is shown in status');

  const reply = service.clientGetConfigs(tracerRequest({ products: ['FFE_FLAGS'] }), ctx());
  await clock.advance(0);
  t.same(
    ((await reply).targetFiles ?? []).map((f) => Buffer.from(f.raw ?? []).toString()),
    ['{"flags":{"a":2}}'],
    'and served to a new tracer',
  );
});
