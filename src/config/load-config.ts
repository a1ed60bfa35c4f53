// Reads datadog.yaml (optional) and DD_ env vars once, validates every key, applies the reference agent's
// replacement rules (PROTOCOL.md §4.8) and returns a deep-frozen AgentConfig.
import { readFileSync, existsSync } from 'node:fs';
import { hostname as osHostname } from 'node:os';
import { resolve, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from './error.js';
import { KEYS, envNames, type ConfigKey, type KeySpec } from './schema.js';
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
  /** Told where each key's value came from (the config stream's sources; see sources.ts). */
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
  const values = new Map<ConfigKey, unknown>();
  const errors: string[] = [];
  for (const key of Object.keys(KEYS) as ConfigKey[]) {
    const spec: KeySpec = KEYS[key];
    let raw: unknown = lookup(fileValues, key);
    let source = `${key}`;
    let origin: ValueOrigin = raw === undefined || raw === null ? 'default' : 'file';
    for (const name of envNames(key)) {
      const fromEnv = options.env[name];
      if (fromEnv !== undefined && fromEnv !== '') {
        raw = fromEnv;
        source = `${key} (env ${name})`;
        origin = 'env';
        break;
      }
    }
    if (options.overrides && key in options.overrides) {
      raw = options.overrides[key];
      origin = 'override';
    }
    if (raw === undefined || raw === null) {
      if (spec.default !== undefined) values.set(key, spec.default);
      options.onResolved?.(key, spec.default, 'default');
      continue;
    }
    const parsed = spec.schema.safeParse(raw);
    if (!parsed.success) {
      const why = parsed.error.issues.map((i) => i.message).join('; ');
      const shown = spec.secret === true ? '<redacted>' : JSON.stringify(raw);
      errors.push(`${source}: invalid value ${shown}: ${why}`);
      continue;
    }
    values.set(key, parsed.data);
    options.onResolved?.(key, parsed.data, origin);
  }
  if (errors.length > 0) throw new ConfigError('INVALID_VALUE', `invalid configuration:\n  ${errors.join('\n  ')}`);
  return deepFreeze(build(values, unknownKeyWarnings(fileValues, Object.keys(KEYS))));
}

