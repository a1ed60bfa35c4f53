// Config mistakes are said, not swallowed (issue "Operator experience", item 3): unknown keys get a warning with the
// nearest known key, YAML syntax errors give the line and column, duration errors say what is accepted — and a
// duration means the same whether it comes from the file, the environment or the default.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { ConfigError, loadConfig } from '../../src/config/index.js';

function file(t: { teardown(fn: () => void): void }, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'rc-cfg-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'datadog.yaml');
  writeFileSync(path, text);
  return path;
}

t.test('unknown keys: one warning each, with a did-you-mean when a known key is near', (t) => {
  const path = file(
    t,
    'remote_configuration:\n  refresh_intervall: 30s\n  fast_lane:\n    products: [FFE_FLAGS]\nsome_agent_option: 1\n',
  );
  const c = loadConfig({ file: path, env: {} });
  t.ok(
    c.warnings.includes(
      'unknown key remote_configuration.refresh_intervall in the config file: ignored (did you mean remote_configuration.refresh_interval?)',
    ),
  );
  t.ok(
    c.warnings.includes('unknown key some_agent_option in the config file: ignored'),
    'no suggestion when none is near',
  );
  t.notOk(
    c.warnings.some((w) => w.includes('fast_lane.products')),
    'known keys (lists included) are not warned about',
  );
  t.end();
});

t.test('YAML syntax errors give the line and column', (t) => {
  const path = file(t, 'log_level: info\nremote_configuration:\n  enabled: [true\n');
  t.throws(() => loadConfig({ file: path, env: {} }), {
    code: 'INVALID_YAML',
    message: /is not valid YAML: .*line \d+, column \d+/,
  });
  t.end();
});

t.test('duration errors say what is accepted', (t) => {
  try {
    loadConfig({ env: { DD_STOP_TIMEOUT: 'ten seconds' } });
    t.fail('accepted');
  } catch (err) {
    t.ok(err instanceof ConfigError);
    t.match(
      (err as Error).message,
      /stop_timeout \(env DD_STOP_TIMEOUT\): invalid value "ten seconds": expected a duration: seconds \(30, 0\.5\) or a Go duration string \(500ms, 30s, 1m, 1h30m\)/,
    );
    t.notMatch((err as Error).message, /NaN|received/, 'no validator wording');
  }
  t.end();
});

t.test('stop_timeout: 10 in the file, DD_STOP_TIMEOUT=10s and the default all mean 10 seconds', (t) => {
  t.equal(loadConfig({ file: file(t, 'stop_timeout: 10\n'), env: {} }).stopTimeoutMs, 10_000, 'file, bare number');
  t.equal(loadConfig({ env: { DD_STOP_TIMEOUT: '10s' } }).stopTimeoutMs, 10_000, 'env, Go duration');
  t.equal(loadConfig({ env: { DD_STOP_TIMEOUT: '10' } }).stopTimeoutMs, 10_000, 'env, bare number');
  t.equal(loadConfig({ env: {} }).stopTimeoutMs, 10_000, 'default');
  t.equal(loadConfig({ file: file(t, 'stop_timeout: 1m30s\n'), env: {} }).stopTimeoutMs, 90_000);
  t.end();
});
