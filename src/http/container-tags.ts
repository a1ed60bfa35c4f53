// Container tags for `/v0.7/config` (PROTOCOL.md §3.2 step 2): the container of the calling tracer and the tags
// appended to its `client_tracer.tags`. Without a container runtime rc-agent knows only what it can read itself:
// tags come from a static file; a container ID comes from the request headers, or from the cgroup v2 inode a
// tracer sends (`Datadog-Entity-ID: in-<inode>`) resolved against the cgroup mount.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { CodedError, type ErrorCodeDocs } from '../errors/index.js';
import { normalizeTag } from './normalize.js';

export const CONTAINER_TAGS_ERROR_DOCS = {
  UNREADABLE_FILE: '`container_tags_file` cannot be read, or is neither JSON nor YAML',
  INVALID_FILE: '`container_tags_file` is not a map of container ID → list of tags',
} as const satisfies ErrorCodeDocs<string>;

export type ContainerTagsErrorCode = keyof typeof CONTAINER_TAGS_ERROR_DOCS;

export class ContainerTagsError extends CodedError<ContainerTagsErrorCode> {
  override readonly name = 'ContainerTagsError';
}

export interface ContainerTagSourceOptions {
  /** `container_tags_file`: a JSON or YAML map container ID → list of tags (or one comma-separated string) */
  readonly file?: string;
  /** `container_cgroup_root`: the cgroup v2 mount; empty = no inode resolution */
  readonly cgroupRoot?: string;
  /** time source for the rescan back-off; Date.now by default */
  readonly nowMs?: () => number;
}

export interface ContainerTagSource {
  /** The caller's container ID, or '' when it cannot be told. */
  containerIdFromHeaders(headers: IncomingHttpHeaders): string;
  /** Normalised tags of a container; [] when unknown. */
  tags(containerId: string): string[];
}

// pkg/util/cgroups ContainerRegexpStr: standard 64-hex IDs, ECS `<32 hex>-<10 digits>`, Garden UUID-like IDs.
const CONTAINER_ID = /([0-9a-f]{64})|([0-9a-f]{32}-\d{10})|([0-9a-f]{8}(?:-[0-9a-f]{4}){4}$)/;
/** A miss rescans the cgroup tree at most this often: containers start all the time, scans are not free. */
const RESCAN_MIN_INTERVAL_MS = 2_000;
const MAX_CGROUP_DEPTH = 8;

export function createContainerTagSource(opts: ContainerTagSourceOptions): ContainerTagSource {
  const tagsById = opts.file ? loadTagsFile(opts.file) : new Map<string, string[]>();
  const nowMs = opts.nowMs ?? Date.now;
  const root = opts.cgroupRoot ?? '';
  let inodes = new Map<string, string>();
  let scannedAtMs = -Infinity;

  const containerForInode = (inode: string): string => {
    if (root === '') return '';
    let id = inodes.get(inode);
    if (id === undefined && nowMs() - scannedAtMs >= RESCAN_MIN_INTERVAL_MS) {
      inodes = scanCgroupInodes(root);
      scannedAtMs = nowMs();
      id = inodes.get(inode);
    }
    return id ?? '';
  };

  return {
    containerIdFromHeaders(headers: IncomingHttpHeaders): string {
      const cid = headerValue(headers['datadog-container-id']);
      if (cid !== '') return cid;
      // origindetection.ParseLocalData: `ci-<id>` (legacy `cid-<id>`) and/or `in-<inode>`, comma-separated
      let inode = '';
      for (const item of headerValue(headers['datadog-entity-id']).split(',')) {
        const value = item.trim();
        if (value.startsWith('ci-')) return value.slice(3);
        if (value.startsWith('cid-')) return value.slice(4);
        if (value.startsWith('in-') && /^\d+$/.test(value.slice(3))) inode = value.slice(3);
      }
      return inode === '' ? '' : containerForInode(inode);
    },
    tags(containerId: string): string[] {
      return tagsById.get(containerId) ?? [];
    },
  };
}

function headerValue(v: string | string[] | undefined): string {
  return (Array.isArray(v) ? v[0] : v) ?? '';
}

/** container ID → normalised tags, as the tagger would hand them to the trace-agent. */
function loadTagsFile(file: string): Map<string, string[]> {
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(file, 'utf8')); // YAML is a superset of JSON
  } catch (cause) {
    throw new ContainerTagsError('UNREADABLE_FILE', `container_tags_file: cannot read ${file} as JSON or YAML`, {
      cause,
    });
  }
  if (doc === null || doc === undefined) return new Map();
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw new ContainerTagsError('INVALID_FILE', `container_tags_file: ${file} must map container IDs to tag lists`);
  }
  const out = new Map<string, string[]>();
  for (const [id, value] of Object.entries(doc as Record<string, unknown>)) {
    const list = typeof value === 'string' ? value.split(',') : value;
    if (!Array.isArray(list) || !list.every((tag) => typeof tag === 'string')) {
      throw new ContainerTagsError(
        'INVALID_FILE',
        `container_tags_file: ${file}: tags of ${JSON.stringify(id)} must be a list of strings`,
      );
    }
    out.set(
      id,
      list.map((tag) => normalizeTag(tag.trim())).filter((tag) => tag !== ''),
    );
  }
  return out;
}

/** cgroup directory inode → the container ID in its name, over the whole v2 hierarchy. */
function scanCgroupInodes(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string, depth: number): void => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return; // a cgroup removed meanwhile, or no permission
    }
    for (const entry of entries) {
      if (!entry.isDirectory()) continue;
      const path = join(dir, entry.name);
      const id = CONTAINER_ID.exec(entry.name)?.[0];
      if (id !== undefined) {
        try {
          out.set(String(statSync(path, { bigint: true }).ino), id);
        } catch {
          // gone meanwhile
        }
      }
      if (depth < MAX_CGROUP_DEPTH) walk(path, depth + 1);
    }
  };
  walk(root, 0);
  return out;
}
