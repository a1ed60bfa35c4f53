// Error backoff of the reference poll loop (PROTOCOL.md §4.6): b = 30 s·2^n for n ≥ 1, capped at `maxMs`, otherwise a
// uniform value in [b/2, b]. A failure adds 1 to n (capped at floor(log2(max/30 s))+1), a success subtracts 2.
export const BACKOFF_BASE_MS = 30_000;

export class ExponentialBackoff {
  #errors = 0;
  readonly #maxErrors: number;

  constructor(
    private readonly maxMs: number,
    private readonly random: () => number = Math.random,
  ) {
    this.#maxErrors = Math.floor(Math.log2(maxMs / BACKOFF_BASE_MS)) + 1;
  }

  get errorCount(): number {
    return this.#errors;
  }

  onError(): void {
    this.#errors = Math.min(this.#maxErrors, this.#errors + 1);
  }

  onSuccess(): void {
    this.#errors = Math.max(0, this.#errors - 2);
  }

  /** The delay added to the base interval. */
  delayMs(): number {
    if (this.#errors === 0) return 0;
    const b = BACKOFF_BASE_MS * 2 ** this.#errors;
    if (b > this.maxMs) return this.maxMs;
    return b / 2 + this.random() * (b / 2);
  }
}

/** Full jitter: a uniform delay in [0, capMs]. */
export function fullJitterMs(capMs: number, random: () => number = Math.random): number {
  return random() * capMs;
}
