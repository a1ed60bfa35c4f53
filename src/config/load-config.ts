// Reads datadog.yaml (optional) and DD_ env vars once, validates every key, applies the reference agent's
// replacement rules (PROTOCOL.md §4.8) and returns a deep-frozen AgentConfig.
import { readFileSync, existsSync } from 'node:fs';
import { hostname as osHostname } from 'node:os';
import { resolve, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from './error.js';
import { Duration } from './duration.js';
import { CONFIG_KEYS, CONFIG_SCHEMA, envNames, keyInfo, type ConfigKey, type Settings } from './schema.js';
import type { AgentConfig } from './agent-config.js';
import { buildDatadogSettings } from './datadog-settings.js';
import { unknownKeyWarnings } from './unknown-keys.js';

export interface LoadConfigOptions {
  /** Path of a datadog.yaml; absent = defaults + env only. */
  readonly file?: string;
  /** Environment to read DD_ variables from (the caller passes process.env; nothing else reads it). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Values that win over file and env (tests, CLI flags), by datadog.yaml key. */
  readonly overrides?: Partial<Record<ConfigKey, unknown>>;
  /** Told each key's parsed value (durations as `Duration`) and where it came from (the config stream's sources). */
  readonly onResolved?: (key: ConfigKey, value: unknown, origin: ValueOrigin) => void;
  /** Told the parsed file document (keys rc-agent does not read are streamed too). */
  readonly onFileDocument?: (doc: Readonly<Record<string, unknown>>) => void;
}

export type ValueOrigin = 'default' | 'file' | 'env' | 'override';

/** The folder holding package.json: two levels up from src/config/, one from dist/config/. */
const PACKAGE_ROOT = packageRoot(dirname(fileURLToPath(import.meta.url)));
export const DEFAULT_LOCAL_CONFIG_DIR = join(PACKAGE_ROOT, 'examples', 'configs');

const MINUTE_MS = 60_000;

export function loadConfig(options: LoadConfigOptions): AgentConfig {
  const fileValues = options.file ? readYamlFile(options.file) : {};
  options.onFileDocument?.(fileValues);
  // Each key's raw value (undefined: the default, parsed by the same schema) and where it came from.
  const raw: Partial<Record<ConfigKey, unknown>> = {};
  const origins = new Map<ConfigKey, { origin: ValueOrigin; label: string }>();
  for (const key of CONFIG_KEYS) {
    let value: unknown = lookup(fileValues, key);
    let label: string = key;
    let origin: ValueOrigin = value === undefined || value === null ? 'default' : 'file';
    for (const name of envNames(key)) {
      const fromEnv = options.env[name];
      if (fromEnv !== undefined && fromEnv !== '') {
        value = fromEnv;
        label = `${key} (env ${name})`;
        origin = 'env';
        break;
      }
    }
    if (options.overrides && key in options.overrides) {
      value = options.overrides[key];
      label = key;
      origin = 'override';
    }
    if (value === null) value = undefined;
    if (value === undefined) origin = 'default';
    raw[key] = value;
    origins.set(key, { origin, label });
  }
  const parsed = CONFIG_SCHEMA.safeParse(raw);
  if (!parsed.success) {
    const errors: string[] = [];
    for (const key of CONFIG_KEYS) {
      const issues = parsed.error.issues.filter((issue) => issue.path[0] === key);
      if (issues.length === 0) continue;
      const why = issues.map((i) => i.message).join('; ');
      const shown = keyInfo(key).secret === true ? '<redacted>' : JSON.stringify(raw[key]);
      errors.push(`${origins.get(key)?.label ?? key}: invalid value ${shown}: ${why}`);
    }
    throw new ConfigError('INVALID_VALUE', `invalid configuration:\n  ${errors.join('\n  ')}`);
  }
  const settings = parsed.data;
  if (options.onResolved) {
    for (const key of CONFIG_KEYS) options.onResolved(key, settings[key], origins.get(key)?.origin ?? 'default');
  }
  return deepFreeze(build(settings, unknownKeyWarnings(fileValues, CONFIG_KEYS)));
}

function build(s: Settings, fileWarnings: readonly string[]): AgentConfig {
  const warnings: string[] = [...fileWarnings];
  /** The reference agent's replacement of an out-of-range duration, said in the key's own terms. */
  const replaceMs = (key: ConfigKey, valueMs: number, replacementMs: number, why: string): number => {
    warnings.push(`${key}: ${String(new Duration(valueMs))} ${why}; using ${String(new Duration(replacementMs))}`);
    return replacementMs;
  };

  const site = s.site;
  const apiKey = s['remote_configuration.api_key'] || s.api_key;
  const rcUrl = s['remote_configuration.rc_dd_url'];
  const backendUrl = (rcUrl || `https://config.${site}`).replace(/\/+$/, '');
  const noTls = s['remote_configuration.no_tls'];
  if (apiKey && !noTls && !backendUrl.startsWith('https://')) {
    throw new ConfigError(
      'INVALID_VALUE',
      `remote_configuration.rc_dd_url: ${JSON.stringify(backendUrl)} is not https; set remote_configuration.no_tls to allow it`,
    );
  }

  // §4.8: unset or < 5 s → 1 min with the backend override allowed; ≥ 5 s → fixed.
  const userIntervalMs = s['remote_configuration.refresh_interval']?.ms;
  let refreshIntervalMs = MINUTE_MS;
  let refreshIntervalOverridable = true;
  if (userIntervalMs !== undefined) {
    if (userIntervalMs >= 5000) {
      refreshIntervalMs = userIntervalMs;
      refreshIntervalOverridable = false;
    } else {
      replaceMs('remote_configuration.refresh_interval', userIntervalMs, MINUTE_MS, 'is below 5s');
    }
  }
  let maxBackoffIntervalMs = s['remote_configuration.max_backoff_interval'].ms;
  if (maxBackoffIntervalMs < 2 * MINUTE_MS || maxBackoffIntervalMs > 5 * MINUTE_MS) {
    maxBackoffIntervalMs = replaceMs(
      'remote_configuration.max_backoff_interval',
      maxBackoffIntervalMs,
      Math.min(5 * MINUTE_MS, Math.max(2 * MINUTE_MS, maxBackoffIntervalMs)),
      'is outside [2m, 5m]',
    );
  }
  let orgStatusRefreshIntervalMs = s['remote_configuration.org_status_refresh_interval'].ms;
  if (orgStatusRefreshIntervalMs < 5000) {
    orgStatusRefreshIntervalMs = replaceMs(
      'remote_configuration.org_status_refresh_interval',
      orgStatusRefreshIntervalMs,
      MINUTE_MS,
      'is below 5s',
    );
  }
  let clientsTtlMs = s['remote_configuration.clients.ttl_seconds'].ms;
  if (clientsTtlMs < 5000 || clientsTtlMs > 60_000) {
    clientsTtlMs = replaceMs('remote_configuration.clients.ttl_seconds', clientsTtlMs, 30_000, 'is outside [5s, 60s]');
  }
  let cacheBypassLimit = s['remote_configuration.clients.cache_bypass_limit'];
  if (cacheBypassLimit < 1 || cacheBypassLimit > 10) {
    warnings.push(`remote_configuration.clients.cache_bypass_limit: ${cacheBypassLimit} is outside [1, 10]; using 5`);
    cacheBypassLimit = 5;
  }

  const datadog = buildDatadogSettings(s, { usesBackend: apiKey !== '', warnings });
  const localDir = s['remote_configuration.local.dir'];
  return {
    hostname: s.hostname || osHostname(),
    bindHost: s.bind_host,
    runPath: resolve(s.run_path),
    httpPort: s['apm_config.receiver_port'],
    grpcPort: s.cmd_port,
    stopTimeoutMs: s.stop_timeout.ms,
    logLevel: s.log_level,
    logFormatJson: s.log_format_json,
    containerTagsFile: s.container_tags_file,
    containerCgroupRoot: s.container_cgroup_root,
    warnings,
    remoteConfiguration: {
      enabled: s['remote_configuration.enabled'],
      apiKey,
      useLocalSource: apiKey === '',
      backendUrl,
      noTls,
      configRoot: readRoot('remote_configuration.config_root', s['remote_configuration.config_root']),
      directorRoot: readRoot('remote_configuration.director_root', s['remote_configuration.director_root']),
      site,
      refreshIntervalMs,
      refreshIntervalOverridable,
      maxBackoffIntervalMs,
      fetchTimeoutMs: s['remote_configuration.fetch_timeout'].ms,
      orgStatusRefreshIntervalMs,
      clientsTtlMs,
      cacheBypassLimit,
      policy: s['remote_configuration.policy'],
      localDir: localDir ? resolve(localDir) : DEFAULT_LOCAL_CONFIG_DIR,
      localOrgId: s['remote_configuration.local.org_id'],
      ...datadog,
      fastLane: {
        enabled: s['remote_configuration.fast_lane.enabled'],
        products: s['remote_configuration.fast_lane.products'],
        cacheBypassLimit: s['remote_configuration.fast_lane.cache_bypass_limit'],
        blockTtlMs: s['remote_configuration.fast_lane.block_ttl_ms'],
        prefetch: s['remote_configuration.fast_lane.prefetch'],
      },
      cluster: {
        redisUrl: s['remote_configuration.cluster.redis_url'],
        name: s['remote_configuration.cluster.name'],
        lockTtlMs: Math.max(100, s['remote_configuration.cluster.lock_ttl'].ms),
        connectTimeoutMs: s['remote_configuration.cluster.connect_timeout_ms'],
        commandTimeoutMs: s['remote_configuration.cluster.command_timeout_ms'],
      },
    },
  };
}

/** config_root / director_root accept a JSON document (as the reference agent does) or a path to one. */
function readRoot(key: string, value: string): string {
  const text = value.trim();
  if (text === '' || text.startsWith('{')) return validateRootJson(key, text);
  if (!existsSync(text))
    throw new ConfigError('UNREADABLE_FILE', `${key}: ${JSON.stringify(text)} is neither JSON nor an existing file`);
  try {
    return validateRootJson(key, readFileSync(text, 'utf8').trim());
  } catch (cause) {
    if (cause instanceof ConfigError) throw cause;
    throw new ConfigError('UNREADABLE_FILE', `${key}: cannot read ${text}`, { cause });
  }
}

function validateRootJson(key: string, text: string): string {
  if (text === '') return '';
  try {
    JSON.parse(text);
  } catch (cause) {
    throw new ConfigError('INVALID_VALUE', `${key}: not valid JSON`, { cause });
  }
  return text;
}

function readYamlFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new ConfigError('UNREADABLE_FILE', `cannot read config file ${file}`, { cause });
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (cause) {
    // The parser's first line says what is wrong and where (line and column).
    const why = ((cause as Error).message ?? '').split('\n')[0] ?? '';
    throw new ConfigError('INVALID_YAML', `config file ${file} is not valid YAML: ${why}`, { cause });
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc))
    throw new ConfigError('INVALID_YAML', `config file ${file} must hold a mapping`);
  return doc as Record<string, unknown>;
}

/** Looks up a dotted key in nested YAML, also accepting the dotted key written literally. */
function lookup(doc: Record<string, unknown>, key: string): unknown {
  if (key in doc) return doc[key];
  let node: unknown = doc;
  for (const part of key.split('.')) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

function packageRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) return resolve(from, '..', '..');
  }
}
