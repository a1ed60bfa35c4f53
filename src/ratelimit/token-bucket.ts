// A token bucket on the caller's clock: `capacity` tokens, refilled to full at the start of every
// `refillIntervalMs` window (windows count from the bucket's first use). Synchronous: a draw answers at once and never
// waits for a refill, so a caller on fake time sees exactly what it would on real time.
export interface TokenBucketOptions {
  readonly capacity: number;
  readonly refillIntervalMs: number;
}

export class TokenBucket {
  readonly #capacity: number;
  #refillIntervalMs: number;
  #windowStartMs = Number.NaN;
  #tokens: number;

  constructor(options: TokenBucketOptions) {
    this.#capacity = options.capacity;
    this.#refillIntervalMs = options.refillIntervalMs;
    this.#tokens = options.capacity;
  }

  get capacity(): number {
    return this.#capacity;
  }

  get refillIntervalMs(): number {
    return this.#refillIntervalMs;
  }

  /** Takes one token if there is one at `nowMs`. */
  tryTake(nowMs: number): boolean {
    this.#refill(nowMs);
    if (this.#tokens <= 0) return false;
    this.#tokens--;
    return true;
  }

  remaining(nowMs: number): number {
    this.#refill(nowMs);
    return this.#tokens;
  }

  /** Follows the refresh interval, including the backend override; the current window keeps its start. */
  setRefillInterval(refillIntervalMs: number): void {
    this.#refillIntervalMs = refillIntervalMs;
  }

  #refill(nowMs: number): void {
    if (Number.isNaN(this.#windowStartMs)) {
      this.#windowStartMs = nowMs;
      return;
    }
    const elapsed = nowMs - this.#windowStartMs;
    if (elapsed < this.#refillIntervalMs) return;
    this.#windowStartMs += Math.floor(elapsed / this.#refillIntervalMs) * this.#refillIntervalMs;
    this.#tokens = this.#capacity;
  }
}
