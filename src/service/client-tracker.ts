// Active clients (reference service/clients.go): the latest Client per id with last_seen, active while
// now <= last_seen + ttl. `seen` is on every request's path, so it only updates an entry in place; ordering, copies
// and expiry pruning happen when a refresh asks for the active clients. A copy is made once per poll of the client and
// frozen: until the client polls again every refresh gets the same object (the upstream encoder keeps its bytes).
import type { IClient } from '../proto/index.js';

export interface SeenResult {
  /** Not active before this request (never seen, or silent longer than the TTL): a cache bypass candidate. */
  readonly isNew: boolean;
}
const NEW: SeenResult = Object.freeze({ isNew: true });
const KNOWN: SeenResult = Object.freeze({ isNew: false });

/** How the last wait for fresh data of a client ended (shown by `rc-agent status`). */
export interface BypassNote {
  readonly outcome: string;
  readonly waitedMs: number;
  readonly atMs: number;
}

interface Entry {
  client: IClient;
  lastSeen: number;
  bypass?: BypassNote;
  /** The copy handed upstream (the client and its last_seen), frozen; reused until the client is seen again. */
  upstream?: IClient;
}

export class ClientTracker {
  readonly #clients = new Map<string, Entry>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxClients = 100_000,
  ) {}

  seen(client: IClient, nowMs: number): SeenResult {
    const id = client.id ?? '';
    const stored = withUniqueProducts(client);
    const entry = this.#clients.get(id);
    if (entry) {
      const isNew = nowMs > entry.lastSeen + this.ttlMs;
      entry.client = stored;
      entry.lastSeen = nowMs;
      entry.upstream = undefined;
      return isNew ? NEW : KNOWN;
    }
    if (this.#clients.size >= this.maxClients) this.#evictOldest(nowMs);
    this.#clients.set(id, { client: stored, lastSeen: nowMs });
    return NEW;
  }

  noteBypass(id: string, note: BypassNote): void {
    const entry = this.#clients.get(id);
    if (entry) entry.bypass = note;
  }

  bypassNote(id: string): BypassNote | undefined {
    return this.#clients.get(id)?.bypass;
  }

  isActive(id: string, nowMs: number): boolean {
    const c = this.#clients.get(id);
    return c !== undefined && nowMs <= c.lastSeen + this.ttlMs;
  }

  /** Drops expired clients and returns the active ones (with last_seen, frozen), least recently seen first. */
  activeClients(nowMs: number): IClient[] {
    const active: Entry[] = [];
    for (const [id, entry] of this.#clients) {
      if (nowMs > entry.lastSeen + this.ttlMs) this.#clients.delete(id);
      else active.push(entry);
    }
    active.sort((a, b) => a.lastSeen - b.lastSeen);
    // The same frozen copy for a client not seen since the last call: the upstream encoder keeps its bytes.
    return active.map((e) => (e.upstream ??= Object.freeze({ ...e.client, lastSeen: e.lastSeen })));
  }

  /** Active clients per product, without copying the clients (metrics scrapes). */
  countByProduct(nowMs: number): Map<string, number> {
    const counts = new Map<string, number>();
    for (const entry of this.#clients.values()) {
      if (nowMs > entry.lastSeen + this.ttlMs) continue;
      for (const p of entry.client.products ?? []) counts.set(p, (counts.get(p) ?? 0) + 1);
    }
    return counts;
  }

  activeProducts(nowMs: number): Set<string> {
    const products = new Set<string>();
    for (const c of this.activeClients(nowMs)) for (const p of c.products ?? []) products.add(p);
    return products;
  }

  /** Over the bound: drop expired clients, else the least recently seen one. */
  #evictOldest(nowMs: number): void {
    let oldest: [string, Entry] | undefined;
    for (const item of this.#clients) {
      if (nowMs > item[1].lastSeen + this.ttlMs) {
        this.#clients.delete(item[0]);
        return;
      }
      if (!oldest || item[1].lastSeen < oldest[1].lastSeen) oldest = item;
    }
    if (oldest) this.#clients.delete(oldest[0]);
  }

  clear(): void {
    this.#clients.clear();
  }

  get size(): number {
    return this.#clients.size;
  }
}

/** Products are forwarded upstream on every refresh: a client repeating one is stored (and sent) with it once. */
function withUniqueProducts(client: IClient): IClient {
  const products = client.products;
  if (!products || products.length < 2) return client;
  for (let i = 1; i < products.length; i++) {
    for (let j = 0; j < i; j++) {
      if (products[i] === products[j]) return { ...client, products: [...new Set(products)] };
    }
  }
  return client;
}
