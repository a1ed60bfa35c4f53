// The fast-lane policy (rc-agent's own scheduling; DESIGN.md "Fast lane", "Freshness contract", "Coalescing").
//
// Freshness contract: a client that needs fresh data is answered from a snapshot whose refresh started at most
// FRESHNESS_WINDOW_MS before its request and asked the backend for the products it waits for (its fast-lane products;
// every product in the standard lane) — so it holds what the backend held at least that long before the request:
// 1. the published snapshot is that fresh: answer at once (fresh_snapshot);
// 2. else the refresh in flight is: wait for it (joined_refresh);
// 3. else join the next round (coalesced), or draw a token from the lane's budget to schedule one (granted).
// After 2 or 3, what the refresh published must itself be dated within the window (a cluster follower's round is
// dated from the leader's backend request, possibly earlier): else the request waits for the next round within the
// same bound, or is answered with what there is as `timeout`.
// Each wait is bounded by the lane's block TTL; when the published snapshot lacks the products altogether (an answer
// now would hold none of them) the bound is MAX_HOLD_MS instead. A request asking for products the agent does not
// fetch yet, beyond those it waits for (a bundled tracer's other products), also schedules a round without waiting
// for it: they arrive by its next poll, and its flags are not delayed by them.
//
// The loop: a round starts as soon as the refresh spacing (and, while the backend fails, the backoff) allows, and
// everyone registered before it starts is answered by it; a scheduled poll due meanwhile merges into it.
import type { Clock } from '../clock/index.js';
import type { Lane } from './lanes.js';
import type { Logger } from './logger.js';
import type { Refresher, RefreshReason, RefreshResult } from './refresher.js';
import { ServiceError } from './error.js';
import {
  sleepOrWake,
  waitBounded,
  type BypassBudget,
  type BypassOutcome,
  type ScheduledRequest,
  type SchedulingPolicy,
  type Waiter,
} from './scheduling.js';

/** How old (by its refresh's start) a snapshot may be and still answer a client that needs fresh data. */
export const FRESHNESS_WINDOW_MS = 1000;
/** The longest any request is held when the published snapshot has none of what it waits for (dd-trace gives up at 2 s). */
export const MAX_HOLD_MS = 1500;

export interface FastLanePolicyOptions {
  readonly clock: Clock;
  readonly refresher: Refresher;
  readonly budgets: Readonly<Record<Lane, BypassBudget>>;
  readonly blockTtlMs: Readonly<Record<Lane, number>>;
  readonly log: Logger;
}

type RoundOutcome = 'granted' | 'coalesced';
type WaitOutcome = RoundOutcome | 'joined_refresh' | 'refresh_failed' | 'timeout' | 'aborted';

/** Outcomes of a wait that ended with a refresh: what it published is checked against the request's window. */
const WAITED_FOR_A_REFRESH: ReadonlySet<BypassOutcome> = new Set(['joined_refresh', 'granted', 'coalesced']);

interface Round {
  readonly waiters: Map<Waiter<WaitOutcome>, RoundOutcome>;
  readonly lanes: Set<Lane>;
}

export class FastLanePolicy implements SchedulingPolicy {
  readonly #o: FastLanePolicyOptions;
  #next: Round | undefined;
  #nextDueMs = 0;
  #stopped = true;
  #loop: Promise<void> | undefined;
  #wake: () => void = () => undefined;
  readonly #inFlight = new Set<Round>();

  constructor(options: FastLanePolicyOptions) {
    this.#o = options;
  }

