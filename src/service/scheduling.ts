// When to refresh: the interface between the RC service and its scheduling policies (fast-lane-policy.ts,
// legacy-policy.ts). A policy runs the poll loop (start/stop) and decides, for each request, whether it waits for a
// refresh before the service answers it from the published snapshot.
import type { Lane } from './lanes.js';
import type { ServiceMetrics } from './metrics.js';
import type { Clock } from '../clock/index.js';

/**
 * How a request from a client that needs fresh data (new, or asking for a product the agent does not fetch yet) was
 * answered:
 * - fresh_snapshot: at once — the published snapshot was fetched with its products less than the freshness window
 *   before the request;
 * - joined_refresh: after the refresh already in flight (started within the window, asking for its products);
 * - granted: after a refresh it scheduled (it drew a bypass token);
 * - coalesced: after a scheduled refresh it joined for free;
 *   (these three only when what the refresh published is dated within the window: a cluster round dated earlier
 *   sends the request on to the next round);
 * - rate_limited: at once from the published snapshot, the lane's bypass budget being spent;
 * - backing_off: at once, the backend failing and the next refresh not allowed within the block TTL;
 * - refresh_failed: the refresh it waited for failed; answered from the published snapshot;
 * - timeout: its hold ran out first, or would have: the round it waited for was dated before its window and the next
 *   could not land within the hold (answered from the published snapshot);
 * - aborted: the caller went away.
 */
export type BypassOutcome =
  | 'fresh_snapshot'
  | 'joined_refresh'
  | 'granted'
  | 'coalesced'
  | 'rate_limited'
  | 'backing_off'
  | 'refresh_failed'
  | 'timeout'
  | 'aborted';
export const BYPASS_OUTCOMES: readonly BypassOutcome[] = [
  'fresh_snapshot',
  'joined_refresh',
  'granted',
  'coalesced',
  'rate_limited',
  'backing_off',
  'refresh_failed',
  'timeout',
  'aborted',
];

/** Why a request needs fresh data, and the products whose freshness it waits for. */
export interface FreshnessNeed {
  readonly reason: 'new_client' | 'new_product';
  /** New client: its fast-lane products (all of them in the standard lane). New product: the unfetched ones. */
  readonly waitFor: readonly string[];
}

/** One ClientGetConfigs call, as a policy sees it. */
export interface ScheduledRequest<T> {
  readonly lane: Lane;
  /** Every product it asks for. */
  readonly products: readonly string[];
  /** Records the client as seen now; says whether it needs fresh data. */
  track(): FreshnessNeed | undefined;
  /** Builds the reply from the snapshot published at the time of the call. */
  answer(): T;
  /** How its wait for fresh data ended (called once, only for requests that needed fresh data). */
  settled(outcome: BypassOutcome, waitedMs: number): void;
}

export interface SchedulingPolicy {
  /**
   * Runs a request: waits (bounded) for fresh data when it needs it, then answers it. Throws CANCELLED on abort.
   * `ctx.signal` is read only by a request that waits (transports create it lazily: most requests never wait).
   */
  serve<T>(request: ScheduledRequest<T>, ctx: { readonly signal: AbortSignal }): Promise<T>;
  start(): void;
  /** Stops the loop, answers every waiter, aborts a backend request in flight. */
  stop(): Promise<void>;
  /** Refresh as soon as the spacing allows (after a reset, or when the source changed). */
  refreshSoon(): void;
  /** The refresh interval changed: budgets follow it. */
  setRefreshInterval(intervalMs: number): void;
}

/** A lane's bypass budget: synchronous, on the caller's clock. */
export interface BypassBudget {
  tryTake(nowMs: number): boolean;
  setRefillInterval(intervalMs: number): void;
}

/** Counts bypass outcomes (for status) and records them as metrics. */
export class BypassStats {
  readonly counts: Record<Lane, Record<BypassOutcome, number>>;
  readonly #metrics: ServiceMetrics;

  constructor(metrics: ServiceMetrics) {
    this.#metrics = metrics;
    const zero = (): Record<BypassOutcome, number> =>
      Object.fromEntries(BYPASS_OUTCOMES.map((o) => [o, 0])) as Record<BypassOutcome, number>;
    this.counts = { fast: zero(), standard: zero() };
  }

  record(lane: Lane, outcome: BypassOutcome, waitedMs: number): void {
    this.counts[lane][outcome]++;
    this.#metrics.bypassRequests.inc({ lane, outcome });
    this.#metrics.bypassWait.observe({ lane }, waitedMs / 1000);
  }
}

export interface Waiter<O> {
  settle(outcome: O): void;
}

/**
 * Waits until `register`'s waiter is settled, `ttlMs` passes ('timeout') or the signal aborts ('aborted'), whichever
 * comes first; `unregister` runs when the wait ends without being settled.
 */
export function waitBounded<O extends string>(
  clock: Clock,
  register: (waiter: Waiter<O | 'timeout' | 'aborted'>) => void,
  unregister: (waiter: Waiter<O | 'timeout' | 'aborted'>) => void,
  ttlMs: number,
  signal: AbortSignal,
): Promise<O | 'timeout' | 'aborted'> {
  return new Promise((resolve) => {
    let settled = false;
    const waiter: Waiter<O | 'timeout' | 'aborted'> = {
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
    }, ttlMs);
    if (signal.aborted) {
      waiter.settle('aborted');
      return;
    }
    signal.addEventListener('abort', onAbort, { once: true });
    register(waiter);
  });
}

/** Resolves after `ms` or when `wake` is called, whichever comes first. */
export function sleepOrWake(clock: Clock, ms: number, onWake: (wake: () => void) => void): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clock.clearTimeout(timer);
      onWake(() => undefined);
      resolve();
    };
    const timer = clock.setTimeout(done, Math.max(0, ms));
    onWake(done);
  });
}
