// Active clients (reference service/clients.go): the latest Client per id with last_seen, active while
// now <= last_seen + ttl. Kept in last-seen order so expiry pruning stops at the first live entry, and bounded.
import type { IClient } from '../proto/index.js';

export interface SeenResult {
  /** Not active before this request (never seen, or silent longer than the TTL): a cache bypass candidate. */
  readonly isNew: boolean;
}

export class ClientTracker {
  readonly #clients = new Map<string, IClient & { lastSeen: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxClients = 100_000,
  ) {}

  seen(client: IClient, nowMs: number): SeenResult {
    const id = client.id ?? '';
    const previous = this.#clients.get(id);
    const isNew = previous === undefined || nowMs > previous.lastSeen + this.ttlMs;
    // Re-insert so the map stays ordered by last_seen.
    this.#clients.delete(id);
    this.#clients.set(id, { ...client, lastSeen: nowMs });
    if (this.#clients.size > this.maxClients) {
      const oldest = this.#clients.keys().next();
      if (!oldest.done) this.#clients.delete(oldest.value);
    }
    return { isNew };
  }

  isActive(id: string, nowMs: number): boolean {
    const c = this.#clients.get(id);
    return c !== undefined && nowMs <= c.lastSeen + this.ttlMs;
  }

  /** Drops expired clients and returns the active ones, oldest first. */
  activeClients(nowMs: number): IClient[] {
    for (const [id, c] of this.#clients) {
      if (nowMs <= c.lastSeen + this.ttlMs) break;
      this.#clients.delete(id);
    }
    return [...this.#clients.values()];
  }

  activeProducts(nowMs: number): Set<string> {
    const products = new Set<string>();
    for (const c of this.activeClients(nowMs)) for (const p of c.products ?? []) products.add(p);
    return products;
  }

  clear(): void {
    this.#clients.clear();
  }

  get size(): number {
    return this.#clients.size;
  }
}