  async serve<T>(request: ScheduledRequest<T>, ctx: { readonly signal: AbortSignal }): Promise<T> {
    const need = request.track();
    if (!need) return request.answer();
    const t0 = this.#o.clock.now();
    const admitted = this.#admit(request, need.waitFor, ctx, t0);
    const outcome = typeof admitted === 'string' ? admitted : await admitted;
    request.settled(outcome, this.#o.clock.now() - t0);
    if (outcome === 'aborted') throw new ServiceError('CANCELLED', 'context canceled');
    if (outcome !== 'fresh_snapshot') request.track();
    return request.answer();
  }

  /**
   * Admits a request that arrived at `requestMs`, then checks what the refresh it waited for published: dated too
   * early for the request (a cluster follower's round is dated from the leader's backend request, which may precede
   * the follower's refresh and the request), or without its products, it does not answer the request as current. The
   * request waits for the next round within the same hold; when the hold runs out first (or the next round cannot
   * land within it) it is answered with what there is, as `timeout`. Every wait ends with a refresh or the hold, so
   * this loops at most once per refresh (≥ 1 s apart) within a hold of ≤ 1.5 s.
   */
  #admit(
    request: ScheduledRequest<unknown>,
    waitFor: readonly string[],
    ctx: { readonly signal: AbortSignal },
    requestMs: number,
  ): BypassOutcome | Promise<BypassOutcome> {
    const windowStart = requestMs - FRESHNESS_WINDOW_MS;
    const first = this.#admitOnce(request, waitFor, ctx, windowStart, undefined);
    if (typeof first === 'string') return first;
    const settle = async (pending: Promise<BypassOutcome>, deadlineMs: number): Promise<BypassOutcome> => {
      for (;;) {
        const outcome = await pending;
        if (!WAITED_FOR_A_REFRESH.has(outcome) || this.#current(windowStart, waitFor)) return outcome;
        if (this.#o.clock.now() >= deadlineMs) return 'timeout';
        const next = this.#admitOnce(request, waitFor, ctx, windowStart, deadlineMs);
        if (typeof next === 'string') return next;
        pending = next.wait;
      }
    };
    return settle(first.wait, first.deadlineMs);
  }

  /** True when the published snapshot holds the backend's state as of `windowStart` or later for `waitFor`. */
  #current(windowStart: number, waitFor: readonly string[]): boolean {
    const fresh = this.#o.refresher.freshness;
    return fresh.asOfMs >= windowStart && covers(fresh.products, waitFor);
  }

  /**
   * One admission: an outcome at once, or a wait (bounded by `deadlineMs`; on the first admission, by the lane's bound
   * from now). A re-admission (`deadlineMs` given) answers `timeout` at once when no round can land before it.
   */
  #admitOnce(
    request: ScheduledRequest<unknown>,
    waitFor: readonly string[],
    ctx: { readonly signal: AbortSignal },
    windowStart: number,
    deadlineMs: number | undefined,
  ): BypassOutcome | { readonly wait: Promise<BypassOutcome>; readonly deadlineMs: number } {
    const { clock, refresher } = this.#o;
    const now = clock.now();
    const { lane } = request;
    const running = refresher.running;
    // Products it asks for that nobody fetches yet (a bundled tracer's other products): schedule a round for them
    // without holding the answer; they arrive by its next poll.
    const unfetched = (p: string): boolean => !refresher.fetches(p) && !(running?.products.has(p) ?? false);
    const fetchSoon = (): void => {
      if (!this.#next && request.products.some(unfetched)) this.#draw(lane, now);
    };

    if (this.#current(windowStart, waitFor)) {
      fetchSoon();
      return 'fresh_snapshot';
    }
    const bound =
      deadlineMs ?? now + (waitFor.every((p) => refresher.holds(p)) ? this.#o.blockTtlMs[lane] : MAX_HOLD_MS);
    const ttlMs = bound - now;
    if (running && running.startedAtMs >= windowStart && covers(running.products, waitFor)) {
      fetchSoon();
      const wait = waitBounded<'joined_refresh' | 'refresh_failed'>(
        clock,
        (w) => void running.done.then((r) => w.settle(r === 'ok' ? 'joined_refresh' : 'refresh_failed')),
        () => undefined,
        ttlMs,
        ctx.signal,
      );
      return { wait, deadlineMs: bound };
    }
    // A new round. While the backend fails, do not hold a request for a round that cannot land within its bound.
    const landsAfterBound = refresher.earliestStartMs(lane) + refresher.typicalRefreshMs >= bound;
    if (refresher.failing && landsAfterBound) {
      if (!this.#next) this.#draw(lane, now);
      return 'backing_off';
    }
    // A re-admission after a round too old for the request: nothing to wait for when the next cannot land in time.
    if (deadlineMs !== undefined && landsAfterBound) return 'timeout';
    const kind: RoundOutcome | undefined = this.#next ? 'coalesced' : this.#draw(lane, now) ? 'granted' : undefined;
    const round = this.#next;
    if (!kind || !round) return 'rate_limited';
    round.lanes.add(lane);
    this.#wake();
    const wait = waitBounded<WaitOutcome>(
      clock,
      (w) => round.waiters.set(w, kind),
      (w) => round.waiters.delete(w),
      ttlMs,
      ctx.signal,
    );
    return { wait, deadlineMs: bound };
  }

  /** Draws a token from the lane's budget to schedule the next round. */
  #draw(lane: Lane, nowMs: number): boolean {
    if (!this.#o.budgets[lane].tryTake(nowMs)) return false;
    this.#next = { waiters: new Map(), lanes: new Set([lane]) };
    this.#wake();
    return true;
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#loop = this.#run().catch((err: unknown) => this.#o.log.error({ err }, 'poll loop crashed'));
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#o.refresher.abort();
    this.#wake();
    await this.#loop;
    const rounds = [...this.#inFlight, ...(this.#next ? [this.#next] : [])];
    this.#next = undefined;
    for (const round of rounds) for (const waiter of round.waiters.keys()) waiter.settle('timeout');
  }

  refreshSoon(): void {
    this.#nextDueMs = 0;
    this.#wake();
  }

  setRefreshInterval(intervalMs: number): void {
    this.#o.budgets.fast.setRefillInterval(intervalMs);
    this.#o.budgets.standard.setRefillInterval(intervalMs);
  }

  async #run(): Promise<void> {
    const { clock, refresher } = this.#o;
    while (!this.#stopped) {
      // Sleep until a round may start or a scheduled poll is due; new work wakes the loop to recompute.
      const startAt = this.#next
        ? refresher.earliestStartMs(this.#next.lanes.has('fast') ? 'fast' : 'standard')
        : Math.max(this.#nextDueMs, refresher.earliestStartMs('scheduled'));
      if (startAt > clock.now()) {
        await sleepOrWake(clock, startAt - clock.now(), (wake) => (this.#wake = wake));
        continue;
      }
      const round = this.#next;
      this.#next = undefined;
      const reason: RefreshReason = !round ? 'scheduled' : round.lanes.has('fast') ? 'bypass_fast' : 'bypass_standard';
      if (round) this.#inFlight.add(round);
      let result: RefreshResult = 'cancelled';
      try {
        result = await refresher.refresh(reason);
      } finally {
        if (round) {
          this.#inFlight.delete(round);
          for (const [waiter, kind] of round.waiters) waiter.settle(result === 'ok' ? kind : 'refresh_failed');
        }
      }
      this.#nextDueMs = refresher.nextScheduledMs(clock.now());
    }
  }
}

function covers(fetched: ReadonlySet<string>, products: readonly string[]): boolean {
  for (const p of products) if (!fetched.has(p)) return false;
  return true;
}
