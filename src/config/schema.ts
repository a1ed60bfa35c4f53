// Every configuration key rc-agent reads (datadog.yaml names), its env var, its type and its default. The object
// schema's parsed output is the typed settings `build()` turns into an AgentConfig; defaults are written the way a
// user writes them and parsed like user values, so a default cannot be in another unit than the key.
import { z } from 'zod';
import { Duration, parseDurationMs } from './duration.js';

const bool = z.preprocess((v) => {
  if (typeof v !== 'string') return v;
  const s = v.trim().toLowerCase();
  return s === 'true' || s === '1' ? true : s === 'false' || s === '0' ? false : v;
}, z.boolean());
const int = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z.preprocess((v) => (typeof v === 'string' && v.trim() !== '' ? Number(v) : v), z.number().int().min(min).max(max));
const port = int(0, 65535);
const str = z.string();
/** What a duration error says instead of the validator's wording. */
export const DURATION_HELP = 'expected a duration: seconds (30, 0.5) or a Go duration string (500ms, 30s, 1m, 1h30m)';
/** A number of seconds or a string with units (`500ms`, `30s`, `1m30s`); read the result as `.ms` or `.seconds`. */
const duration = z
  .preprocess(
    (v) => parseDurationMs(v) ?? v,
    z
      .number({ error: DURATION_HELP })
      .finite({ error: DURATION_HELP })
      .nonnegative({ error: `${DURATION_HELP}, not negative` }),
  )
  .transform((ms) => new Duration(ms));
/** A list from YAML, or a string split on spaces and commas (`DD_TAGS="a:b c:d"`, `NO_PROXY=a,b`). */
const listOf = (item: z.ZodString) =>
  z.preprocess(
    (v) =>
      typeof v === 'string'
        ? v
            .split(/[\s,]+/)
            .map((p) => p.trim())
            .filter(Boolean)
        : v,
    z.array(item),
  );
const products = listOf(z.string().regex(/^[A-Z0-9_]+$/, 'product names are upper-case letters, digits and _'));
const list = listOf(z.string());
const logLevel = z.enum(['trace', 'debug', 'info', 'warn', 'error', 'off']);
const policy = z.enum(['fastlane', 'legacy']);

export type LogLevel = z.output<typeof logLevel>;
export type Policy = z.output<typeof policy>;

export interface KeyInfo {
  readonly describe: string;
  /** Never echoed in errors (keys, tokens). */
  readonly secret?: boolean;
  /** Env vars; default `DD_` + the key upper-cased with `.` → `_`. */
  readonly env?: readonly string[];
}

const KEY_INFO = z.registry<KeyInfo>();

/** A key with a default, written as datadog.yaml would hold it (`'10s'`, `30`): it goes through the key's parsing. */
function key<S extends z.ZodType>(schema: S, info: KeyInfo & { readonly default: z.input<S> }) {
  const { default: value, ...rest } = info;
  const field = schema.prefault(value);
  KEY_INFO.add(field, rest);
  return field;
}

/** A key whose absence means something (`refresh_interval` unset lets the backend choose): parsed as undefined. */
function optionalKey<S extends z.ZodType>(schema: S, info: KeyInfo) {
  const field = schema.optional();
  KEY_INFO.add(field, info);
  return field;
}

