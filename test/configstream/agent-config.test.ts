import t from 'tap';
import { file } from '../helpers/signed-backend.js';
import { createHarness } from '../helpers/service-harness.js';
import { mergeAgentConfig, toLogLevel } from '../../src/configstream/agent-config.js';
import { type ConfigChange } from '../../src/configstream/consumer.js';
import { ConfigStreamConsumer } from '../../src/configstream/consumer.js';
import { RegisteredSession } from '../../src/configstream/session.js';
import { advanceUntil, startStreamHarness } from '../helpers/config-stream-harness.js';

const enc = (v: unknown): Uint8Array => Buffer.from(JSON.stringify(v));
const ORDER = 'datadog/2/AGENT_CONFIG/configuration_order/config';
const layer = (id: string, level: string): [string, Uint8Array] => [
  `datadog/2/AGENT_CONFIG/${id}/config`,
  enc({ name: id, config: { log_level: level } }),
];

t.test('merge: first listed layer wins, internal_order over order, any invalid file → nothing', async (t) => {
  const files = new Map([
    [ORDER, enc({ order: ['a', 'b'], internal_order: [] })],
    layer('a', 'debug'),
    layer('b', 'error'),
  ]);
  t.same(mergeAgentConfig(files).merged, { logLevel: 'debug' });
  files.set(ORDER, enc({ order: ['b', 'a'] }));
  t.same(mergeAgentConfig(files).merged, { logLevel: 'error' });
  files.set(ORDER, enc({ order: ['a'], internal_order: ['b'] }));
  t.same(mergeAgentConfig(files).merged, { logLevel: 'error' });
  files.set(ORDER, enc({ order: ['missing'] }));
  t.same(mergeAgentConfig(files).merged, { logLevel: '' }, 'an ordered layer that is absent sets nothing');
  // no order file: nothing applies
  t.same(mergeAgentConfig(new Map([layer('a', 'debug')])), { merged: undefined, errors: [] });
  const bad = mergeAgentConfig(
    new Map([
      [ORDER, enc({ order: ['a'] })],
      ['datadog/2/AGENT_CONFIG/a/config', enc([])],
    ]),
  );
  t.equal(bad.merged, undefined);
  t.match(bad.errors, [{ path: 'datadog/2/AGENT_CONFIG/a/config', message: /Unexpected AGENT_CONFIG/ }]);
  t.match(mergeAgentConfig(new Map([['datadog/2/APM_TRACING/x/config', enc({})]])).errors, [
    { message: /wrong format/ },
  ]);
  t.equal(toLogLevel('WARNING'), 'warn');
  t.equal(toLogLevel('critical'), 'error');
  t.equal(toLogLevel('loud'), undefined);
});

t.test('AGENT_CONFIG from the signed backend changes log_level (source remote-config), end to end', async (t) => {
  const order = file('AGENT_CONFIG', 'configuration_order', { order: ['flare-debug', 'base'], internal_order: [] });
  const debug = file('AGENT_CONFIG', 'flare-debug', { name: 'flare-debug', config: { log_level: 'debug' } });
  const base = file('AGENT_CONFIG', 'base', { name: 'base', config: { log_level: 'warn' } });
  const rc = await createHarness(t, { files: [order, debug, base] });
  const clock = rc.clock;
  const dir = t.testdir();
  const h = await startStreamHarness(t, { dir, yaml: 'log_level: info\n', clock, service: rc.service });
  const client = h.client();
  const session = new RegisteredSession({
    client,
    registration: { pid: '1', flavor: 'trace-agent', displayName: 'Trace Agent' },
    clock,
  });
  t.teardown(() => session.close());
  const consumer = new ConfigStreamConsumer({ client, name: 'trace-agent', sessionIdProvider: session, clock });
  t.teardown(() => consumer.close());
  const changes: ConfigChange[] = [];
  consumer.subscribe((c) => changes.push(c));
  await consumer.waitReady();
  t.equal(consumer.get('log_level'), 'info');

  await advanceUntil(clock, () => consumer.get('log_level') === 'debug', 'remote log level', 1000, 120);
  t.same(consumer.setting('log_level'), { value: 'debug', source: 'remote-config' });
  t.same(h.levels, ['debug'], 'applied to the running logger');
  t.equal(h.runtime.status().remoteLogLevel, 'debug');
  const remote = changes.filter((c) => c.via === 'update');
  t.match(remote, [{ key: 'log_level', oldValue: 'info', newValue: 'debug', source: 'remote-config' }]);

  // the org reorders its layers: the next poll applies the new winner
  const reordered = file('AGENT_CONFIG', 'configuration_order', { order: ['base', 'flare-debug'] });
  rc.backend.publish([reordered, debug, base]);
  await advanceUntil(clock, () => consumer.get('log_level') === 'warn', 'reordered', 1000, 180);
  t.equal(consumer.setting('log_level')!.source, 'remote-config');

  // every AGENT_CONFIG file deleted: the remote layer goes, the file's value (source file) is back
  rc.backend.publish([]);
  await advanceUntil(clock, () => consumer.get('log_level') === 'info', 'remote removed', 1000, 180);
  t.same(consumer.setting('log_level'), { value: 'info', source: 'file' });
  t.same(h.levels, ['debug', 'warn', 'info']);
  t.ok(h.runtime.agentConfig!.polls > 2);
});
