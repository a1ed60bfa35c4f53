// The legacy policy: the reference agent's scheduling exactly (PROTOCOL.md §4.2, §4.6), kept so benchmarks compare
// both in one run. Requests are serialised on the state lock, which a refresh holds from request to publish; a new
// client releases it and hands one bypass to the poll loop through an unbuffered channel that only an idle loop reads;
// one fixed-window limiter (cache_bypass_limit per interval) for everyone; the 2 s budget covers the hand-off and the
// wait; a known client adding a product waits for the next poll.
import { setMaxListeners } from 'node:events';
import { performance } from 'node:perf_hooks';
import type { Mutex } from 'async-mutex';
import type { FixedWindowLimiter } from '../ratelimit/index.js';
import { sleep, type Clock } from '../clock/index.js';
import type { Logger } from './logger.js';
import type { ServiceMetrics } from './metrics.js';
import type { Refresher } from './refresher.js';
import { MIN_REFRESH_SPACING_MS } from './refresher.js';
import { sleepOrWake, waitBounded, type ScheduledRequest, type SchedulingPolicy, type Waiter } from './scheduling.js';

/** The reference's new-client block (newClientBlockTTL). */
export const LEGACY_BLOCK_TTL_MS = 2000;
const NEVER_ABORTED = new AbortController().signal;
// Every hand-off waits on it (each removes its listener when it ends): a herd has hundreds at once, and Node would
// warn of a listener leak past 10.
setMaxListeners(0, NEVER_ABORTED);

export interface LegacyPolicyOptions {
  readonly clock: Clock;
  readonly refresher: Refresher;
  readonly limiter: FixedWindowLimiter;
  readonly mutex: Mutex;
  readonly metrics: ServiceMetrics;
  readonly log: Logger;
}

type Outcome = 'granted' | 'rate_limited' | 'timeout' | 'aborted';

export class LegacyPolicy implements SchedulingPolicy {
  readonly #o: LegacyPolicyOptions;
  /** Senders blocked on the unbuffered channel, oldest first. */
  readonly #senders: Waiter<Outcome>[] = [];
  readonly #inFlight = new Set<Waiter<Outcome>>();
  #nextDueMs = 0;
  #stopped = true;
  #loop: Promise<void> | undefined;
  #wake: () => void = () => undefined;
  readonly #abort = new AbortController();

  constructor(options: LegacyPolicyOptions) {
    this.#o = options;
  }

  /** Ignores the abort signal: the reference serves abandoned requests in full. */
  async serve<T>(request: ScheduledRequest<T>): Promise<T> {
    let release: (() => void) | undefined = await this.#lock();
    try {
      if (request.track()?.reason === 'new_client') {
        release();
        release = undefined;
        const t0 = this.#o.clock.now();
        const outcome = await this.#handOff();
        request.settled(outcome, this.#o.clock.now() - t0);
        release = await this.#lock();
      }
      request.track();
      return request.answer();
    } finally {
      release?.();
    }
  }

  #handOff(): Promise<Outcome> {
    const outcome = waitBounded<'granted' | 'rate_limited'>(
      this.#o.clock,
      (w) => this.#senders.push(w),
      (w) => {
        const i = this.#senders.indexOf(w);
        if (i >= 0) this.#senders.splice(i, 1);
        this.#inFlight.delete(w);
      },
      LEGACY_BLOCK_TTL_MS,
      NEVER_ABORTED,
    );
    this.#wake();
    return outcome;
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#loop = this.#run().catch((err: unknown) => this.#o.log.error({ err }, 'poll loop crashed'));
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#abort.abort(new Error('rc-agent is stopping'));
    this.#o.refresher.abort();
    this.#wake();
    await this.#loop;
    for (const w of [...this.#senders.splice(0), ...this.#inFlight]) w.settle('timeout');
    this.#inFlight.clear();
  }

  refreshSoon(): void {
    this.#nextDueMs = 0;
    this.#wake();
  }

  setRefreshInterval(intervalMs: number): void {
    this.#o.limiter.setInterval(intervalMs);
  }

  async #run(): Promise<void> {
    const { clock, refresher } = this.#o;
    let first = true;
    while (!this.#stopped) {
      if (!first && this.#senders.length === 0 && clock.now() < this.#nextDueMs) {
        await sleepOrWake(clock, this.#nextDueMs - clock.now(), (wake) => (this.#wake = wake));
        continue;
      }
      first = false;
      // The reference hands a bypass over before refresh() sleeps out the spacing:
      // `if !limiter.Limit() { refresh() } else { IncRateLimit }`, then close the channel.
      const sender = this.#senders.shift();
      if (sender && this.#o.limiter.limited(clock.now())) {
        sender.settle('rate_limited');
        continue;
      }
      if (sender) this.#inFlight.add(sender);
      const spacing = refresher.lastSuccessMs + MIN_REFRESH_SPACING_MS - clock.now();
      try {
        if (spacing > 0) await sleep(clock, spacing, this.#abort.signal);
        if (!sender && clock.now() < this.#nextDueMs) continue;
        const release = await this.#lock();
        try {
          await refresher.refresh(sender ? 'bypass_standard' : 'scheduled', { lockHeld: true });
        } finally {
          release();
        }
      } catch {
        break; // stopped while sleeping out the spacing
      } finally {
        if (sender) {
          this.#inFlight.delete(sender);
          sender.settle('granted');
        }
      }
      this.#nextDueMs = refresher.nextScheduledMs(clock.now());
    }
  }

  async #lock(): Promise<() => void> {
    const release = await this.#o.mutex.acquire();
    const t0 = performance.now();
    return () => {
      this.#o.metrics.stateLockHold.observe((performance.now() - t0) / 1000);
      release();
    };
  }
}
