import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { ConfigError, loadConfig } from '../../src/config/index.js';
import { parseDurationMs } from '../../src/config/duration.js';

t.test('defaults', (t) => {
  const c = loadConfig({ env: {} });
  const rc = c.remoteConfiguration;
  t.equal(c.httpPort, 8126);
  t.equal(c.grpcPort, 5001);
  t.equal(rc.useLocalSource, true);
  t.equal(rc.refreshIntervalMs, 60_000);
  t.equal(rc.refreshIntervalOverridable, true);
  t.equal(rc.policy, 'fastlane');
  t.same(rc.fastLane, {
    enabled: true,
    products: ['FFE_FLAGS'],
    cacheBypassLimit: 50,
    blockTtlMs: 500,
    prefetch: true,
  });
  t.equal(rc.cacheBypassLimit, 5);
  t.equal(rc.clientsTtlMs, 30_000);
  t.equal(rc.fetchTimeoutMs, 10_000);
  t.ok(Object.isFrozen(c) && Object.isFrozen(rc.fastLane) && Object.isFrozen(rc.fastLane.products), 'deep-frozen');
  t.end();
});

t.test('yaml file, then DD_ env vars win', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'rc-cfg-'));
  const file = join(dir, 'datadog.yaml');
  writeFileSync(
    file,
    [
      'api_key: abc',
      'site: datadoghq.eu',
      'remote_configuration:',
      '  refresh_interval: 10s',
      '  fast_lane:',
      '    cache_bypass_limit: 20',
      '    products: [FFE_FLAGS, LIVE_DEBUGGING]',
      'apm_config:',
      '  receiver_port: 9126',
    ].join('\n'),
  );
  const c = loadConfig({
    file,
    env: {
      DD_REMOTE_CONFIGURATION_FAST_LANE_BLOCK_TTL_MS: '300',
      DD_APM_RECEIVER_PORT: '0',
      DD_REMOTE_CONFIGURATION_FAST_LANE_ENABLED: 'false',
    },
  });
  const rc = c.remoteConfiguration;
  t.equal(rc.apiKey, 'abc');
  t.equal(rc.useLocalSource, false);
  t.equal(rc.backendUrl, 'https://config.datadoghq.eu');
  t.equal(rc.refreshIntervalMs, 10_000);
  t.equal(rc.refreshIntervalOverridable, false, 'a user interval ≥ 5 s disables the backend override');
  t.equal(rc.fastLane.cacheBypassLimit, 20);
  t.same(rc.fastLane.products, ['FFE_FLAGS', 'LIVE_DEBUGGING']);
  t.equal(rc.fastLane.blockTtlMs, 300);
  t.equal(rc.fastLane.enabled, false);
  t.equal(c.httpPort, 0);
  t.end();
});

t.test('invalid values name the key, the env var and the value', (t) => {
  const err = (() => {
    try {
      loadConfig({ env: { DD_REMOTE_CONFIGURATION_FAST_LANE_CACHE_BYPASS_LIMIT: '-3' } });
    } catch (e) {
      return e;
    }
    return undefined;
  })();
  t.type(err, ConfigError);
  t.match(
    (err as Error).message,
    /remote_configuration\.fast_lane\.cache_bypass_limit \(env DD_REMOTE_CONFIGURATION_FAST_LANE_CACHE_BYPASS_LIMIT\): invalid value "-3"/,
  );
  t.throws(() => loadConfig({ env: { DD_REMOTE_CONFIGURATION_POLICY: 'fast' } }), /remote_configuration\.policy/);
  t.throws(() => loadConfig({ env: { DD_CMD_PORT: '70000' } }), /cmd_port/);
  t.throws(
    () => loadConfig({ env: { DD_REMOTE_CONFIGURATION_FAST_LANE_PRODUCTS: 'ffe flags' } }),
    /fast_lane\.products/,
  );
  t.throws(
    () => loadConfig({ env: { DD_API_KEY: 'k', DD_REMOTE_CONFIGURATION_RC_DD_URL: 'http://127.0.0.1:1' } }),
    /not https/,
  );
  t.end();
});

t.test('reference replacement rules (PROTOCOL.md §4.8)', (t) => {
  const c = loadConfig({
    env: {
      DD_REMOTE_CONFIGURATION_REFRESH_INTERVAL: '2s',
      DD_REMOTE_CONFIGURATION_MAX_BACKOFF_INTERVAL: '10m',
      DD_REMOTE_CONFIGURATION_CLIENTS_TTL_SECONDS: '90',
      DD_REMOTE_CONFIGURATION_CLIENTS_CACHE_BYPASS_LIMIT: '11',
    },
  });
  const rc = c.remoteConfiguration;
  t.equal(rc.refreshIntervalMs, 60_000, '< 5 s → 1 min');
  t.equal(rc.refreshIntervalOverridable, true);
  t.equal(rc.maxBackoffIntervalMs, 300_000, 'clamped to 5 min');
  t.equal(rc.clientsTtlMs, 30_000, 'outside [5, 60] → 30 s');
  t.equal(rc.cacheBypassLimit, 5, 'outside [1, 10] → 5');
  t.equal(c.warnings.length, 4);
  t.end();
});

