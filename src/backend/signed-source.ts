// A signed repository over a config directory: the signer (keys kept in a state file), the directory watcher that
// re-publishes on change, and the backend's answer to a LatestConfigsRequest. Shared by the backend simulator and
// the in-process local signed source, so both speak exactly the same protocol.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ILatestConfigsRequest, ILatestConfigsResponse } from '../proto/index.js';
import { ConfigDirWatcher, DEFAULT_DEBOUNCE_MS } from './config-dir-watcher.js';
import { BackendError } from './error.js';
import { RepositorySigner, type SignerKeysJson } from './signer/index.js';
import type { PinnedRoots } from './types.js';

export interface SignedSourceOptions {
  readonly dir: string;
  readonly orgId: number;
  /** Signer keys and versions; created on first use, rewritten after every change. None: keys live in memory. */
  readonly stateFile?: string;
  readonly agentRefreshIntervalS?: number;
  readonly pollIntervalMs: number;
  readonly now: () => number;
  readonly log: (line: string) => void;
  /** Called after every publish of a changed directory. */
  readonly onPublish?: () => void;
}

export class SignedConfigSource {
  readonly signer: RepositorySigner;
  readonly pinnedRoots: PinnedRoots;
  readonly #opts: SignedSourceOptions;
  readonly #watcher: ConfigDirWatcher;
  /** Bumped on every publish, so callers can tell whether the served repository changed. */
  #generation = 0;

  private constructor(opts: SignedSourceOptions, signer: RepositorySigner) {
    this.#opts = opts;
    this.signer = signer;
    this.pinnedRoots = { config: signer.rootV1('config'), director: signer.rootV1('director') };
    this.#watcher = new ConfigDirWatcher({
      dir: opts.dir,
      orgId: signer.orgId,
      pollIntervalMs: opts.pollIntervalMs,
      debounceMs: DEFAULT_DEBOUNCE_MS,
      log: opts.log,
      onFiles: (files) => {
        // PROTOCOL.md §5.8 step 3: every change gets a new director targets version and timestamp.
        if (this.signer.publish(files, this.#opts.now())) {
          this.#generation++;
          this.#persist();
          this.#opts.log(`published ${files.length} config(s) from ${this.#opts.dir}`);
          this.#opts.onPublish?.();
        }
      },
    });
  }

  /** Loads or creates the signer, publishes the directory once, then watches it. */
  static async open(opts: SignedSourceOptions): Promise<SignedConfigSource> {
    const source = new SignedConfigSource(opts, loadOrCreateSigner(opts));
    source.#persist();
    await source.#watcher.start();
    return source;
  }

  /** Files of the directory that were skipped or ignored at the last scan, and why. */
  get warnings(): readonly string[] {
    return this.#watcher.warnings;
  }

  get generation(): number {
    return this.#generation;
  }

  /** The backend's answer (PROTOCOL.md §5.8), with timestamps re-signed first when they near expiry. */
  latestConfigs(req: ILatestConfigsRequest): ILatestConfigsResponse {
    const issued = this.signer.issuedVersionsKey();
    const refreshed = this.signer.refreshTimestamps(this.#opts.now());
    const response = this.signer.latestConfigs(req);
    // a product set asked for the first time is signed with new versions: persist them before serving, so a
    // restarted backend never serves versions below ones it already served (the agent would see a rollback)
    if (refreshed || this.signer.issuedVersionsKey() !== issued) this.#persist();
    return response;
  }

  rescan(): Promise<void> {
    return this.#watcher.rescan();
  }

  async close(): Promise<void> {
    await this.#watcher.stop();
  }

  #persist(): void {
    if (this.#opts.stateFile === undefined) return;
    writePrivateFileAtomic(this.#opts.stateFile, JSON.stringify(this.signer.toJSON()));
  }
}

function loadOrCreateSigner(opts: SignedSourceOptions): RepositorySigner {
  const nowMs = opts.now();
  const createOpts = {
    orgId: opts.orgId,
    ...(opts.agentRefreshIntervalS === undefined ? {} : { agentRefreshIntervalS: opts.agentRefreshIntervalS }),
    // Like the real backend, the opaque state is an arbitrary base64 blob the agent echoes back.
    opaqueBackendState: randomBytes(12).toString('base64'),
  };
  if (opts.stateFile === undefined) return RepositorySigner.create(createOpts, nowMs);
  let text: string;
  try {
    text = readFileSync(opts.stateFile, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new BackendError('INVALID_CONFIG', `cannot read signer state ${opts.stateFile}`, { cause: err });
    }
    opts.log(`creating signing keys in ${opts.stateFile}`);
    return RepositorySigner.create(createOpts, nowMs);
  }
  let signer: RepositorySigner;
  try {
    signer = RepositorySigner.fromJSON(JSON.parse(text) as SignerKeysJson, nowMs);
  } catch (err) {
    // Never overwrite keys that agents may have pinned: make the operator decide.
    throw new BackendError(
      'INVALID_CONFIG',
      `signer state ${opts.stateFile} is unreadable; move it away to start over`,
      {
        cause: err,
      },
    );
  }
  if (signer.orgId !== opts.orgId) {
    opts.log(`signer state ${opts.stateFile} is for org ${signer.orgId}, not ${opts.orgId}: creating new keys`);
    return RepositorySigner.create(createOpts, nowMs);
  }
  return signer;
}

/** Private keys inside: owner-only, and never half-written. */
export function writePrivateFileAtomic(file: string, content: string | Uint8Array): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, content, { mode: 0o600 });
  renameSync(tmp, file);
}
