// Cache bypasses: a new client (or a known one asking for a product the agent does not fetch yet) asks the poll loop
// for a fresh refresh and waits for it, at most its lane's block TTL.
//
// Fast-lane policy (CoalescingBypassCoordinator): every waiter registered before a refresh starts is answered when
// that refresh publishes; waiters arriving while it runs join the next one. A token (from the lane's own bucket) is
// drawn only to schedule a round; joining a scheduled round is free. A round with a fast-lane waiter is a fast-lane
// refresh and runs before anything else the loop has pending.
//
// Legacy policy (LegacyBypassCoordinator): the reference agent exactly (PROTOCOL.md §4.2) — one bypass in flight
// through an unbuffered hand-off read only by an idle poll loop, one fixed-window limiter, the 2 s budget shared by
// the hand-off and the wait.
import type { TokenBucket, FixedWindowLimiter } from '../ratelimit/index.js';
import type { Clock } from './clock.js';
import type { Lane } from './lanes.js';

/**
 * granted: scheduled a refresh (drew a token) and was answered by it; coalesced: joined a scheduled refresh for free;
 * skipped: the next refresh could not publish within the block TTL, so the request was answered from the newest
 * snapshot without waiting for it (at once, or when the refresh in flight published) — the reply a timeout would give,
 * sooner; rate_limited: no token, answered at once; timeout: the block TTL ran out; aborted: the caller went away.
 */
export type BypassOutcome = 'granted' | 'coalesced' | 'skipped' | 'rate_limited' | 'timeout' | 'aborted';
export const BYPASS_OUTCOMES: readonly BypassOutcome[] = [
  'granted',
  'coalesced',
  'skipped',
  'rate_limited',
  'timeout',
  'aborted',
];

/** What the coalescing coordinator needs to know of the poll loop's timing. */
export interface RefreshTiming {
  /** The refresh running now (resolves once it published or failed), or undefined when none runs. */
  running(): { readonly done: Promise<void>; readonly products: ReadonlySet<string> } | undefined;
  /** True when the current snapshot was fetched for this product. */
  fetches(product: string): boolean;
  /** The earliest time a refresh that has not started yet could publish (spacing + the fastest recent refresh). */
  earliestNextLandingMs(nowMs: number): number;
}

/** What the poll loop runs next when it has bypass work. */
export interface BypassRound {
  readonly lanes: ReadonlySet<Lane>;
  /** Called once the refresh finished (published or failed). */
  finish(): void;
  /** Legacy only: the limiter said no; the waiter is answered from the cache at once. */
  readonly rateLimited?: boolean;
}

export interface BypassCoordinator {
  /** Legacy: the poll loop commits to a bypass before sleeping out the refresh spacing (the reference's order). */
  readonly takesRoundBeforeSpacing: boolean;
  /** Waits for a refresh that includes this client (asking for `products`), at most `blockTtlMs`. */
  requestBypass(
    lane: Lane,
    products: readonly string[],
    blockTtlMs: number,
    signal: AbortSignal,
  ): Promise<BypassOutcome>;
  /** True when the poll loop has bypass work to pick up. */
  hasPending(): boolean;
  /** Takes the pending round at refresh start (the loop calls it when idle). */
  takeRound(nowMs: number): BypassRound | undefined;
  /** Wakes the poll loop when bypass work arrives. */
  onWork(listener: () => void): void;
  /** Answers every waiter now (stop). */
  close(): void;
}

interface Waiter {
  settle(outcome: BypassOutcome): void;
}

/** Waits for `done`, the block TTL or the abort signal, whichever comes first. */
function waitBounded(
  clock: Clock,
  register: (waiter: Waiter) => void,
  unregister: (waiter: Waiter) => void,
  blockTtlMs: number,
  signal: AbortSignal,
): Promise<BypassOutcome> {
  return new Promise<BypassOutcome>((resolve) => {
    let settled = false;
    const waiter: Waiter = {
      settle(outcome) {
        if (settled) return;
        settled = true;
        clock.clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        resolve(outcome);
      },
    };
    const onAbort = (): void => {
      unregister(waiter);
      waiter.settle('aborted');
    };
    const timer = clock.setTimeout(() => {
      unregister(waiter);
      waiter.settle('timeout');
    }, blockTtlMs);
    if (signal.aborted) {
      waiter.settle('aborted');
      return;
    }
    signal.addEventListener('abort', onAbort, { once: true });
    register(waiter);
  });
}

interface Round {
  readonly waiters: Map<Waiter, 'granted' | 'coalesced'>;
  readonly lanes: Set<Lane>;
}

export class CoalescingBypassCoordinator implements BypassCoordinator {
  readonly takesRoundBeforeSpacing = false;
  #next: Round | undefined;
  #listener: () => void = () => undefined;
  readonly #running = new Set<Round>();
  readonly #drawing: Record<Lane, Promise<boolean> | undefined> = { fast: undefined, standard: undefined };