t.test('config_root accepts JSON or a file path', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'rc-cfg-'));
  const file = join(dir, 'root.json');
  writeFileSync(file, '{"signed":{},"signatures":[]}\n');
  t.equal(
    loadConfig({ env: { DD_REMOTE_CONFIGURATION_CONFIG_ROOT: file } }).remoteConfiguration.configRoot,
    '{"signed":{},"signatures":[]}',
  );
  t.equal(
    loadConfig({ env: { DD_REMOTE_CONFIGURATION_DIRECTOR_ROOT: '{"a":1}' } }).remoteConfiguration.directorRoot,
    '{"a":1}',
  );
  t.throws(() => loadConfig({ env: { DD_REMOTE_CONFIGURATION_CONFIG_ROOT: '/nope/root.json' } }), /config_root/);
  t.throws(() => loadConfig({ env: { DD_REMOTE_CONFIGURATION_CONFIG_ROOT: '{bad' } }), /not valid JSON/);
  t.end();
});

t.test('durations', (t) => {
  t.equal(parseDurationMs(30), 30_000);
  t.equal(parseDurationMs('1m30s'), 90_000);
  t.equal(parseDurationMs('500ms'), 500);
  t.equal(parseDurationMs('5'), 5000);
  t.equal(parseDurationMs('soon'), undefined);
  t.end();
});

t.test('what is sent upstream: agent version, trace_agent_env, host tags (reference rules)', (t) => {
  const base = loadConfig({ env: {} }).remoteConfiguration;
  t.equal(base.upstreamAgentVersion, '7.72.0', 'default: a released agent version the backend serves');
  t.equal(base.traceAgentEnv, '');
  t.same(base.hostTags, []);

  const c = loadConfig({
    env: { DD_ENV: 'prod', DD_TAGS: 'team:rc env:staging  zone:b', DD_EXTRA_TAGS: 'zone:a team:rc' },
  }).remoteConfiguration;
  t.equal(c.traceAgentEnv, 'prod', 'env wins over an env: tag');
  t.same(
    c.hostTags,
    ['env:prod', 'env:staging', 'team:rc', 'zone:a', 'zone:b'],
    'tags + extra_tags + env:, sorted, unique',
  );

  t.equal(
    loadConfig({ env: { DD_TAGS: 'a:b env:from-tag env:second' } }).remoteConfiguration.traceAgentEnv,
    'from-tag',
    'no env: the first env: tag',
  );
  t.equal(
    loadConfig({ env: { DD_APM_ENV: 'apm', DD_ENV: 'prod' } }).remoteConfiguration.traceAgentEnv,
    'apm',
    'apm_config.env wins',
  );

  t.equal(
    loadConfig({ env: { DD_REMOTE_CONFIGURATION_AGENT_VERSION: '7.60.1' } }).remoteConfiguration.upstreamAgentVersion,
    '7.60.1',
  );
  t.throws(() => loadConfig({ env: { DD_REMOTE_CONFIGURATION_AGENT_VERSION: '7.38.0' } }), {
    message: /remote_configuration\.agent_version: 7\.38\.0 is older than 7\.39\.1/,
  });
  t.throws(() => loadConfig({ env: { DD_REMOTE_CONFIGURATION_AGENT_VERSION: 'latest' } }), {
    message: /remote_configuration\.agent_version: "latest" is not a version/,
  });
  t.end();
});

t.test('proxy and TLS settings of the backend client', (t) => {
  const c = loadConfig({
    env: {
      DD_API_KEY: 'k',
      DD_PROXY_HTTPS: 'proxy.corp:3128',
      DD_PROXY_NO_PROXY: 'localhost config.internal',
      HTTP_PROXY: 'http://user:pw@proxy.corp:8080',
    },
  }).remoteConfiguration;
  t.same(c.proxy, {
    http: 'http://user:pw@proxy.corp:8080',
    https: 'http://proxy.corp:3128',
    noProxy: ['localhost', 'config.internal'],
    noProxyNonexactMatch: false,
  });
  t.same(loadConfig({ env: { NO_PROXY: 'a.com,.b.com' } }).remoteConfiguration.proxy.noProxy, ['a.com', '.b.com']);
  t.same(c.tls, { skipVerify: false, minVersion: 'TLSv1.2' });

  const err = t.throws(() => loadConfig({ env: { DD_PROXY_HTTPS: 'http://us:secret@[bad' } })) as Error;
  t.match(err.message, /proxy\.https: not a URL/);
  t.notMatch(err.message, /secret/, 'proxy credentials are not echoed');
  t.throws(() => loadConfig({ env: { DD_PROXY_HTTPS: 'ftp://p:21' } }), { message: /proxy\.https: scheme ftp:/ });

  // api/http.go: skip_ssl_validation needs remote_configuration.no_tls_validation
  t.throws(() => loadConfig({ env: { DD_API_KEY: 'k', DD_SKIP_SSL_VALIDATION: 'true' } }), {
    message: /skip_ssl_validation: Remote Configuration does not allow skipping TLS validation/,
  });
  const skip = loadConfig({
    env: { DD_API_KEY: 'k', DD_SKIP_SSL_VALIDATION: 'true', DD_REMOTE_CONFIGURATION_NO_TLS_VALIDATION: 'true' },
  }).remoteConfiguration;
  t.equal(skip.tls.skipVerify, true);

  const tls13 = loadConfig({ env: { DD_MIN_TLS_VERSION: 'TLSv1.3' } });
  t.equal(tls13.remoteConfiguration.tls.minVersion, 'TLSv1.3');
  const bad = loadConfig({ env: { DD_MIN_TLS_VERSION: 'ssl3' } });
  t.equal(bad.remoteConfiguration.tls.minVersion, 'TLSv1.2', 'invalid → the default, with a warning');
  t.match(bad.warnings, [/min_tls_version: invalid "ssl3"/]);
  t.end();
});

t.test('a bad api_key value is not echoed', (t) => {
  t.throws(() => loadConfig({ env: {}, overrides: { api_key: ['secret-list'] } }), {
    message: /api_key: invalid value <redacted>/,
  });
  t.end();
});
