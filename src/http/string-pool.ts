// One copy of each string value that repeats across tracers' requests. A decoded request outlives its body (request
// cache, client tracker), and every tracer of a fleet sends the same product names, config paths and hashes, tracer
// language and version, service and env: decoded apart, 10,000 tracers held ~30,000 copies of each product name and
// of each cached file's hash. Only fields whose values repeat go through the pool (decode-request.ts lists them);
// the pool is bounded, and cleared when full, so values that do not repeat cannot grow it.

/** Longer values are kept as decoded (a config path or a SHA-256 hex is well under this). */
const MAX_POOLED_LENGTH = 256;
export const DEFAULT_STRING_POOL_ENTRIES = 16_384;

export class StringPool {
  readonly #values = new Map<string, string>();

  constructor(private readonly maxEntries = DEFAULT_STRING_POOL_ENTRIES) {}

  /** The pooled copy of `s` (`s` itself the first time). */
  intern(s: string): string {
    if (s.length > MAX_POOLED_LENGTH) return s;
    const pooled = this.#values.get(s);
    if (pooled !== undefined) return pooled;
    // values already handed out stay shared; the pool starts again from the values seen next
    if (this.#values.size >= this.maxEntries) this.#values.clear();
    this.#values.set(s, s);
    return s;
  }

  has(s: string): boolean {
    return this.#values.has(s);
  }

  get size(): number {
    return this.#values.size;
  }
}
