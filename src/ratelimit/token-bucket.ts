// A token bucket on bottleneck's reservoir: `capacity` tokens, refilled to full every `refillIntervalMs`.
// A draw never waits: when the reservoir is empty bottleneck drops the job (highWater 0 + OVERFLOW) and the draw
// answers false at once. Draws are serialised per bucket so concurrent callers never overdraw.
import Bottleneck from 'bottleneck';

export interface TokenBucketOptions {
  readonly capacity: number;
  readonly refillIntervalMs: number;
}

export class TokenBucket {
  #limiter: Bottleneck;
  #capacity: number;
  #refillIntervalMs: number;

  constructor(options: TokenBucketOptions) {
    this.#capacity = options.capacity;
    this.#refillIntervalMs = options.refillIntervalMs;
    this.#limiter = new Bottleneck({
      reservoir: options.capacity,
      reservoirRefreshAmount: options.capacity,
      reservoirRefreshInterval: options.refillIntervalMs,
      highWater: 0,
      strategy: Bottleneck.strategy.OVERFLOW,
    });
    // Dropped jobs are the rate-limited outcome, not an error.
    this.#limiter.on('error', () => undefined);
  }

  get capacity(): number {
    return this.#capacity;
  }

  get refillIntervalMs(): number {
    return this.#refillIntervalMs;
  }

  /** Takes one token if there is one; never waits for a refill. */
  async tryTake(): Promise<boolean> {
    if (this.#capacity <= 0) return false;
    return this.#limiter.schedule(async () => true).catch(() => false);
  }

  async remaining(): Promise<number> {
    return (await this.#limiter.currentReservoir()) ?? 0;
  }

  /** Follows the refresh interval, including the backend override. */
  setRefillInterval(refillIntervalMs: number): void {
    if (refillIntervalMs === this.#refillIntervalMs) return;
    this.#refillIntervalMs = refillIntervalMs;
    this.#limiter.updateSettings({ reservoirRefreshInterval: refillIntervalMs });
  }

  async stop(): Promise<void> {
    await this.#limiter.stop({ dropWaitingJobs: true }).catch(() => undefined);
    await this.#limiter.disconnect();
  }
}
