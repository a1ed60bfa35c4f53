// The config stream consumer for Node processes: waits for the first snapshot, keeps each setting with the source
// the agent assigned, applies updates strictly in sequence order, reconnects (5 s, jittered) and never accepts a
// snapshot that is not newer than what it already applied, across reconnects.
import { EventEmitter } from 'node:events';
import { status, type ClientReadableStream, type ServiceError as GrpcCallError } from '@grpc/grpc-js';
import { systemClock, type Clock } from '../service/index.js';
import type { IConfigEvent } from '../proto/index.js';
import { ConfigStreamError } from './error.js';
import type { RemoteAgentClient } from './client.js';
import type { SessionIdProvider } from './session.js';
import { fromProtoValue, jsonEqual, type JsonValue } from './values.js';

export const DEFAULT_READY_TIMEOUT_MS = 60_000;
export const DEFAULT_RECONNECT_DELAY_MS = 5000;

export interface ConsumedSetting {
  readonly value: JsonValue;
  readonly source: string;
}

export interface ConfigChange {
  readonly key: string;
  readonly oldValue: JsonValue | undefined;
  readonly newValue: JsonValue | undefined;
  readonly source: string;
  readonly sequenceId: number;
  /** from a snapshot (first one, or a resync) or from an update */
  readonly via: 'snapshot' | 'update';
}

export interface ConsumerEvents {
  snapshot: [sequenceId: number, origin: string];
  /** a snapshot not above lastSeqId was refused */
  stale: [sequenceId: number, lastSeqId: number];
  /** why the stream ended before a reconnect */
  disconnected: [reason: string];
}

export interface ConfigStreamConsumerOptions {
  readonly client: RemoteAgentClient;
  /** the ConfigStreamRequest.name */
  readonly name: string;
  /** exactly one of sessionId and sessionIdProvider */
  readonly sessionId?: string;
  readonly sessionIdProvider?: SessionIdProvider;
  readonly readyTimeoutMs?: number;
  readonly reconnectDelayMs?: number;
  readonly clock?: Clock;
  readonly random?: () => number;
}

export class ConfigStreamConsumer extends EventEmitter<ConsumerEvents> {
  private readonly settings = new Map<string, ConsumedSetting>();
  private readonly changeListeners = new Set<(change: ConfigChange) => void>();
  private readonly clock: Clock;
  private readonly random: () => number;
  private call: ClientReadableStream<IConfigEvent> | undefined;
  private connectAbort = new AbortController();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;
  private started = false;
  /** the current stream delivered its snapshot */
  private streamSynced = false;
  private readyResolve!: () => void;
  private readonly readyPromise: Promise<void>;
  private isReady = false;
  lastSeqId = 0;
  origin = '';
  reconnects = 0;

  constructor(private readonly options: ConfigStreamConsumerOptions) {
    super();
    if ((options.sessionId === undefined) === (options.sessionIdProvider === undefined)) {
      throw new TypeError('give exactly one of sessionId and sessionIdProvider');
    }
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.readyPromise = new Promise((resolve) => (this.readyResolve = resolve));
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    void this.connect();
  }

  get ready(): boolean {
    return this.isReady;
  }

  /** Resolves at the first applied snapshot; rejects after the ready timeout or when `signal` aborts. */
  waitReady(signal?: AbortSignal): Promise<void> {
    this.start();
    if (this.isReady) return Promise.resolve();
    const timeoutMs = this.options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
    if (signal?.aborted) return Promise.reject(abortedError());
    return new Promise<void>((resolve, reject) => {
      const finish = (err?: Error): void => {
        this.clock.clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (err) reject(err);
        else resolve();
      };
      const onAbort = (): void => finish(abortedError());
      const timer = this.clock.setTimeout(
        () => finish(new ConfigStreamError('READY_TIMEOUT', `no config snapshot within ${timeoutMs} ms`)),
        timeoutMs,
      );
      signal?.addEventListener('abort', onAbort, { once: true });
      void this.readyPromise.then(() => finish());
    });
  }

  get(key: string): JsonValue | undefined {
    return this.settings.get(key)?.value;
  }

  setting(key: string): ConsumedSetting | undefined {
    return this.settings.get(key);
  }

  all(): ReadonlyMap<string, ConsumedSetting> {
    return this.settings;
  }

