// Error backoff of the reference poll loop (PROTOCOL.md §4.6): b = 30 s·2^n for n ≥ 1, a uniform value in [b/2, b].
// A failure adds 1 to n (capped at floor(log2(max/30 s))+1), a success subtracts 2. Deviation: at the cap the
// reference waits exactly `maxMs`, so agents that failed together retry in lock-step; here b is clamped to `maxMs`
// and jittered like every other step, in [maxMs/2, maxMs].
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
    const b = Math.min(this.maxMs, BACKOFF_BASE_MS * 2 ** this.#errors);
    return b / 2 + this.random() * (b / 2);
  }
}