function build(values: Map<ConfigKey, unknown>, fileWarnings: readonly string[]): AgentConfig {
  const get = <T>(key: ConfigKey): T => values.get(key) as T;
  const warnings: string[] = [...fileWarnings];
  const replace = (key: string, value: number, replacement: number, why: string): number => {
    warnings.push(`${key}: ${value} ${why}; using ${replacement}`);
    return replacement;
  };

  const site = get<string>('site');
  const apiKey = get<string>('remote_configuration.api_key') || get<string>('api_key');
  const rcUrl = get<string>('remote_configuration.rc_dd_url');
  const backendUrl = (rcUrl || `https://config.${site}`).replace(/\/+$/, '');
  const noTls = get<boolean>('remote_configuration.no_tls');
  if (apiKey && !noTls && !backendUrl.startsWith('https://')) {
    throw new ConfigError(
      'INVALID_VALUE',
      `remote_configuration.rc_dd_url: ${JSON.stringify(backendUrl)} is not https; set remote_configuration.no_tls to allow it`,
    );
  }

  // §4.8: unset or < 5 s → 1 min with the backend override allowed; ≥ 5 s → fixed.
  const userInterval = values.get('remote_configuration.refresh_interval') as number | undefined;
  let refreshIntervalMs = MINUTE_MS;
  let refreshIntervalOverridable = true;
  if (userInterval !== undefined) {
    if (userInterval >= 5000) {
      refreshIntervalMs = userInterval;
      refreshIntervalOverridable = false;
    } else {
      replace('remote_configuration.refresh_interval', userInterval, MINUTE_MS, 'ms is below 5 s');
    }
  }
  let maxBackoff = get<number>('remote_configuration.max_backoff_interval');
  if (maxBackoff < 2 * MINUTE_MS || maxBackoff > 5 * MINUTE_MS) {
    const clamped = Math.min(5 * MINUTE_MS, Math.max(2 * MINUTE_MS, maxBackoff));
    maxBackoff = replace(
      'remote_configuration.max_backoff_interval',
      maxBackoff,
      clamped,
      'ms is outside [2 min, 5 min]',
    );
  }
  let orgStatusInterval = get<number>('remote_configuration.org_status_refresh_interval');
  if (orgStatusInterval < 5000) {
    orgStatusInterval = replace(
      'remote_configuration.org_status_refresh_interval',
      orgStatusInterval,
      MINUTE_MS,
      'ms is below 5 s',
    );
  }
  let ttl = get<number>('remote_configuration.clients.ttl_seconds');
  // The key is in seconds: a bare number was read as seconds by parseDurationMs.
  if (ttl < 5000 || ttl > 60_000)
    ttl = replace('remote_configuration.clients.ttl_seconds', ttl, 30_000, 'ms is outside [5 s, 60 s]');
  let bypass = get<number>('remote_configuration.clients.cache_bypass_limit');
  if (bypass < 1 || bypass > 10)
    bypass = replace('remote_configuration.clients.cache_bypass_limit', bypass, 5, 'is outside [1, 10]');

  const rootText = (key: ConfigKey): string => readRoot(key, get<string>(key));
  const datadog = buildDatadogSettings(get, { usesBackend: apiKey !== '', warnings });
  const localDir = get<string>('remote_configuration.local.dir');
  return {
    hostname: get<string>('hostname') || osHostname(),
    bindHost: get<string>('bind_host'),
    runPath: resolve(get<string>('run_path')),
    httpPort: get<number>('apm_config.receiver_port'),
    grpcPort: get<number>('cmd_port'),
    stopTimeoutMs: get<number>('stop_timeout'),
    logLevel: get<AgentConfig['logLevel']>('log_level'),
    logFormatJson: get<boolean>('log_format_json'),
    containerTagsFile: get<string>('container_tags_file'),
    containerCgroupRoot: get<string>('container_cgroup_root'),
    warnings,
    remoteConfiguration: {
      enabled: get<boolean>('remote_configuration.enabled'),
      apiKey,
      useLocalSource: apiKey === '',
      backendUrl,
      noTls,
      configRoot: rootText('remote_configuration.config_root'),
      directorRoot: rootText('remote_configuration.director_root'),
      site,
      refreshIntervalMs,
      refreshIntervalOverridable,
      maxBackoffIntervalMs: maxBackoff,
      fetchTimeoutMs: get<number>('remote_configuration.fetch_timeout'),
      orgStatusRefreshIntervalMs: orgStatusInterval,
      clientsTtlMs: ttl,
      cacheBypassLimit: bypass,
      policy: get<'fastlane' | 'legacy'>('remote_configuration.policy'),
      localDir: localDir ? resolve(localDir) : DEFAULT_LOCAL_CONFIG_DIR,
      localOrgId: get<number>('remote_configuration.local.org_id'),
      ...datadog,
      fastLane: {
        enabled: get<boolean>('remote_configuration.fast_lane.enabled'),
        products: get<string[]>('remote_configuration.fast_lane.products'),
        cacheBypassLimit: get<number>('remote_configuration.fast_lane.cache_bypass_limit'),
        blockTtlMs: get<number>('remote_configuration.fast_lane.block_ttl_ms'),
        prefetch: get<boolean>('remote_configuration.fast_lane.prefetch'),
      },
      cluster: {
        redisUrl: get<string>('remote_configuration.cluster.redis_url'),
        name: get<string>('remote_configuration.cluster.name'),
        lockTtlMs: Math.max(100, get<number>('remote_configuration.cluster.lock_ttl')),
        connectTimeoutMs: get<number>('remote_configuration.cluster.connect_timeout_ms'),
        commandTimeoutMs: get<number>('remote_configuration.cluster.command_timeout_ms'),
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
