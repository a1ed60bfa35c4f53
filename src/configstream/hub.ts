// The stream's state and fan-out: the current settings (already scrubbed) with their sources, the sequence ID,
// and one bounded buffer per subscriber. A subscriber that cannot keep up is resynced with a fresh snapshot
// instead of being sent a gap; nobody else waits for it.
import type { IConfigEvent, IConfigSetting } from '../proto/index.js';
import type { ConfigSource } from '../config/index.js';
import type { ConfigStreamMetrics } from './metrics.js';
import type { SequenceCounter } from './sequence.js';
import { scrubSetting } from './scrub.js';
import { jsonEqual, toProtoValue } from './values.js';

export const DEFAULT_SUBSCRIBER_BUFFER = 100;

export interface StreamSetting {
  readonly key: string;
  readonly value: unknown;
  readonly source: ConfigSource;
}

/** Where a subscriber's events go: `write` answers false when the transport wants a `drain` first. */
export interface SubscriberSink {
  write(event: IConfigEvent): boolean;
  onceDrain(fn: () => void): void;
}

/** why the hub ended a stream: its session ended (PERMISSION_DENIED) or the agent stops (UNAVAILABLE) */
export type CloseKind = 'session-ended' | 'shutdown';

export interface SubscriberInfo {
  readonly name: string;
  readonly sessionId: string;
  readonly sentSnapshots: number;
  readonly sentUpdates: number;
  readonly resyncs: number;
  readonly buffered: number;
}

class Subscriber {
  readonly queue: IConfigEvent[] = [];
  /** the next event is a snapshot, which covers everything queued before */
  needsSnapshot = true;
  waitingForDrain = false;
  closed = false;
  sentSnapshots = 0;
  sentUpdates = 0;
  resyncs = 0;

  constructor(
    readonly name: string,
    readonly sessionId: string,
    readonly sink: SubscriberSink,
    readonly onClose: (reason: string, kind: CloseKind) => void,
  ) {}
}

export interface ConfigStreamHubOptions {
  /** ConfigSnapshot/ConfigUpdate.origin: the config file, or `rc-agent` without one */
  readonly origin: string;
  readonly sequence: SequenceCounter;
  readonly metrics?: ConfigStreamMetrics;
  readonly bufferLimit?: number;
}

export class ConfigStreamHub {
  readonly origin: string;
  private readonly settings = new Map<string, StreamSetting>();
  private readonly subscribers = new Set<Subscriber>();
  private readonly sequence: SequenceCounter;
  private readonly metrics: ConfigStreamMetrics | undefined;
  private readonly bufferLimit: number;

  constructor(options: ConfigStreamHubOptions) {
    this.origin = options.origin;
    this.sequence = options.sequence;
    this.metrics = options.metrics;
    this.bufferLimit = options.bufferLimit ?? DEFAULT_SUBSCRIBER_BUFFER;
  }

  get sequenceId(): number {
    return this.sequence.value;
  }

  /** The settings a snapshot would hold now. */
  current(): ReadonlyMap<string, StreamSetting> {
    return this.settings;
  }

  /** Sets the starting state: no event (the first snapshot of each stream carries it). */
  initialize(settings: Iterable<StreamSetting>): void {
    for (const s of settings) this.settings.set(s.key, scrubbed(s));
  }

  /** One update per call when the value or its source changed; false when nothing changed. */
  set(unscrubbed: StreamSetting): boolean {
    const setting = scrubbed(unscrubbed);
    const previous = this.settings.get(setting.key);
    if (previous && previous.source === setting.source && jsonEqual(previous.value, setting.value)) return false;
    this.settings.set(setting.key, setting);
    const sequenceId = this.sequence.next();
    const event: IConfigEvent = {
      update: { origin: this.origin, sequenceId, setting: toWire(setting) },
    };
    for (const sub of this.subscribers) this.enqueue(sub, event);
    return true;
  }

  snapshot(): IConfigEvent {
    return {
      snapshot: {
        origin: this.origin,
        sequenceId: this.sequence.value,
        settings: [...this.settings.values()].map(toWire),
      },
    };
  }

  /** The first event is a snapshot. `onClose` is called when the hub ends the subscription. */
  subscribe(
    name: string,
    sessionId: string,
    sink: SubscriberSink,
    onClose: (reason: string, kind: CloseKind) => void,
  ): () => void {
    const sub = new Subscriber(name, sessionId, sink, onClose);
    this.subscribers.add(sub);
    this.metrics?.subscribers.set(this.subscribers.size);
    this.pump(sub);
    return () => this.remove(sub);
  }

  /** Ends every stream of a session (expired or replaced). */
  endSession(sessionId: string, reason: string): void {
    for (const sub of [...this.subscribers]) {
      if (sub.sessionId !== sessionId) continue;
      this.remove(sub);
      sub.onClose(reason, 'session-ended');
    }
  }

  /** Ends every stream (the agent is stopping): graceful server shutdown does not wait for them. */
  closeAll(reason: string): void {
    for (const sub of [...this.subscribers]) {
      this.remove(sub);
      sub.onClose(reason, 'shutdown');
    }
  }

  list(): SubscriberInfo[] {
    return [...this.subscribers].map((s) => ({
      name: s.name,
      sessionId: s.sessionId,
      sentSnapshots: s.sentSnapshots,
      sentUpdates: s.sentUpdates,
      resyncs: s.resyncs,
      buffered: s.queue.length,
    }));
  }

  private remove(sub: Subscriber): void {
    if (sub.closed) return;
    sub.closed = true;
    sub.queue.length = 0;
    this.subscribers.delete(sub);
    this.metrics?.subscribers.set(this.subscribers.size);
  }

  private enqueue(sub: Subscriber, event: IConfigEvent): void {
    if (sub.needsSnapshot) {
      // the pending snapshot is built when sent: it will include this change
      this.pump(sub);
      return;
    }
    if (sub.queue.length >= this.bufferLimit) {
      sub.queue.length = 0;
      sub.needsSnapshot = true;
      sub.resyncs++;
      this.metrics?.resyncs.inc({ reason: 'overflow' });
    } else {
      sub.queue.push(event);
    }
    this.pump(sub);
  }

  private pump(sub: Subscriber): void {
    while (!sub.closed && !sub.waitingForDrain && (sub.needsSnapshot || sub.queue.length > 0)) {
      let event: IConfigEvent;
      if (sub.needsSnapshot) {
        sub.needsSnapshot = false;
        event = this.snapshot();
        sub.sentSnapshots++;
        this.metrics?.snapshotsSent.inc();
      } else {
        event = sub.queue.shift() as IConfigEvent;
        sub.sentUpdates++;
        this.metrics?.updatesSent.inc();
      }
      if (!sub.sink.write(event)) {
        sub.waitingForDrain = true;
        sub.sink.onceDrain(() => {
          sub.waitingForDrain = false;
          this.pump(sub);
        });
      }
    }
  }
}

/** Secrets are scrubbed here too, whoever feeds the hub. */
function scrubbed(s: StreamSetting): StreamSetting {
  const value = scrubSetting(s.key, s.value);
  return value === s.value ? s : { ...s, value };
}

function toWire(s: StreamSetting): IConfigSetting {
  return { source: s.source, key: s.key, value: toProtoValue(s.value) };
}
