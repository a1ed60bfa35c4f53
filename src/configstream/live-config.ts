// The running configuration as layers (defaults < file < env < remote config < cli), re-resolved on SIGHUP and
// when the config file changes. Only settings rc-agent can change while running are applied and streamed; a
// changed restart-only setting is reported (log, status) and the stream keeps the running value.
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import {
  KEYS,
  loadConfigWithSources,
  type AgentConfig,
  type ConfigSource,
  type LoadConfigOptions,
  type ResolvedSetting,
} from '../config/index.js';
import { systemClock, type Clock, type Logger } from '../service/index.js';
import type { ConfigStreamHub } from './hub.js';
import { scrubSetting } from './scrub.js';
import { jsonEqual } from './values.js';

/**
 * Known keys rc-agent applies while running (log_level here; the API key by the agent's own key rotation on the same
 * SIGHUP / file change); every other known key needs a restart.
 */
export const LIVE_KEYS: ReadonlySet<string> = new Set(['log_level', 'api_key', 'remote_configuration.api_key']);
const FILE_WATCH_DEBOUNCE_MS = 100;

export type LogLevel = AgentConfig['logLevel'];

export interface PendingRestart {
  readonly key: string;
  /** as streamed (scrubbed) */
  readonly running: unknown;
  readonly configured: unknown;
  readonly source: ConfigSource;
}

export interface LiveConfigOptions {
  readonly load: Omit<LoadConfigOptions, 'onResolved' | 'onFileDocument'>;
  readonly hub: ConfigStreamHub;
  /** applies a new log level to the running logger */
  readonly setLogLevel: (level: LogLevel) => void;
  readonly log: Logger;
  readonly clock?: Clock;
}

export class LiveConfig {
  private base: ReadonlyMap<string, ResolvedSetting>;
  /** the remote-config layer (AGENT_CONFIG) */
  private readonly remote = new Map<string, unknown>();
  /** restart-only keys keep the value they started with */
  private readonly startValues: ReadonlyMap<string, ResolvedSetting>;
  private readonly pending = new Map<string, PendingRestart>();
  private readonly hub: ConfigStreamHub;
  private readonly options: LiveConfigOptions;
  private readonly clock: Clock;
  private watcher: FSWatcher | undefined;
  private debounce: ReturnType<typeof setTimeout> | undefined;
  private onSighup: (() => void) | undefined;
  lastReloadError: string | undefined;
  reloads = 0;

  /** `initial` is the resolution the agent started with (loadConfigWithSources of the same options). */
  constructor(initial: ReadonlyMap<string, ResolvedSetting>, options: LiveConfigOptions) {
    this.options = options;
    this.hub = options.hub;
    this.clock = options.clock ?? systemClock;
    this.base = initial;
    this.startValues = initial;
    this.hub.initialize([...initial].map(([key, s]) => this.streamed(key, s.value, s.source)));
  }

  /** Re-resolves file + env; applies and streams what changed. False when the configuration is invalid. */
  reload(reason: string): boolean {
    let next: ReadonlyMap<string, ResolvedSetting>;
    try {
      next = loadConfigWithSources(this.options.load).settings;
    } catch (err) {
      this.lastReloadError = (err as Error).message;
      this.options.log.error({ err, reason }, 'config reload failed; keeping the running configuration');
      return false;
    }
    this.lastReloadError = undefined;
    this.reloads++;
    const previous = this.base;
    this.base = next;
    const keys = new Set([...previous.keys(), ...next.keys()]);
    for (const key of keys) this.refreshKey(key);
    this.options.log.info({ reason }, 'configuration re-resolved');
    return true;
  }

  /** The remote-config layer of `key` (undefined removes it), from AGENT_CONFIG. */
  setRemote(key: string, value: unknown): void {
    if (value === undefined) this.remote.delete(key);
    else this.remote.set(key, value);
    this.refreshKey(key);
  }

  pendingRestart(): PendingRestart[] {
    return [...this.pending.values()];
  }

  /** Re-resolves on SIGHUP and when the config file changes (editors replace it: the directory is watched). */
  watch(): void {
    this.onSighup = () => this.reload('SIGHUP');
    process.on('SIGHUP', this.onSighup);
    const file = this.options.load.file;
    if (file === undefined) return;
    const path = resolve(file);
    const name = basename(path);
    try {
      this.watcher = watch(dirname(path), (_event, changed) => {
        if (changed !== null && changed !== name) return;
        if (this.debounce !== undefined) this.clock.clearTimeout(this.debounce);
        this.debounce = this.clock.setTimeout(() => {
          this.debounce = undefined;
          this.reload('file changed');
        }, FILE_WATCH_DEBOUNCE_MS);
      });
      this.watcher.on('error', (err) => this.options.log.warn({ err }, 'config file watch failed'));
    } catch (err) {
      this.options.log.warn({ err, file: path }, 'cannot watch the config file; SIGHUP still reloads it');
    }
  }

  close(): void {
    if (this.onSighup) process.off('SIGHUP', this.onSighup);
    this.onSighup = undefined;
    this.watcher?.close();
    this.watcher = undefined;
    if (this.debounce !== undefined) this.clock.clearTimeout(this.debounce);
  }

  private effective(key: string): ResolvedSetting | undefined {
    const base = this.base.get(key);
    if (this.remote.has(key) && base?.source !== 'cli') return { value: this.remote.get(key), source: 'remote-config' };
    return base;
  }

  private refreshKey(key: string): void {
    const next = this.effective(key);
    const known = key in KEYS;
    if (known && !LIVE_KEYS.has(key)) {
      const running = this.startValues.get(key);
      if (next !== undefined && !jsonEqual(next.value, running?.value)) {
        const entry = this.streamed(key, next.value, next.source);
        if (!this.pending.has(key)) {
          this.options.log.warn({ key }, 'setting changed; it takes effect after a restart');
        }
        this.pending.set(key, {
          key,
          running: scrubSetting(key, running?.value ?? null),
          configured: scrubSetting(key, entry.value),
          source: next.source,
        });
      } else {
        this.pending.delete(key);
      }
      return;
    }
    if (next === undefined) {
      // a key the file no longer has: streamed as unset
      if (this.hub.current().has(key)) this.hub.set({ key, value: null, source: 'default' });
      return;
    }
    const changed = this.hub.set(this.streamed(key, next.value, next.source));
    if (changed && key === 'log_level') this.options.setLogLevel(next.value as LogLevel);
  }

  /** The hub scrubs secrets itself; pending-restart entries are scrubbed here. */
  private streamed(key: string, value: unknown, source: ConfigSource) {
    return { key, value, source };
  }
}
