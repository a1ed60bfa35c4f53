// The reference agent's cache-bypass limiter (PROTOCOL.md §4.2), reproduced for the legacy policy: a fixed window
// aligned on multiples of the interval (Go `now.Truncate(interval)`), reset to `limit` on each new window (the first
// call always resets), limited once the allowance is used up. Window edges allow bursts, as upstream.
export class FixedWindowLimiter {
  #windowStartMs = Number.NaN;
  #allowance = 0;

  constructor(
    private limit: number,
    private intervalMs: number,
  ) {}

  /** True when the call is rate limited (the reference's `Limit()`). */
  limited(nowMs: number): boolean {
    const window = nowMs - (nowMs % this.intervalMs);
    if (window !== this.#windowStartMs) {
      this.#windowStartMs = window;
      this.#allowance = this.limit;
    }
    if (this.#allowance <= 0) return true;
    this.#allowance--;
    return false;
  }

  setInterval(intervalMs: number): void {
    this.intervalMs = intervalMs;
  }
}
