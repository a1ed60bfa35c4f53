// Manual fake time for the service: timers fire only when a test advances the clock. Between timers the real event
// loop is drained so promise chains (and bottleneck's internal zero-delay yields) settle.
import type { Clock } from '../../src/service/index.js';

interface Timer {
  readonly at: number;
  readonly seq: number;
  readonly fn: () => void;
}

export class FakeClock implements Clock {
  #now: number;
  #seq = 0;
  readonly #timers = new Map<number, Timer>();

  constructor(startMs = Date.UTC(2026, 10, 22, 12, 0, 0)) {
    this.#now = startMs;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): ReturnType<typeof setTimeout> {
    const id = ++this.#seq;
    this.#timers.set(id, { at: this.#now + Math.max(0, ms), seq: id, fn });
    return id as unknown as ReturnType<typeof setTimeout>;
  }

  clearTimeout(handle: ReturnType<typeof setTimeout>): void {
    this.#timers.delete(handle as unknown as number);
  }

  get pendingTimers(): number {
    return this.#timers.size;
  }

  /** Real I/O the code under test may be waiting on (the lmdb store), awaited while settling. */
  idle: () => Promise<void> = async () => undefined;

  /** Lets pending promise continuations, real zero-delay timers and registered I/O finish. */
  async settle(rounds = 3): Promise<void> {
    for (let pass = 0; pass < 3; pass++) {
      for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => setImmediate(resolve));
      await this.idle();
    }
  }

  /** Moves time forward by `ms`, firing due timers in order and settling after each. */
  async advance(ms: number): Promise<void> {
    const end = this.#now + ms;
    await this.settle();
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
      await this.settle();
    }
    this.#now = end;
    await this.settle();
  }
}
