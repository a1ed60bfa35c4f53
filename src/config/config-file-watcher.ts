// Re-reads datadog.yaml when it changes (or on demand, e.g. SIGHUP) so settings that may change at run time
// (the API key) take effect without a restart. Everything else still needs a restart.
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { AgentConfig } from './agent-config.js';

export interface ConfigFileWatcherOptions {
  /** datadog.yaml; absent = reload() on demand only */
  readonly file?: string;
  /** Loads the whole configuration again (file + env), validated; throws ConfigError. */
  readonly load: () => AgentConfig;
  readonly onReload: (config: AgentConfig) => void | Promise<void>;
  /** A reload that failed (invalid YAML half-written, bad value): the previous configuration stays. */
  readonly onError: (err: unknown) => void;
  /** Editors write in bursts; one reload per burst. Default 200 ms. */
  readonly debounceMs?: number;
}

export interface ConfigFileWatcher {
  /** Reloads now (SIGHUP). */
  reload(): Promise<void>;
  close(): void;
}

export function watchConfigFile(opts: ConfigFileWatcherOptions): ConfigFileWatcher {
  const debounceMs = opts.debounceMs ?? 200;
  const file = opts.file;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running: Promise<void> = Promise.resolve();
  let closed = false;

  const reload = (): Promise<void> => {
    // serialised: a reload never overtakes the previous one
    running = running.then(async () => {
      if (closed) return;
      let config: AgentConfig;
      try {
        config = opts.load();
      } catch (err) {
        opts.onError(err);
        return;
      }
      try {
        await opts.onReload(config);
      } catch (err) {
        opts.onError(err);
      }
    });
    return running;
  };

  // The directory is watched, not the file: an atomic save replaces the file (a new inode).
  let watcher: FSWatcher | undefined;
  if (file !== undefined) {
    const name = basename(file);
    try {
      watcher = watch(dirname(file), { persistent: false }, (_event, changed) => {
        if (changed !== null && changed !== name) return;
        clearTimeout(timer);
        timer = setTimeout(() => void reload(), debounceMs);
        timer.unref();
      });
      watcher.on('error', (err) => opts.onError(err));
    } catch (err) {
      opts.onError(err);
    }
  }

  return {
    reload,
    close(): void {
      closed = true;
      clearTimeout(timer);
      watcher?.close();
    },
  };
}
