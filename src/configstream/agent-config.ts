// AGENT_CONFIG documents as the Datadog agent reads them: one `configuration_order` file listing layer IDs
// (`order`, then `internal_order`, each first = strongest) and layers `{"name", "config": {"log_level"}}`.
// Any invalid file → nothing is applied (the previous remote value stays), as in the agent.
import { ConfigStreamError } from './error.js';

export const AGENT_CONFIG_PRODUCT = 'AGENT_CONFIG';
const ORDER_ID = 'configuration_order';
const PATH = /^datadog\/\d+\/AGENT_CONFIG\/([^/]+)\/[^/]+$/;

export interface MergedAgentConfig {
  /** empty = no remote log level */
  readonly logLevel: string;
}

export interface AgentConfigFileError {
  readonly path: string;
  readonly message: string;
}

interface Layer {
  readonly name?: unknown;
  readonly config?: { readonly log_level?: unknown };
}

/** Merges the files of the AGENT_CONFIG product; `errors` lists the files that could not be used. */
export function mergeAgentConfig(files: ReadonlyMap<string, Uint8Array>): {
  merged: MergedAgentConfig | undefined;
  errors: AgentConfigFileError[];
} {
  const errors: AgentConfigFileError[] = [];
  const layers = new Map<string, string>();
  let order: string[] = [];
  let internalOrder: string[] = [];
  for (const [path, raw] of files) {
    const id = PATH.exec(path)?.[1];
    if (id === undefined) {
      errors.push({ path, message: `config file path '${path}' has wrong format` });
      continue;
    }
    let doc: unknown;
    try {
      doc = JSON.parse(Buffer.from(raw).toString('utf8'));
    } catch (err) {
      errors.push({
        path,
        message: `Unexpected AGENT_CONFIG received through remote-config: ${(err as Error).message}`,
      });
      continue;
    }
    if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
      errors.push({ path, message: 'Unexpected AGENT_CONFIG received through remote-config: not a JSON object' });
      continue;
    }
    if (id === ORDER_ID) {
      const o = doc as { order?: unknown; internal_order?: unknown };
      const list = (v: unknown, field: string): string[] => {
        if (v === undefined || v === null) return [];
        if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v;
        throw new ConfigStreamError('INVALID_AGENT_CONFIG', `${field} must be a list of strings`);
      };
      try {
        order = list(o.order, 'order');
        internalOrder = list(o.internal_order, 'internal_order');
      } catch (err) {
        errors.push({ path, message: (err as Error).message });
      }
      continue;
    }
    const level = (doc as Layer).config?.log_level;
    if (level !== undefined && level !== null && typeof level !== 'string') {
      errors.push({ path, message: 'config.log_level must be a string' });
      continue;
    }
    layers.set(id, level ?? '');
  }
  if (errors.length > 0 || (order.length === 0 && internalOrder.length === 0)) return { merged: undefined, errors };
  let logLevel = '';
  // weakest first so the first listed layer wins; internal_order over order
  for (const list of [order, internalOrder]) {
    for (let i = list.length - 1; i >= 0; i--) {
      const level = layers.get(list[i] as string);
      if (level !== undefined) logLevel = level;
    }
  }
  return { merged: { logLevel }, errors };
}

const LEVELS: Readonly<Record<string, 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'off'>> = {
  trace: 'trace',
  debug: 'debug',
  info: 'info',
  warn: 'warn',
  warning: 'warn',
  error: 'error',
  critical: 'error',
  off: 'off',
};

/** The Datadog agent's level names (case-insensitive) as rc-agent's; undefined for an unknown name. */
export function toLogLevel(level: string): (typeof LEVELS)[string] | undefined {
  return LEVELS[level.trim().toLowerCase()];
}
