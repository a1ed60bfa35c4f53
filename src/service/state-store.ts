// The embedded transactional store (lmdb): verified metadata, root history, target files and org UUIDs, written in
// one transaction per state change. A store written for another API key / backend URL / agent version, or one that
// cannot be read, is recreated (as the reference agent recreates remote-config.db).
import { createHash, randomUUID } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { open, type RootDatabase } from 'lmdb';
import type { PersistedState } from '../uptane/index.js';

export interface StoreIdentity {
  readonly agentVersion: string;
  readonly apiKey: string;
  readonly backendUrl: string;
  /** The agent UUID to send upstream (kept in the data dir by the caller); absent = a random one kept here. */
  readonly agentUuid?: string;
}

interface StoredIdentity {
  readonly format: number;
  readonly agentVersion: string;
  readonly apiKeySha256: string;
  readonly backendUrl: string;
}

const FORMAT = 1;
const K_IDENTITY = 'identity';
const K_STATE = 'state';
/** The products the agent asked the backend for: asked again from the first refresh after a restart. */
const K_PRODUCTS = 'products';
const K_AGENT_UUID = 'agent_uuid';
const orgKey = (configRootVersion: number): string => `org:${configRootVersion}-uuid`;

export interface StoreOpenResult {
  readonly store: StateStore;
  /** Why an existing store was recreated, if it was. */
  readonly recreated?: string;
}

export class StateStore {
  private constructor(
    private db: RootDatabase,
    readonly path: string,
  ) {}

  static async open(dataDir: string, identity: StoreIdentity): Promise<StoreOpenResult> {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const path = join(dataDir, 'remote-config.db');
    const wanted: StoredIdentity = {
      format: FORMAT,
      agentVersion: identity.agentVersion,
      apiKeySha256: createHash('sha256').update(identity.apiKey).digest('hex'),
      backendUrl: identity.backendUrl,
    };
    // lmdb crashes the process (SIGSEGV) on a corrupt file instead of throwing: read it in a child first.
    let recreated = existsSync(path) ? probeStore(path) : undefined;
    let db: RootDatabase | undefined;
    try {
      if (recreated !== undefined) throw new Error(recreated);
      db = open({ path, noSubdir: true });
      const stored = db.get(K_IDENTITY) as StoredIdentity | undefined;
      if (stored && JSON.stringify(stored) !== JSON.stringify(wanted)) {
        recreated = describeMismatch(stored, wanted);
      }
    } catch (err) {
      recreated = `unreadable store: ${(err as Error).message}`;
    }
    if (recreated !== undefined) {
      try {
        await db?.close();
      } catch {
        // closing a corrupt environment may fail too; the files are removed next
      }
      rmSync(path, { force: true });
      rmSync(`${path}-lock`, { force: true });
      db = open({ path, noSubdir: true });
    }
    if (!db) throw new Error('unreachable: lmdb store not opened');
    // verified configs and the org UUID: owner only, whatever the umask (lmdb creates files 0644 under umask 022)
    for (const file of [path, `${path}-lock`]) if (existsSync(file)) chmodSync(file, 0o600);
    const store = new StateStore(db, path);
    db.putSync(K_IDENTITY, wanted);
    if (identity.agentUuid !== undefined) db.putSync(K_AGENT_UUID, identity.agentUuid);
    else if (!db.get(K_AGENT_UUID)) db.putSync(K_AGENT_UUID, randomUUID());
    return { store, recreated };
  }

  loadState(): PersistedState | undefined {
    const text = this.db.get(K_STATE) as string | undefined;
    return text === undefined ? undefined : (JSON.parse(text) as PersistedState);
  }

  /** The products fetched when the state was last saved (empty if none were). */
  loadProducts(): string[] {
    const value = this.db.get(K_PRODUCTS) as unknown;
    return Array.isArray(value) ? value.filter((p): p is string => typeof p === 'string') : [];
  }

  orgUuid(configRootVersion: number): string | undefined {
    return this.db.get(orgKey(configRootVersion)) as string | undefined;
  }

  agentUuid(): string {
    return String(this.db.get(K_AGENT_UUID));
  }

  /** Persists a verified state (with the org UUID of its config root and the products it was fetched for). */
  async saveState(
    state: PersistedState,
    org?: { configRootVersion: number; uuid: string },
    products?: readonly string[],
  ): Promise<void> {
    const text = JSON.stringify(state);
    await this.db.transaction(() => {
      void this.db.put(K_STATE, text);
      if (org) void this.db.put(orgKey(org.configRootVersion), org.uuid);
      if (products) void this.db.put(K_PRODUCTS, [...products].sort());
    });
  }

  async saveOrgUuid(configRootVersion: number, uuid: string): Promise<void> {
    await this.db.put(orgKey(configRootVersion), uuid);
  }

  /** ResetConfigState: forget everything but the identity and agent UUID. */
  async reset(): Promise<void> {
    await this.db.transaction(() => {
      for (const key of this.db.getKeys()) {
        if (key !== K_IDENTITY && key !== K_AGENT_UUID) void this.db.remove(key);
      }
    });
  }

  /** Drops a store whose content failed verification on load and starts empty. */
  async recreate(): Promise<void> {
    await this.reset();
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}

const PROBE_TIMEOUT_MS = 10_000;
const PROBE_SCRIPT = `
const { open } = require(process.argv[1]);
const db = open({ path: process.argv[2], noSubdir: true });
for (const entry of db.getRange()) void entry;
db.close();
`;

/** Opens and reads the whole store in a child process; returns why it is unreadable, or undefined if it is fine. */
function probeStore(path: string): string | undefined {
  const lmdbPath = createRequire(import.meta.url).resolve('lmdb');
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  const probe = spawnSync(process.execPath, ['-e', PROBE_SCRIPT, lmdbPath, path], {
    env,
    timeout: PROBE_TIMEOUT_MS,
    encoding: 'utf8',
  });
  if (probe.status === 0) return undefined;
  const why = probe.signal ? `reading it crashed (${probe.signal})` : probe.stderr.trim().split('\n').pop();
  return why ?? `probe exited with ${probe.status}`;
}

function describeMismatch(stored: StoredIdentity, wanted: StoredIdentity): string {
  if (stored.format !== wanted.format) return `store format ${stored.format} != ${wanted.format}`;
  if (stored.agentVersion !== wanted.agentVersion)
    return `agent version changed (${stored.agentVersion} → ${wanted.agentVersion})`;
  if (stored.apiKeySha256 !== wanted.apiKeySha256) return 'API key changed';
  return `backend URL changed (${stored.backendUrl} → ${wanted.backendUrl})`;
}
