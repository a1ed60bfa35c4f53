// A duration key means the same thing whether it comes from the file, the environment or the default, and that is
// what the README's configuration table says. Each check would fail if one source's unit were misread.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { KEYS, loadConfig, loadConfigWithSources, type AgentConfig } from '../../src/config/index.js';
import { parseDurationMs } from '../../src/config/duration.js';
import { Duration } from '../../src/config/duration.js';
import { CONFIG_KEYS } from '../../src/config/schema.js';

function fromFile(t: Test, yaml: string): AgentConfig {
  const file = join(t.testdir(), 'datadog.yaml');
  writeFileSync(file, yaml);
  return loadConfig({ file, env: {} });
}

t.test('stop_timeout: a file number is seconds, an env value takes units, the default is 10 s', async (t) => {
  t.equal(loadConfig({ env: {} }).stopTimeoutMs, 10_000, 'default: 10 s as the README says');
  t.equal(fromFile(t, 'stop_timeout: 10\n').stopTimeoutMs, 10_000, 'file: 10 = 10 s');
  t.equal(fromFile(t, 'stop_timeout: 3\n').stopTimeoutMs, 3000, 'file: 3 = 3 s');
  t.equal(fromFile(t, 'stop_timeout: 1500ms\n').stopTimeoutMs, 1500, 'file: with a unit');
  t.equal(loadConfig({ env: { DD_STOP_TIMEOUT: '10s' } }).stopTimeoutMs, 10_000, 'env: 10s');
  t.equal(loadConfig({ env: { DD_STOP_TIMEOUT: '10' } }).stopTimeoutMs, 10_000, 'env: a bare 10 is seconds too');
  t.equal(loadConfig({ env: { DD_STOP_TIMEOUT: '2m' } }).stopTimeoutMs, 120_000, 'env: 2m');
  t.equal(loadConfig({ env: {}, overrides: { stop_timeout: 4 } }).stopTimeoutMs, 4000, 'override: seconds');
  const fileThenEnv = join(t.testdir(), 'datadog.yaml');
  writeFileSync(fileThenEnv, 'stop_timeout: 3\n');
  t.equal(loadConfig({ file: fileThenEnv, env: { DD_STOP_TIMEOUT: '5s' } }).stopTimeoutMs, 5000, 'env wins');
  t.throws(() => loadConfig({ env: { DD_STOP_TIMEOUT: 'soon' } }), {
    message: /stop_timeout \(env DD_STOP_TIMEOUT\): invalid value "soon"/,
  });
  t.throws(() => loadConfig({ env: { DD_STOP_TIMEOUT: '-1s' } }), { message: /stop_timeout \(env DD_STOP_TIMEOUT\)/ });
});

t.test('clients.ttl_seconds: seconds from every source, milliseconds only in clientsTtlMs', async (t) => {
  const ttlMs = (c: AgentConfig): number => c.remoteConfiguration.clientsTtlMs;
  t.equal(ttlMs(loadConfig({ env: {} })), 30_000, 'default: 30 (s) as the README says');
  t.equal(ttlMs(fromFile(t, 'remote_configuration:\n  clients:\n    ttl_seconds: 20\n')), 20_000, 'file: 20 = 20 s');
  t.equal(ttlMs(fromFile(t, 'remote_configuration.clients.ttl_seconds: 45s\n')), 45_000, 'file: with a unit');
  const env = (value: string) => ttlMs(loadConfig({ env: { DD_REMOTE_CONFIGURATION_CLIENTS_TTL_SECONDS: value } }));
  t.equal(env('20'), 20_000, 'env: 20 = 20 s');
  t.equal(env('20s'), 20_000, 'env: 20s');
  t.equal(env('1m'), 60_000, 'env: 1m is the top of the range');
  t.equal(env('5000ms'), 5000, 'env: 5000ms is the bottom of the range');
  // Outside [5 s, 60 s] → 30 s, with a warning in the key's own terms.
  const low = loadConfig({ env: { DD_REMOTE_CONFIGURATION_CLIENTS_TTL_SECONDS: '4' } });
  t.equal(ttlMs(low), 30_000);
  t.same(low.warnings, ['remote_configuration.clients.ttl_seconds: 4s is outside [5s, 60s]; using 30s']);
  const high = loadConfig({ env: { DD_REMOTE_CONFIGURATION_CLIENTS_TTL_SECONDS: '61' } });
  t.same(high.warnings, ['remote_configuration.clients.ttl_seconds: 61s is outside [5s, 60s]; using 30s']);
});

t.test('refresh_interval: 5 s is the threshold whatever the source writes', async (t) => {
  const rc = (env: Record<string, string>) => loadConfig({ env }).remoteConfiguration;
  t.same([rc({}).refreshIntervalMs, rc({}).refreshIntervalOverridable], [60_000, true], 'unset: 1 min, overridable');
  const five = rc({ DD_REMOTE_CONFIGURATION_REFRESH_INTERVAL: '5' });
  t.same([five.refreshIntervalMs, five.refreshIntervalOverridable], [5000, false], 'a bare 5 is 5 s: fixed');
  const fiveMs = loadConfig({ env: { DD_REMOTE_CONFIGURATION_REFRESH_INTERVAL: '4999ms' } });
  t.same(
    [fiveMs.remoteConfiguration.refreshIntervalMs, fiveMs.remoteConfiguration.refreshIntervalOverridable],
    [60_000, true],
  );
  t.same(fiveMs.warnings, ['remote_configuration.refresh_interval: 4999ms is below 5s; using 60s']);
});

t.test('defaults are parsed like user values: feeding them back as a file changes nothing', async (t) => {
  const { config, settings } = loadConfigWithSources({ env: {} });
  const lines: string[] = [];
  for (const key of CONFIG_KEYS) {
    const setting = settings.get(key);
    if (setting === undefined) continue;
    t.equal(setting.source, 'default', key);
    lines.push(`${JSON.stringify(key)}: ${JSON.stringify(setting.value)}`);
  }
  t.same(
    fromFile(t, lines.join('\n') + '\n'),
    config,
    'the streamed defaults, written to datadog.yaml, give the same config',
  );
  t.same(settings.get('stop_timeout'), { value: 10, source: 'default' }, 'streamed in seconds');
  t.same(settings.get('remote_configuration.clients.ttl_seconds'), { value: 30, source: 'default' });
  t.same(settings.get('remote_configuration.cluster.lock_ttl'), { value: 5, source: 'default' });
});

t.test("the README's configuration table gives every duration default", async (t) => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  let durations = 0;
  for (const key of CONFIG_KEYS) {
    const parsed = KEYS[key].safeParse(undefined);
    if (!parsed.success || !(parsed.data instanceof Duration)) continue;
    durations++;
    const row = readme.split('\n').find((line) => line.startsWith(`| \`${key}\` |`));
    if (row === undefined) {
      t.fail(`${key}: no row of its own in the README's configuration table`);
      continue;
    }
    // "10 s", "1 min", "5s", or a bare number (seconds, as the key is written)
    const written = (row.split('|')[2] ?? '')
      .trim()
      .replace(/\s*min$/, 'm')
      .replace(/\s+/g, '');
    t.equal(parseDurationMs(written), parsed.data.ms, `${key}: README default ${JSON.stringify(written)}`);
  }
  t.ok(durations >= 6, `${durations} duration keys with a default`);
});
