// Reads a config directory (DESIGN.md "Local signed source / simulator config directory"):
// `<dir>/<PRODUCT>/<config_id>/<name>` → `datadog/<org_id>/<PRODUCT>/<config_id>/<name>`, with an optional sidecar
// `<name>.meta.json` holding the director custom fields of that target.
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { BackendError } from './error.js';

/** Structurally a signer `SignerFile`: a target path, its exact bytes and its director custom fields. */
export interface ConfigFile {
  readonly path: string;
  readonly raw: Uint8Array;
  readonly custom?: Record<string, unknown>;
}

export interface ConfigDirScan {
  /** Sorted by path. */
  readonly files: ConfigFile[];
  /** Entries skipped and why (bad layout, a `.` in a target name, a bad sidecar). */
  readonly warnings: string[];
}

export const SIDECAR_SUFFIX = '.meta.json';

export async function scanConfigDir(dir: string, orgId: number): Promise<ConfigDirScan> {
  let info;
  try {
    info = await stat(dir);
  } catch (err) {
    throw new BackendError('INVALID_CONFIG', `config directory ${dir} cannot be read`, { cause: err });
  }
  if (!info.isDirectory()) throw new BackendError('INVALID_CONFIG', `config directory ${dir} is not a directory`);

  const files: ConfigFile[] = [];
  const warnings: string[] = [];
  for (const product of await listVisible(dir)) {
    if (!product.isDirectory()) continue; // e.g. a README beside the product folders
    const productDir = join(dir, product.name);
    for (const config of await listVisible(productDir)) {
      const rel = `${product.name}/${config.name}`;
      if (!config.isDirectory()) {
        warnings.push(`${rel}: expected a directory <PRODUCT>/<config_id>/, skipped`);
        continue;
      }
      const configDir = join(productDir, config.name);
      const entries = await listVisible(configDir);
      const names = new Set(entries.filter((e) => e.isFile()).map((e) => e.name));
      for (const entry of entries) {
        const relFile = `${rel}/${entry.name}`;
        if (!entry.isFile()) {
          warnings.push(`${relFile}: not a regular file, skipped`);
          continue;
        }
        if (entry.name.endsWith(SIDECAR_SUFFIX)) {
          if (!names.has(entry.name.slice(0, -SIDECAR_SUFFIX.length))) {
            warnings.push(`${relFile}: sidecar without its config file, ignored`);
          }
          continue;
        }
        // PROTOCOL.md §5.4: the agent cuts a target basename at its first `.`, so a `.` would change the path.
        if (entry.name.includes('.')) {
          warnings.push(`${relFile}: config names must not contain '.', skipped`);
          continue;
        }
        const raw = await readOptional(join(configDir, entry.name));
        if (raw === undefined) continue; // removed while scanning; the next scan settles it
        let custom: Record<string, unknown> | undefined;
        if (names.has(entry.name + SIDECAR_SUFFIX)) {
          const sidecar = await readOptional(join(configDir, entry.name + SIDECAR_SUFFIX));
          if (sidecar !== undefined) {
            try {
              custom = sidecarToCustom(JSON.parse(Buffer.from(sidecar).toString('utf8')));
            } catch (err) {
              // A broken sidecar may have narrowed the audience: publishing without it would widen it.
              warnings.push(
                `${relFile}${SIDECAR_SUFFIX}: ${err instanceof Error ? err.message : String(err)}; skipped`,
              );
              continue;
            }
          }
        }
        files.push({
          path: `datadog/${orgId}/${product.name}/${config.name}/${entry.name}`,
          raw,
          ...(custom === undefined ? {} : { custom }),
        });
      }
    }
  }
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { files, warnings };
}

/**
 * Sidecar → director target custom (PROTOCOL.md §5.7): `tracer_predicates_v1` moves under `tracer-predicates`,
 * `expires` (Unix s, 0 = never) stays, other fields pass through; `v` is the signer's.
 */
export function sidecarToCustom(json: unknown): Record<string, unknown> {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new Error('sidecar must be a JSON object');
  }
  const custom: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(json as Record<string, unknown>)) {
    switch (key) {
      case 'tracer_predicates_v1':
        if (value !== null && !Array.isArray(value)) throw new Error('tracer_predicates_v1 must be an array');
        custom['tracer-predicates'] = { tracer_predicates_v1: value };
        break;
      case 'expires':
        if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
          throw new Error(`expires must be a non-negative integer (Unix seconds), got ${JSON.stringify(value)}`);
        }
        custom.expires = value;
        break;
      case 'v':
        throw new Error('v is set by the signer (it increases when the file changes)');
      default:
        custom[key] = value;
    }
  }
  return custom;
}

async function listVisible(dir: string) {
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    return entries.filter((e) => !e.name.startsWith('.')).sort((a, b) => (a.name < b.name ? -1 : 1));
  } catch (err) {
    if (isNotFound(err)) return [];
    throw err;
  }
}

async function readOptional(file: string): Promise<Uint8Array | undefined> {
  try {
    return new Uint8Array(await readFile(file));
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

function isNotFound(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}