export const CONFIG_SCHEMA = z.object({
  api_key: key(str, { secret: true, default: '', describe: 'Datadog API key; empty = serve the local signed source' }),
  'remote_configuration.api_key': key(str, { secret: true, default: '', describe: 'wins over api_key for RC' }),
  'remote_configuration.key': key(str, {
    secret: true,
    default: '',
    describe: 'RC key (DDRCM_…): adds DD-Application-Key and the org-ID check',
  }),
  'remote_configuration.agent_version': optionalKey(str, {
    describe: 'agentVersion sent upstream; the backend refuses versions below 7.39.1',
  }),
  env: key(str, { default: '', describe: 'trace_agent_env upstream and an env:<env> host tag' }),
  'apm_config.env': key(str, { env: ['DD_APM_ENV'], default: '', describe: 'wins over env for trace_agent_env' }),
  tags: key(list, { default: [], describe: 'host tags sent upstream (DD_TAGS: space-separated)' }),
  extra_tags: key(list, { default: [], describe: 'more host tags' }),
  'proxy.http': key(str, {
    env: ['DD_PROXY_HTTP', 'HTTP_PROXY', 'http_proxy'],
    default: '',
    secret: true,
    describe: 'proxy for an http backend URL',
  }),
  'proxy.https': key(str, {
    env: ['DD_PROXY_HTTPS', 'HTTPS_PROXY', 'https_proxy'],
    default: '',
    secret: true,
    describe: 'proxy for the https backend (HTTP CONNECT)',
  }),
  'proxy.no_proxy': key(list, {
    env: ['DD_PROXY_NO_PROXY', 'NO_PROXY', 'no_proxy'],
    default: [],
    describe: 'hosts reached without the proxy',
  }),
  no_proxy_nonexact_match: key(bool, {
    default: false,
    describe: 'no_proxy matches domain suffixes, CIDRs and ports (else exact host only)',
  }),
  skip_ssl_validation: key(bool, { default: false, describe: 'do not verify the backend certificate' }),
  'remote_configuration.no_tls_validation': key(bool, {
    default: false,
    describe: 'needed for skip_ssl_validation to apply to RC',
  }),
  min_tls_version: key(str, { default: 'tlsv1.2', describe: 'tlsv1.0 … tlsv1.3; anything else → tlsv1.2' }),
  container_tags_file: key(str, {
    default: '',
    describe: 'JSON or YAML map container ID → tags, appended to tracer tags',
  }),
  container_cgroup_root: key(str, {
    default: '/sys/fs/cgroup',
    describe: 'cgroup v2 mount used to resolve Datadog-Entity-ID in-<inode>',
  }),
  site: key(str, { default: 'datadoghq.com', describe: 'Datadog site (backend URL and embedded roots)' }),
  hostname: key(str, { default: '', describe: 'hostname sent upstream (default: the OS hostname)' }),
  bind_host: key(str, { default: '127.0.0.1', describe: 'address the HTTP and gRPC listeners bind' }),
  run_path: key(str, { default: './.rc-agent', describe: 'data dir: embedded database, keys, auth token' }),
  cmd_port: key(port, { default: 5001, describe: 'gRPC AgentSecure port (0 = ephemeral)' }),
  'apm_config.receiver_port': key(port, {
    env: ['DD_APM_RECEIVER_PORT', 'DD_APM_CONFIG_RECEIVER_PORT'],
    default: 8126,
    describe: 'HTTP port of /v0.7/config (0 = ephemeral)',
  }),
  stop_timeout: key(duration, { default: '10s', describe: 'time given to in-flight requests on stop' }),
  log_level: key(logLevel, {
    default: 'info',
    describe: 'log level (logs go to stderr)',
  }),
  log_format_json: key(bool, {
    default: false,
    describe: 'JSON logs even when stderr is a terminal (otherwise JSON only when it is not)',
  }),
  'remote_configuration.enabled': key(bool, { default: true, describe: 'also gates /v0.7/config' }),
  'remote_configuration.rc_dd_url': key(str, { default: '', describe: 'backend URL (default https://config.<site>)' }),
  'remote_configuration.no_tls': key(bool, { default: false, describe: 'allow a plain-http backend URL' }),
  'remote_configuration.config_root': key(str, { default: '', describe: 'pinned config root: JSON or a file path' }),
  'remote_configuration.director_root': key(str, {
    default: '',
    describe: 'pinned director root: JSON or a file path',
  }),
  'remote_configuration.refresh_interval': optionalKey(duration, {
    describe: 'backend poll interval (unset: 1 min, backend override allowed)',
  }),
  'remote_configuration.max_backoff_interval': key(duration, {
    default: '2m',
    describe: 'cap of the error backoff, clamped to [2 min, 5 min]',
  }),
  'remote_configuration.org_status_refresh_interval': key(duration, {
    default: '1m',
    describe: 'how often the org status is read from the backend; < 5 s → 1 min',
  }),
  'remote_configuration.fetch_timeout': key(duration, {
    default: '10s',
    describe: 'timeout of every backend request',
  }),
  'remote_configuration.clients.ttl_seconds': key(duration, {
    default: 30,
    describe: 'a client is active this long after its last request; outside [5 s, 60 s] → 30 s',
  }),
  'remote_configuration.clients.cache_bypass_limit': key(int(0), {
    default: 5,
    describe: 'standard-lane cache bypasses per refresh interval; outside [1, 10] → 5',
  }),
  'remote_configuration.policy': key(policy, {
    default: 'fastlane',
    describe: 'legacy reproduces the reference agent scheduling exactly',
  }),
  'remote_configuration.local.dir': key(str, {
    default: '',
    describe: 'config dir of the local signed source (default: the shipped examples/configs)',
  }),
  'remote_configuration.local.org_id': key(int(1), { default: 2, describe: 'org ID of local config paths' }),
  'remote_configuration.fast_lane.enabled': key(bool, { default: true, describe: 'kill switch of the fast lane' }),
  'remote_configuration.fast_lane.products': key(products, {
    default: ['FFE_FLAGS'],
    describe: 'a request gets fast-lane rules when it asks for at least one product listed here',
  }),
  'remote_configuration.fast_lane.prefetch': key(bool, {
    default: true,
    describe: 'ask the backend for the fast-lane products from the first refresh on, before any client asks',
  }),
  'remote_configuration.fast_lane.cache_bypass_limit': key(int(0, 10_000), {
    default: 50,
    describe: 'fast-lane cache bypasses per refresh interval',
  }),
  'remote_configuration.fast_lane.block_ttl_ms': key(int(0, 2000), {
    default: 500,
    describe: 'longest a fast-lane request waits for its refresh (ms)',
  }),
  // Replicas on Redis (src/cluster): empty redis_url = standalone.
  'remote_configuration.cluster.redis_url': key(str, {
    default: '',
    describe: 'Redis shared by replicas (redis://host:port/db); empty = standalone',
  }),
  'remote_configuration.cluster.name': key(
    z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, _ . - (at most 64)'),
    { default: 'default', describe: 'cluster name: Redis keys are namespaced by it and the API-key hash' },
  ),
  'remote_configuration.cluster.lock_ttl': key(duration, {
    default: '5s',
    describe: 'leader lock TTL; a new leader takes over within 2x this',
  }),
  'remote_configuration.cluster.connect_timeout_ms': key(int(1, 60_000), {
    default: 1000,
    describe: 'Redis connect timeout (ms); past it the replica runs standalone',
  }),
  'remote_configuration.cluster.command_timeout_ms': key(int(1, 60_000), {
    default: 500,
    describe: 'Redis command timeout (ms); past it the replica runs standalone',
  }),
});

/** The parsed settings, by datadog.yaml key. Durations are `Duration`s: read them as `.ms` or `.seconds`. */
export type Settings = z.output<typeof CONFIG_SCHEMA>;
export type ConfigKey = keyof Settings;

/** The schema of each key, by datadog.yaml key (`key in KEYS` tells a known key). */
export const KEYS = CONFIG_SCHEMA.shape;
/** Every key, in table order. */
export const CONFIG_KEYS: readonly ConfigKey[] = CONFIG_SCHEMA.keyof().options;

export function keyInfo(key: ConfigKey): KeyInfo {
  const info = KEY_INFO.get(KEYS[key]);
  if (info === undefined) throw new TypeError(`${key} is not declared with key() or optionalKey()`);
  return info;
}

export function envNames(key: ConfigKey): readonly string[] {
  return keyInfo(key).env ?? ['DD_' + key.replace(/\./g, '_').toUpperCase()];
}
