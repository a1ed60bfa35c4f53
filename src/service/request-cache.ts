// Decoded `/v0.7/config` requests by body. A tracer in its steady state sends the same bytes every poll (5 s for
// dd-trace-js) until something changes, so most requests are a body the agent decoded a poll ago: looking it up
// costs a SHA-256 of the body instead of a JSON parse, a Go-semantics walk and the tracer normalisation. The key is
// the digest, not the body: 32 bytes instead of ~1.5 KB per tracer, and no body can be made to collide with another.
// Cached requests are deep-frozen and shared between polls: the service must not mutate a request.
// A client's first poll (targets_version 0) is usually sent once: its answer moves the tracer to another body. So a
// first poll is only noted (its key) the first time, and cached when the same body comes again (a client that keeps
// sending it: no targets yet). In a herd every first poll is new: freezing and keeping each one only to drop it at
// the tracer's next poll took ~3 % of the agent's CPU (profile of a 9,800-tracer split herd: the cache's share fell
// from 158 to 56 ms of ~3 s), and ~10,000 of them once stayed cached after a 10,000-tracer herd (a fifth of the
// heap). A first poll seen once is forgotten with its client's next body; a cached one is dropped as soon as a later
// body of the same client is cached.
import { hash } from 'node:crypto';
import type { IClientGetConfigsRequest } from '../proto/index.js';

/** Twice the 10,000 tracers one agent is sized for (a tracer has one body at a time). */
export const DEFAULT_REQUEST_CACHE_ENTRIES = 20_000;
/** Larger bodies are decoded every time (a request that large is not a tracer's steady poll). */
export const MAX_CACHED_BODY_BYTES = 16 * 1024;

/** Freezes `value` and everything under it but byte arrays (also used by the HTTP decoder's message pool). */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    // byte arrays cannot be frozen; nothing reads them for writing
    if (ArrayBuffer.isView(value)) return value;
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}

/** targets_version 0 (or absent): the client holds no targets yet. A `Long` beyond 2^53 is not 0. */
function isFirstPoll(request: IClientGetConfigsRequest): boolean {
  const version = request.client?.state?.targetsVersion;
  return version === undefined || version === null || version === 0;
}

export class DecodedRequestCache {
  readonly #entries = new Map<string, IClientGetConfigsRequest>();
  /** Client id → the key of its cached first poll, until a later body of that client is cached. */
  readonly #firstPolls = new Map<string, string>();
  /**
   * First polls seen once and not cached: client id (the key itself for a request without one) → the key, until a
   * later body of that client arrives; oldest first, at most maxEntries.
   */
  readonly #sightings = new Map<string, string>();

  constructor(private readonly maxEntries = DEFAULT_REQUEST_CACHE_ENTRIES) {}

  /** The key of a body (its SHA-256), or undefined when it is not cached (too large). */
  keyOf(body: Uint8Array): string | undefined {
    return body.byteLength > MAX_CACHED_BODY_BYTES ? undefined : hash('sha256', body, 'base64');
  }

  get(key: string): IClientGetConfigsRequest | undefined {
    return this.#entries.get(key);
  }

  /**
   * Freezes and keeps `request`; the oldest body goes first when full. A first poll is kept only when its body comes
   * a second time (the first time it is returned as it is, unfrozen); a later body of a client drops the client's
   * cached first poll.
   */
  set(key: string, request: IClientGetConfigsRequest): IClientGetConfigsRequest {
    if (this.#entries.has(key)) return deepFreeze(request);
    const id = request.client?.id;
    const firstPoll = isFirstPoll(request);
    if (firstPoll) {
      const slot = id || key;
      const seen = this.#sightings.get(slot);
      // a client's earlier sighting goes with its next body (kept, it would hold ~100 bytes per tracer for nothing)
      this.#sightings.delete(slot);
      if (seen !== key) {
        if (this.#sightings.size >= this.maxEntries) {
          const oldest = this.#sightings.keys().next();
          if (oldest.done !== true) this.#sightings.delete(oldest.value);
        }
        this.#sightings.set(slot, key);
        return request;
      }
    } else if (id) {
      this.#sightings.delete(id);
    }
    deepFreeze(request);
    if (this.#entries.size >= this.maxEntries) {
      const oldest = this.#entries.entries().next();
      if (oldest.done !== true) this.#delete(oldest.value[0], oldest.value[1]);
    }
    if (id) {
      if (firstPoll) {
        this.#firstPolls.set(id, key);
      } else {
        const first = this.#firstPolls.get(id);
        if (first !== undefined) {
          this.#firstPolls.delete(id);
          this.#entries.delete(first);
        }
      }
    }
    this.#entries.set(key, request);
    return request;
  }

  #delete(key: string, request: IClientGetConfigsRequest | undefined): void {
    this.#entries.delete(key);
    const id = request?.client?.id;
    if (id && this.#firstPolls.get(id) === key) this.#firstPolls.delete(id);
  }

  get size(): number {
    return this.#entries.size;
  }

  /** First polls seen once and remembered (tests: they must not outlive their client's next body). */
  get sightings(): number {
    return this.#sightings.size;
  }
}