  #timing: RefreshTiming = {
    running: () => undefined,
    fetches: () => false,
    earliestNextLandingMs: (nowMs) => nowMs,
  };

  constructor(
    private readonly clock: Clock,
    private readonly buckets: Readonly<Record<Lane, TokenBucket>>,
  ) {}

  setTiming(timing: RefreshTiming): void {
    this.#timing = timing;
  }

  async requestBypass(
    lane: Lane,
    products: readonly string[],
    blockTtlMs: number,
    signal: AbortSignal,
  ): Promise<BypassOutcome> {
    const kind = await this.#schedule(lane);
    if (signal.aborted) return 'aborted';
    if (kind === 'rate_limited' || !this.#next) return 'rate_limited';
    const round = this.#next;
    round.lanes.add(lane);
    const now = this.clock.now();
    if (this.#timing.earliestNextLandingMs(now) - now >= blockTtlMs) {
      // The round this client joined cannot publish within its block TTL: waiting would end in a timeout answered
      // from the snapshot of the refresh in flight (or the current one). When that snapshot holds the client's
      // products, answer with it as soon as it exists; the scheduled round still tells the backend about the client.
      const running = this.#timing.running();
      const covered = (fetched: (p: string) => boolean): boolean => products.every(fetched);
      if (running && covered((p) => running.products.has(p))) {
        this.#listener();
        await waitBounded(
          this.clock,
          (w) => void running.done.then(() => w.settle('skipped')),
          () => undefined,
          blockTtlMs,
          signal,
        );
        return signal.aborted ? 'aborted' : 'skipped';
      }
      if (!running && covered((p) => this.#timing.fetches(p))) {
        this.#listener();
        return 'skipped';
      }
    }
    const outcome = waitBounded(
      this.clock,
      (w) => round.waiters.set(w, kind),
      (w) => round.waiters.delete(w),
      blockTtlMs,
      signal,
    );
    this.#listener();
    return outcome;
  }

  /** Joins the scheduled round for free, or draws a token from the lane's bucket to schedule one. */
  async #schedule(lane: Lane): Promise<'granted' | 'coalesced' | 'rate_limited'> {
    for (;;) {
      if (this.#next) return 'coalesced';
      // One draw per lane at a time, so a burst of new clients spends one token, not one each.
      const pending = this.#drawing[lane];
      if (pending) {
        const granted = await pending;
        if (!granted && !this.#next) return 'rate_limited';
        continue;
      }
      const draw = this.buckets[lane].tryTake();
      this.#drawing[lane] = draw;
      const granted = await draw;
      this.#drawing[lane] = undefined;
      if (this.#next) return 'coalesced';
      if (!granted) return 'rate_limited';
      this.#next = { waiters: new Map(), lanes: new Set() };
      return 'granted';
    }
  }

  hasPending(): boolean {
    return this.#next !== undefined;
  }

  takeRound(): BypassRound | undefined {
    const round = this.#next;
    if (!round) return undefined;
    this.#next = undefined;
    this.#running.add(round);
    return {
      lanes: round.lanes,
      finish: () => {
        this.#running.delete(round);
        for (const [waiter, kind] of round.waiters) waiter.settle(kind);
        round.waiters.clear();
      },
    };
  }

  onWork(listener: () => void): void {
    this.#listener = listener;
  }

  close(): void {
    const rounds = [...this.#running, ...(this.#next ? [this.#next] : [])];
    this.#next = undefined;
    for (const round of rounds) for (const waiter of round.waiters.keys()) waiter.settle('timeout');
  }
}

export class LegacyBypassCoordinator implements BypassCoordinator {
  readonly takesRoundBeforeSpacing = true;
  /** Senders blocked on the unbuffered channel, oldest first. */
  readonly #senders: Waiter[] = [];
  readonly #inFlight = new Set<Waiter>();
  #listener: () => void = () => undefined;

  constructor(
    private readonly clock: Clock,
    private readonly limiter: FixedWindowLimiter,
  ) {}

  requestBypass(
    _lane: Lane,
    _products: readonly string[],
    blockTtlMs: number,
    signal: AbortSignal,
  ): Promise<BypassOutcome> {
    const outcome = waitBounded(
      this.clock,
      (w) => this.#senders.push(w),
      (w) => {
        const i = this.#senders.indexOf(w);
        if (i >= 0) this.#senders.splice(i, 1);
        this.#inFlight.delete(w);
      },
      blockTtlMs,
      signal,
    );
    this.#listener();
    return outcome;
  }

  hasPending(): boolean {
    return this.#senders.length > 0;
  }

  takeRound(nowMs: number): BypassRound | undefined {
    const sender = this.#senders.shift();
    if (!sender) return undefined;
    // The poll loop's side: `if !limiter.Limit() { refresh() } else { IncRateLimit }`, then close the channel.
    if (this.limiter.limited(nowMs)) {
      sender.settle('rate_limited');
      return { lanes: new Set<Lane>(['standard']), rateLimited: true, finish: () => undefined };
    }
    this.#inFlight.add(sender);
    return {
      lanes: new Set<Lane>(['standard']),
      finish: () => {
        this.#inFlight.delete(sender);
        sender.settle('granted');
      },
    };
  }

  onWork(listener: () => void): void {
    this.#listener = listener;
  }

  close(): void {
    for (const w of [...this.#senders.splice(0), ...this.#inFlight]) w.settle('timeout');
    this.#inFlight.clear();
  }
}
