// A lane's bypass budget shared by the fleet: tokens come from one token bucket in Redis (scripts.ts TAKE_TOKENS), so
// the backend sees at most the configured bypasses per interval whatever the replica count. The BypassBudget interface
// is synchronous, so each replica holds a small lease of tokens, topped up asynchronously after every draw and at the
// start of every window; a lease is valid only in the window it was drawn in. While the replica is not joined (Redis
// down or slow), the local bucket answers, as a standalone agent's would.
import { TokenBucket } from '../ratelimit/index.js';
import type { BypassBudget } from '../service/index.js';

export interface TokenSource {
  /** True while the replica is part of the fleet (Redis reachable). */
  readonly joined: boolean;
  /** Takes up to `wanted` tokens from the fleet bucket; resolves with the tokens granted and the ms left in the window. */
  takeTokens(
    bucket: string,
    capacity: number,
    intervalMs: number,
    wanted: number,
  ): Promise<{ granted: number; windowLeftMs: number }>;
}

export interface FleetBudgetOptions {
  readonly bucket: string;
  readonly capacity: number;
  readonly refillIntervalMs: number;
  readonly source: TokenSource;
  /** Wall clock (Redis windows are on Redis's clock; leases are measured locally). */
  readonly now?: () => number;
}

export class FleetBudget implements BypassBudget {
  readonly #o: FleetBudgetOptions;
  readonly #local: TokenBucket;
  readonly #now: () => number;
  readonly #leaseSize: number;
  #intervalMs: number;
  #leased = 0;
  #leaseUntilMs = 0;
  #topping: Promise<void> | undefined;
  #windowTimer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  constructor(options: FleetBudgetOptions) {
    this.#o = options;
    this.#intervalMs = options.refillIntervalMs;
    this.#now = options.now ?? Date.now;
    this.#local = new TokenBucket({ capacity: options.capacity, refillIntervalMs: options.refillIntervalMs });
    // A few tokens per replica: enough for a burst of bypasses before the top-up lands, few enough to share.
    this.#leaseSize = Math.min(options.capacity, Math.max(1, Math.ceil(options.capacity / 4)));
  }

  /** Tokens held locally now (status, tests). */
  get leased(): number {
    return this.#now() < this.#leaseUntilMs ? this.#leased : 0;
  }

  tryTake(nowMs: number): boolean {
    if (!this.#o.source.joined) return this.#local.tryTake(nowMs);
    const granted = this.leased > 0;
    if (granted) this.#leased--;
    void this.topUp();
    return granted;
  }

  setRefillInterval(intervalMs: number): void {
    this.#intervalMs = intervalMs;
    this.#local.setRefillInterval(intervalMs);
  }

  /** Draws tokens from the fleet bucket up to the lease size (at most one draw in flight). */
  topUp(): Promise<void> {
    if (this.#closed || !this.#o.source.joined) return Promise.resolve();
    this.#topping ??= this.#draw().finally(() => (this.#topping = undefined));
    return this.#topping;
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#windowTimer);
  }

  async #draw(): Promise<void> {
    const held = this.leased;
    if (held >= this.#leaseSize) return;
    let answer;
    try {
      answer = await this.#o.source.takeTokens(
        this.#o.bucket,
        this.#o.capacity,
        this.#intervalMs,
        this.#leaseSize - held,
      );
    } catch {
      return; // Redis failing: the cluster notices and the local bucket takes over
    }
    const now = this.#now();
    this.#leased = this.leased + answer.granted;
    this.#leaseUntilMs = now + answer.windowLeftMs;
    // A new window refills the fleet bucket: lease again as it starts.
    clearTimeout(this.#windowTimer);
    if (!this.#closed) {
      this.#windowTimer = setTimeout(() => void this.topUp(), answer.windowLeftMs + 1);
      this.#windowTimer.unref();
    }
  }
}