  /** Called for every change (snapshot differences included); returns the unsubscribe function. */
  subscribe(listener: (change: ConfigChange) => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  close(): void {
    this.closed = true;
    this.connectAbort.abort();
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.call?.cancel();
    this.call = undefined;
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    this.streamSynced = false;
    let sessionId: string;
    try {
      sessionId =
        this.options.sessionId ?? (await this.options.sessionIdProvider!.waitSessionId(this.connectAbort.signal));
    } catch (err) {
      this.reconnect(`no session: ${(err as Error).message}`);
      return;
    }
    if (this.closed) return;
    const call = this.options.client.streamConfigEvents(this.options.name, sessionId);
    this.call = call;
    let over = false;
    const end = (reason: string, delayed = true): void => {
      if (over) return;
      over = true;
      if (this.call === call) this.call = undefined;
      call.cancel();
      this.reconnect(reason, delayed);
    };
    call.on('data', (event: IConfigEvent) => {
      if (over) return;
      const problem = this.handle(event);
      if (problem !== undefined) end(problem.reason, problem.delayed);
    });
    call.on('error', (err: GrpcCallError) => {
      if (err.code === status.PERMISSION_DENIED || err.code === status.UNAUTHENTICATED) {
        this.options.sessionIdProvider?.invalidate?.(sessionId);
      }
      end(`stream error ${err.code}: ${err.details}`);
    });
    call.on('end', () => end('stream ended'));
  }

  /** Applies one event; returns why the stream must be reopened, if it must. */
  private handle(event: IConfigEvent): { reason: string; delayed: boolean } | undefined {
    if (event.snapshot) {
      const seq = event.snapshot.sequenceId ?? 0;
      if (seq <= this.lastSeqId) {
        this.emit('stale', seq, this.lastSeqId);
        return { reason: `stale snapshot ${seq} ≤ ${this.lastSeqId}`, delayed: true };
      }
      this.applySnapshot(event.snapshot.settings ?? [], seq);
      this.origin = event.snapshot.origin ?? '';
      this.streamSynced = true;
      this.emit('snapshot', seq, this.origin);
      if (!this.isReady) {
        this.isReady = true;
        this.readyResolve();
      }
      return undefined;
    }
    if (event.update) {
      if (!this.streamSynced) return { reason: 'update before snapshot', delayed: true };
      const seq = event.update.sequenceId ?? 0;
      if (seq <= this.lastSeqId) return undefined; // stale: already applied
      if (seq !== this.lastSeqId + 1) return { reason: `gap: ${this.lastSeqId} → ${seq}`, delayed: false };
      const s = event.update.setting;
      if (s?.key) this.applyOne(s.key, fromProtoValue(s.value), s.source ?? '', seq, 'update');
      this.lastSeqId = seq;
    }
    return undefined;
  }

  private applySnapshot(
    settings: ReadonlyArray<{ key?: string | null; value?: unknown; source?: string | null }>,
    seq: number,
  ): void {
    const seen = new Set<string>();
    for (const s of settings) {
      if (!s.key) continue;
      seen.add(s.key);
      this.applyOne(s.key, fromProtoValue(s.value as never), s.source ?? '', seq, 'snapshot');
    }
    for (const [key, old] of [...this.settings]) {
      if (seen.has(key)) continue;
      this.settings.delete(key);
      this.notify({ key, oldValue: old.value, newValue: undefined, source: '', sequenceId: seq, via: 'snapshot' });
    }
    this.lastSeqId = seq;
  }

  private applyOne(key: string, value: JsonValue, source: string, seq: number, via: ConfigChange['via']): void {
    const old = this.settings.get(key);
    this.settings.set(key, { value, source });
    if (old && old.source === source && jsonEqual(old.value, value)) return;
    this.notify({ key, oldValue: old?.value, newValue: value, source, sequenceId: seq, via });
  }

  private notify(change: ConfigChange): void {
    for (const l of this.changeListeners) l(change);
  }

  private reconnect(reason: string, delayed = true): void {
    if (this.closed) return;
    this.emit('disconnected', reason);
    this.reconnects++;
    const base = this.options.reconnectDelayMs ?? DEFAULT_RECONNECT_DELAY_MS;
    // ±50 % jitter so consumers of a restarted agent do not reconnect in step
    const delay = delayed ? base * (0.5 + this.random()) : 0;
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      void this.connect();
    }, delay);
  }
}

function abortedError(): ConfigStreamError {
  return new ConfigStreamError('ABORTED', 'start-up aborted before the config was ready');
}
