// The one fake time of the suite: src takes an injected Clock, tests hand it this. Timers fire only when a test
// advances the clock, in due order. After each timer advance() waits for what the timer set off, by waiting on the
// work itself: promise continuations (all of them run before the next macrotask) and the real I/O registered with
// track() (lmdb writes). It never runs "N event-loop turns".
import { setImmediate as nextMacrotask } from 'node:timers/promises';
import type { Clock, TimerHandle } from '../../src/clock/index.js';

interface Timer {
  readonly at: number;
  readonly seq: number;
  readonly fn: () => void;
}

export class FakeClock implements Clock {
  #now: number;
  #seq = 0;
  readonly #timers = new Map<number, Timer>();
  readonly #inFlight = new Set<Promise<unknown>>();

  constructor(startMs = Date.UTC(2026, 10, 22, 12, 0, 0)) {
    this.#now = startMs;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = ++this.#seq;
    this.#timers.set(id, { at: this.#now + Math.max(0, ms), seq: id, fn });
    return id as unknown as TimerHandle;
  }

  clearTimeout(handle: TimerHandle): void {
    this.#timers.delete(handle as unknown as number);
  }

  get pendingTimers(): number {
    return this.#timers.size;
  }

  /** Registers real I/O that code on this clock waits for: advance() waits for it too. Returns `promise`. */
  track<T>(promise: Promise<T>): Promise<T> {
    this.#inFlight.add(promise);
    const done = (): void => void this.#inFlight.delete(promise);
    promise.then(done, done);
    return promise;
  }

  /** Tracks every promise `target`'s methods return (a store whose writes are real I/O). Returns `target`. */
  trackMethods<T extends object>(target: T): T {
    for (let proto = Object.getPrototypeOf(target) as object | null; proto && proto !== Object.prototype;) {
      for (const name of Object.getOwnPropertyNames(proto)) {
        const method = (proto as Record<string, unknown>)[name];
        if (name === 'constructor' || typeof method !== 'function' || Object.hasOwn(target, name)) continue;
        Object.defineProperty(target, name, {
          configurable: true,
          writable: true,
          value: (...args: unknown[]): unknown => {
            const result: unknown = (method as (...a: unknown[]) => unknown).apply(target, args);
            return result instanceof Promise ? this.track(result) : result;
          },
        });
      }
      proto = Object.getPrototypeOf(proto) as object | null;
    }
    return target;
  }

  /** Waits until every promise continuation queued so far has run and no tracked I/O is in flight. */
  async drain(): Promise<void> {
    for (;;) {
      await nextMacrotask(); // the microtask queue is empty whenever a macrotask runs
      if (this.#inFlight.size === 0) return;
      await Promise.allSettled([...this.#inFlight]);
    }
  }

  /** Moves time forward by `ms`, firing due timers in due order and draining after each. */
  async advance(ms: number): Promise<void> {
    const end = this.#now + ms;
    await this.drain();
    for (;;) {
      let next: [number, Timer] | undefined;
      for (const entry of this.#timers) {
        const t = entry[1];
        if (t.at <= end && (!next || t.at < next[1].at || (t.at === next[1].at && t.seq < next[1].seq))) next = entry;
      }
      if (!next) break;
      this.#timers.delete(next[0]);
      this.#now = Math.max(this.#now, next[1].at);
      next[1].fn();
      await this.drain();
    }
    this.#now = end;
    await this.drain();
  }
}
