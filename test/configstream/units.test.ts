import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfigWithSources } from '../../src/config/index.js';
import { RemoteAgentRegistry } from '../../src/configstream/registry.js';
import { SEQUENCE_FILE, SequenceCounter } from '../../src/configstream/sequence.js';
import { fromProtoValue, toProtoValue } from '../../src/configstream/values.js';
import { scrubSetting } from '../../src/configstream/scrub.js';
import { FakeClock } from '../helpers/fake-clock.js';

t.test('scrubbing as the Datadog agent does', async (t) => {
  const api = '0123456789abcdef0123456789abcdef';
  t.equal(scrubSetting('api_key', api), '***************************bcdef');
  t.equal(scrubSetting('remote_configuration.api_key', api), '***************************bcdef');
  t.equal(scrubSetting('app_key', 'a'.repeat(35) + 'bcdef'), '*'.repeat(35) + 'bcdef');
  t.equal(scrubSetting('api_key', 'short'), '********');
  t.equal(scrubSetting('api_key', 'not-hex-but-long-enough-x'), '********ugh-x');
  t.equal(scrubSetting('auth_token', 'abcdefabcdefabcdef'), '********');
  t.equal(scrubSetting('proxy.password', 'hunter2'), '********');
  t.equal(scrubSetting('some.secret', 42), '********');
  t.equal(scrubSetting('api_key', ''), '', 'nothing to hide');
  t.equal(scrubSetting('log_level', 'debug'), 'debug');
  t.equal(scrubSetting('apm_config.token_count', 3), 3, 'only whole words');
});

t.test('google.protobuf.Value round trip', async (t) => {
  const v = { a: [1, 'x', true, null, { b: 2 }], c: {} };
  t.same(fromProtoValue(toProtoValue(v)), v);
  t.same(toProtoValue(undefined), { nullValue: 0 });
  t.same(toProtoValue(Number.NaN), { stringValue: 'NaN' });
});

t.test('sequence IDs continue across restarts, in reserved blocks', async (t) => {
  const dir = t.testdir();
  const first = new SequenceCounter(dir);
  t.equal(first.value, 1);
  for (let i = 0; i < 5; i++) first.next();
  t.equal(first.value, 6);
  const second = new SequenceCounter(dir);
  t.ok(second.value > 6, 'a restarted counter starts above every ID the previous one could have sent');
  const reserved = JSON.parse(readFileSync(join(dir, SEQUENCE_FILE), 'utf8')) as { reservedThrough: number };
  t.ok(reserved.reservedThrough >= second.value);
  writeFileSync(join(dir, SEQUENCE_FILE), 'garbage');
  t.equal(new SequenceCounter(dir).value, 1, 'an unreadable file starts over');
  t.equal(new SequenceCounter().value, 1);
});

t.test('registry: expiry, refresh keeps alive, events', async (t) => {
  const clock = new FakeClock();
  const reg = new RemoteAgentRegistry({ clock, sessionTtlMs: 30_000, refreshIntervalS: 10 });
  const ended: string[] = [];
  reg.on('ended', (id, reason) => ended.push(`${id}:${reason}`));
  const { sessionId } = reg.register({ pid: '1', flavor: 'f', displayName: 'F' });
  await clock.advance(20_000);
  t.ok(reg.refresh(sessionId));
  await clock.advance(25_000);
  t.ok(reg.isValid(sessionId), 'refreshed 25 s ago');
  await clock.advance(10_000);
  t.notOk(reg.isValid(sessionId));
  t.same(ended, [`${sessionId}:expired`]);
  t.throws(() => reg.register({ pid: '', flavor: 'f', displayName: 'F' }), { message: 'pid is required' });
  t.throws(() => reg.register({ pid: '1', flavor: '', displayName: 'F' }), { message: 'flavor is required' });
  reg.close();
  t.equal(clock.pendingTimers, 0);
});

t.test('sources: each key says where its value came from', async (t) => {
  const dir = t.testdir();
  const file = join(dir, 'datadog.yaml');
  writeFileSync(file, 'log_level: debug\nstop_timeout: 3\nextra:\n  nested: [1, 2]\n  empty: {}\n');
  const { settings } = loadConfigWithSources({
    file,
    env: { DD_CMD_PORT: '6000' },
    overrides: { run_path: dir },
  });
  t.same(settings.get('log_level'), { value: 'debug', source: 'file' });
  t.same(settings.get('stop_timeout'), { value: 3, source: 'file' });
  t.same(settings.get('cmd_port'), { value: 6000, source: 'environment-variable' });
  t.same(settings.get('run_path'), { value: dir, source: 'cli' });
  t.same(settings.get('site'), { value: 'datadoghq.com', source: 'default' });
  t.same(settings.get('extra.nested'), { value: [1, 2], source: 'file' });
  t.same(settings.get('extra.empty'), { value: {}, source: 'file' });
  t.notOk(settings.has('remote_configuration.refresh_interval'), 'no default, not set: absent');
});
