// One copy of each string value that repeats across tracers' requests. A decoded request outlives its body (request
// cache, client tracker), and every tracer of a fleet sends the same product names, config paths and hashes, tracer
// language and version, service and env: decoded apart, 10,000 tracers held ~30,000 copies of each product name and
// of each cached file's hash. Only fields whose values repeat go through the pool (decode-request.ts lists them);
// the pool is bounded, and cleared when full, so values that do not repeat cannot grow it.
// Whole messages repeat too: every tracer holding a fleet's configs acknowledges the same config states and caches the
// same files, ~1.5 KB of objects per tracer that `MessagePool` keeps once (decode-request.ts names the messages).

import { deepFreeze } from '../service/index.js';

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

export const DEFAULT_MESSAGE_POOL_ENTRIES = 4096;
/** Larger messages (and keys), in characters of their strings, are kept as decoded: a bound on what a pool holds. */
const MAX_POOLED_MESSAGE_CHARS = 1024;

/** The characters of a decoded value's strings and keys, stopping once past `max`. */
function charsOf(value: unknown, max: number): number {
  if (typeof value === 'string') return value.length;
  if (typeof value !== 'object' || value === null) return 8;
  if (ArrayBuffer.isView(value)) return value.byteLength;
  let chars = 0;
  for (const [k, v] of Object.entries(value)) {
    chars += k.length + charsOf(v, max - chars);
    if (chars > max) break;
  }
  return chars;
}

/**
 * Equal decoded values: the same fields (in any order) with equal values; byte arrays are never equal. Written out
 * rather than `util.isDeepStrictEqual`, which checks prototypes and property attributes too: ~0.7 µs per cached file
 * against ~0.13 µs here, six times per decoded steady body.
 */
function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (ArrayBuffer.isView(a) || ArrayBuffer.isView(b)) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameValue(a[i], b[i])) return false;
    return true;
  }
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  let fields = 0;
  for (const k in x) {
    if (!Object.hasOwn(y, k) || !sameValue(x[k], y[k])) return false;
    fields++;
  }
  for (const k in y) if (Object.hasOwn(y, k)) fields--;
  return fields === 0;
}

/**
 * One frozen copy of each decoded message that repeats across tracers, found by a key the caller picks (a config
 * state's id, a cached file's path: pooled strings, so the lookup hashes nothing new) and checked field by field.
 * One message per key: a different value under the same key (another version of a config) takes the slot, so while a
 * fleet moves between two versions some tracers hold copies of their own, as without the pool. A pooled message is
 * shared between requests, so it is frozen; nothing writes to a decoded request.
 */
export class MessagePool {
  readonly #messages = new Map<string, object>();

  constructor(private readonly maxEntries = DEFAULT_MESSAGE_POOL_ENTRIES) {}

  /**
   * The pooled message equal to `message` under `key`, or `message`, frozen, pooled under `key`; a message or key over
   * 1,024 characters is returned as it is.
   */
  intern<T extends object>(key: string, message: T): T {
    if (key.length > MAX_POOLED_MESSAGE_CHARS) return message;
    const pooled = this.#messages.get(key);
    if (pooled !== undefined && sameValue(pooled, message)) return pooled as T;
    if (charsOf(message, MAX_POOLED_MESSAGE_CHARS) > MAX_POOLED_MESSAGE_CHARS) return message;
    if (pooled === undefined && this.#messages.size >= this.maxEntries) this.#messages.clear();
    deepFreeze(message);
    this.#messages.set(key, message);
    return message;
  }

  get size(): number {
    return this.#messages.size;
  }
}
