// Watches a config directory and hands every changed file set to its owner (the simulator or the local source).
// fs.watch gives prompt updates; a periodic rescan covers platforms and filesystems where it misses events.
import { createHash } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { scanConfigDir, type ConfigFile } from './config-dir.js';

export interface ConfigDirWatcherOptions {
  readonly dir: string;
  readonly orgId: number;
  /** Periodic rescan; 0 disables it. */
  readonly pollIntervalMs: number;
  /** Quiet time after the last fs event before rescanning (editors write in several steps). */
  readonly debounceMs: number;
  /** Called with the full file set whenever it differs from the previous scan. */
  readonly onFiles: (files: ConfigFile[]) => void;
  readonly log: (line: string) => void;
}

export const DEFAULT_POLL_INTERVAL_MS = 2_000;
export const DEFAULT_DEBOUNCE_MS = 50;

export class ConfigDirWatcher {
  readonly #opts: ConfigDirWatcherOptions;
  #fingerprint: string | undefined;
  #warned = new Set<string>();
  #running: Promise<void> | undefined;
  #rerun = false;
  #watcher: FSWatcher | undefined;
  #pollTimer: NodeJS.Timeout | undefined;
  #debounceTimer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(opts: ConfigDirWatcherOptions) {
    this.#opts = opts;
  }

  /** What the last scan skipped or ignored, and why. */
  get warnings(): readonly string[] {
    return [...this.#warned];
  }

  /** Scans once (throws if the directory cannot be read), then watches. */
  async start(): Promise<void> {
    await this.rescan();
    if (this.#stopped) return;
    try {
      this.#watcher = watch(this.#opts.dir, { recursive: true, persistent: false }, () => this.#schedule());
      this.#watcher.on('error', (err) => {
        this.#opts.log(`config watcher error, relying on the periodic rescan: ${err.message}`);
        this.#watcher?.close();
        this.#watcher = undefined;
      });
    } catch (err) {
      this.#opts.log(`fs.watch unavailable, relying on the periodic rescan: ${(err as Error).message}`);
    }
    if (this.#opts.pollIntervalMs > 0) {
      this.#pollTimer = setInterval(() => void this.#rescanLogged(), this.#opts.pollIntervalMs);
      this.#pollTimer.unref();
    }
  }

  /**
   * Re-reads the directory now. Concurrent calls share one scan; a call made while a scan runs gets a new scan
   * after it, so every edit made before the call is seen when it resolves.
   */
  rescan(): Promise<void> {
    if (this.#running) {
      this.#rerun = true;
      return this.#running;
    }
    const run = (async () => {
      try {
        do {
          this.#rerun = false;
          await this.#scanOnce();
        } while (this.#rerun && !this.#stopped);
      } finally {
        this.#running = undefined;
      }
    })();
    this.#running = run;
    return run;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#watcher?.close();
    this.#watcher = undefined;
    clearInterval(this.#pollTimer);
    clearTimeout(this.#debounceTimer);
    await this.#running?.catch(() => undefined);
  }

  #schedule(): void {
    if (this.#stopped) return;
    clearTimeout(this.#debounceTimer);
    this.#debounceTimer = setTimeout(() => void this.#rescanLogged(), this.#opts.debounceMs);
    this.#debounceTimer.unref();
  }

  async #rescanLogged(): Promise<void> {
    try {
      await this.rescan();
    } catch (err) {
      // Keep serving the last good set (e.g. the directory was briefly renamed away).
      this.#opts.log(`config rescan failed, keeping the previous configs: ${(err as Error).message}`);
    }
  }

  async #scanOnce(): Promise<void> {
    const { files, warnings } = await scanConfigDir(this.#opts.dir, this.#opts.orgId);
    if (this.#stopped) return;
    for (const w of warnings) {
      if (!this.#warned.has(w)) this.#opts.log(`config dir: ${w}`);
    }
    this.#warned = new Set(warnings);
    const fingerprint = fingerprintOf(files);
    if (fingerprint === this.#fingerprint) return;
    this.#opts.onFiles(files);
    this.#fingerprint = fingerprint;
  }
}

function fingerprintOf(files: readonly ConfigFile[]): string {
  const h = createHash('sha256');
  for (const f of files) {
    h.update(f.path).update('\0').update(createHash('sha256').update(f.raw).digest('hex'));
    h.update('\0')
      .update(JSON.stringify(f.custom ?? null))
      .update('\n');
  }
  return h.digest('hex');
}
