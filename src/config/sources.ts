// Where each setting's value came from, named as the Datadog agent names its sources (pkg/config/model `Source`),
// for the config stream. Precedence (lowest first) is the Datadog agent's.
import { loadConfig, type LoadConfigOptions, type ValueOrigin } from './load-config.js';
import { Duration } from './duration.js';
import { KEYS } from './schema.js';
import type { AgentConfig } from './agent-config.js';

export type ConfigSource =
  'default' | 'unknown' | 'file' | 'environment-variable' | 'agent-runtime' | 'remote-config' | 'cli';

export interface ResolvedSetting {
  /** JSON-compatible: durations in seconds as the key is written, lists as arrays */
  readonly value: unknown;
  readonly source: ConfigSource;
}

export interface ResolvedConfig {
  readonly config: AgentConfig;
  /** every known key with a value, plus every leaf of the config file rc-agent does not read (dotted keys) */
  readonly settings: ReadonlyMap<string, ResolvedSetting>;
}

const ORIGIN_SOURCE: Readonly<Record<ValueOrigin, ConfigSource>> = {
  default: 'default',
  file: 'file',
  env: 'environment-variable',
  override: 'cli',
};

/** loadConfig, plus each setting's value and source. Throws ConfigError as loadConfig does. */
export function loadConfigWithSources(options: LoadConfigOptions): ResolvedConfig {
  const known = new Map<string, ResolvedSetting>();
  let doc: Readonly<Record<string, unknown>> = {};
  const config = loadConfig({
    ...options,
    onResolved: (key, value, origin) => {
      if (value === undefined) return;
      known.set(key, {
        // streamed in seconds, the unit a bare number has in datadog.yaml
        value: value instanceof Duration ? value.seconds : value,
        source: ORIGIN_SOURCE[origin],
      });
    },
    onFileDocument: (d) => (doc = d),
  });
  const settings = new Map<string, ResolvedSetting>();
  for (const [key, value] of flattenLeaves(doc)) {
    if (!(key in KEYS) && !isPrefixOfKnownKey(key)) settings.set(key, { value, source: 'file' });
  }
  for (const [key, setting] of known) settings.set(key, setting);
  return { config, settings };
}

function isPrefixOfKnownKey(key: string): boolean {
  return Object.keys(KEYS).some((k) => k.startsWith(`${key}.`));
}

/** Dotted paths of a YAML document's leaves: scalars, lists and empty mappings. */
export function flattenLeaves(doc: Readonly<Record<string, unknown>>, prefix = ''): Array<[string, unknown]> {
  const out: Array<[string, unknown]> = [];
  for (const [name, value] of Object.entries(doc)) {
    const key = prefix === '' ? name : `${prefix}.${name}`;
    if (value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Date)) {
      const entries = flattenLeaves(value as Record<string, unknown>, key);
      if (entries.length === 0) out.push([key, {}]);
      else out.push(...entries);
    } else {
      out.push([key, value instanceof Date ? value.toISOString() : value]);
    }
  }
  return out;
}
