// The simulator's per-server request limit: a token bucket refilled continuously, burst = one second's worth.
// It answers "how long until the next token" so a 429 can carry an honest Retry-After.

export class RequestRateLimiter {
  readonly #ratePerS: number;
  readonly #burst: number;
  #tokens: number;
  #lastMs: number;

  constructor(ratePerS: number, nowMs: number) {
    if (!(ratePerS > 0)) throw new RangeError(`rate must be > 0 requests/s, got ${ratePerS}`);
    this.#ratePerS = ratePerS;
    this.#burst = Math.max(1, ratePerS);
    this.#tokens = this.#burst;
    this.#lastMs = nowMs;
  }

  /** Takes a token; returns 0 when allowed, else the wait in ms until one is available. */
  take(nowMs: number): number {
    const elapsedMs = Math.max(0, nowMs - this.#lastMs);
    this.#lastMs = Math.max(this.#lastMs, nowMs);
    this.#tokens = Math.min(this.#burst, this.#tokens + (elapsedMs * this.#ratePerS) / 1000);
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - this.#tokens) * 1000) / this.#ratePerS);
  }
}
