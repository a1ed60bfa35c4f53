// Decoded `/v0.7/config` requests by body. A tracer in its steady state sends the same bytes every poll (5 s for
// dd-trace-js) until something changes, so most requests are a body the agent decoded a poll ago: looking it up
// costs a hash of the body instead of a JSON parse, a Go-semantics walk and the tracer normalisation.
// Cached requests are deep-frozen and shared between polls: the service must not mutate a request.
import type { IClientGetConfigsRequest } from '../proto/index.js';

/** Enough for every body of ~20,000 dd-trace-js clients (about 1.5 KB each). */
export const DEFAULT_REQUEST_CACHE_BYTES = 32 * 1024 * 1024;
/** Larger bodies are decoded every time (a request that large is not a tracer's steady poll). */
export const MAX_CACHED_BODY_BYTES = 16 * 1024;

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    // byte arrays cannot be frozen; nothing reads them for writing
    if (ArrayBuffer.isView(value)) return value;
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}

export class DecodedRequestCache {
  readonly #entries = new Map<string, IClientGetConfigsRequest>();
  #bytes = 0;

  constructor(private readonly maxBytes = DEFAULT_REQUEST_CACHE_BYTES) {}

  /** The key of a body, or undefined when it is not cached (too large). latin1: one char per byte, no decoding. */
  keyOf(body: Buffer): string | undefined {
    return body.length > MAX_CACHED_BODY_BYTES ? undefined : body.toString('latin1');
  }

  get(key: string): IClientGetConfigsRequest | undefined {
    return this.#entries.get(key);
  }

  /** Freezes and keeps `request`; the oldest bodies go first when over the byte budget. */
  set(key: string, request: IClientGetConfigsRequest): IClientGetConfigsRequest {
    if (key.length > this.maxBytes) return request;
    deepFreeze(request);
    if (this.#entries.has(key)) return request;
    this.#entries.set(key, request);
    this.#bytes += key.length;
    while (this.#bytes > this.maxBytes) {
      const oldest = this.#entries.keys().next().value as string;
      this.#entries.delete(oldest);
      this.#bytes -= oldest.length;
    }
    return request;
  }

  get size(): number {
    return this.#entries.size;
  }

  get bytes(): number {
    return this.#bytes;
  }
}
