// Concurrency pools for `/v0.7/config` fetches: the fast lane has its own, smaller pool so its fetches never queue
// behind standard ones, and a burst of fast-lane fetches cannot take every slot either.
//
// Why a small semaphore rather than bottleneck or an undici Agent per pool:
// - bottleneck hops through its own real timers for every job (≈ 6 ms per job, measured with `maxConcurrent: 20` on
//   the shared 2-core machine — as much as a fast-lane answer itself) and ≈ 4.9 KB per limiter, which a bench booting
//   10,000 clients (two pools each) cannot afford; it also cannot drop a queued job whose request was aborted.
// - an undici Agent per pool limits sockets per origin, not requests, and would replace the caller's `dispatcher`.
// This one is synchronous, timer-free (so deterministic under fake time), O(1) per fetch, and drops aborted waiters.
import { checkMaxConcurrent } from './checks.js';

export const DEFAULT_FAST_LANE_MAX_CONCURRENT = 20;
export const DEFAULT_STANDARD_MAX_CONCURRENT = 100;

/** Gives back the slot; calling it again does nothing. */
export type ReleaseSlot = () => void;

interface Waiter {
  readonly grant: () => void;
}

/** At most `maxConcurrent` holders at once; the others wait in arrival order. */
export class ConcurrencyLimit {
  private active = 0;
  /** Insertion-ordered: the first entry is the longest waiting. */
  private readonly waiters = new Set<Waiter>();

  readonly maxConcurrent: number;

  /** `name`: the option the limit came from, for the error message. */
  constructor(maxConcurrent: number, name = 'maxConcurrent') {
    this.maxConcurrent = checkMaxConcurrent(name, maxConcurrent);
  }

  /** Slots held now. */
  get inFlight(): number {
    return this.active;
  }

  /** Callers waiting for a slot. */
  get queued(): number {
    return this.waiters.size;
  }

  /**
   * Resolves with the release function once a slot is held. If `signal` aborts first, rejects and leaves the queue,
   * so an abandoned fetch never takes a slot.
   */
  acquire(signal?: AbortSignal): Promise<ReleaseSlot> {
    if (signal?.aborted) return Promise.reject(abortedWhileQueued(signal));
    if (this.active < this.maxConcurrent) {
      this.active++;
      return Promise.resolve(this.releaser());
    }
    return new Promise<ReleaseSlot>((resolve, reject) => {
      const onAbort = (): void => {
        this.waiters.delete(waiter);
        reject(abortedWhileQueued(signal!));
      };
      const waiter: Waiter = {
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve(this.releaser());
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.add(waiter);
    });
  }

  private releaser(): ReleaseSlot {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiters.values().next();
      if (next.done === true) {
        this.active--;
        return;
      }
      // The slot passes straight to the next waiter: `active` stays.
      this.waiters.delete(next.value);
      next.value.grant();
    };
  }
}

function abortedWhileQueued(signal: AbortSignal): Error {
  return new Error('aborted while waiting for a fetch slot', { cause: signal.reason });
}

/**
 * The two pools fetches go through. Each client has its own unless one is passed as the `fetchPools` option; share
 * one between the clients of a process to bound their fetches together.
 */
export interface RcFetchPools {
  readonly fast: ConcurrencyLimit;
  readonly standard: ConcurrencyLimit;
}

export interface RcFetchPoolOptions {
  /** Default 20. */
  readonly fastLaneMaxConcurrent?: number;
  /** Default 100. */
  readonly standardMaxConcurrent?: number;
}

export function createFetchPools(options: RcFetchPoolOptions = {}): RcFetchPools {
  return {
    fast: new ConcurrencyLimit(
      options.fastLaneMaxConcurrent ?? DEFAULT_FAST_LANE_MAX_CONCURRENT,
      'fastLaneMaxConcurrent',
    ),
    standard: new ConcurrencyLimit(
      options.standardMaxConcurrent ?? DEFAULT_STANDARD_MAX_CONCURRENT,
      'standardMaxConcurrent',
    ),
  };
}
