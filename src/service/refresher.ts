// How the agent refreshes (PROTOCOL.md §4.6), apart from when: one refresh builds the LatestConfigsRequest, fetches,
// verifies the response (src/uptane), persists it and publishes a new immutable snapshot. The scheduling policies
// (fast-lane-policy.ts, legacy-policy.ts) decide when to call it. Requests read `snapshot` without a lock; the state
// lock covers only the swap of the published snapshot (and, in the legacy policy, the caller holds it throughout).
import { performance } from 'node:perf_hooks';
import type { Mutex } from 'async-mutex';
import {
  UptaneError,
  createTrustedState,
  exportState,
  restoreState,
  tufVersions,
  verifyOrg,
  verifyUpdate,
  type TrustedState,
} from '../uptane/index.js';
import { BackendError, type BackendClient } from '../backend/index.js';
import type { ILatestConfigsResponse } from '../proto/index.js';
import type { ExponentialBackoff } from '../ratelimit/index.js';
import type { Clock } from '../clock/index.js';
import type { ClientTracker } from './client-tracker.js';
import type { ServiceMetrics } from './metrics.js';
import type { StateStore } from './state-store.js';
import type { Logger } from './logger.js';
import { buildSnapshot, type Snapshot } from './snapshot.js';
import { buildLatestConfigsRequest, type UpstreamIdentity } from './latest-configs-request.js';

/**
 * Director targets versions are epoch seconds: the backend requests of successful refreshes start at least this far
 * apart (a cluster follower's refresh is dated from the leader's request).
 */
export const MIN_REFRESH_SPACING_MS = 1000;
/** While the backend fails, a fast-lane bypass may retry this often; everything else waits for the error backoff. */
export const FAST_LANE_OUTAGE_RETRY_MS = 5000;
const OVERRIDE_MIN_S = 1;
const OVERRIDE_MAX_S = 60;
const RECENT_REFRESHES = 5;

export type RefreshReason = 'scheduled' | 'bypass_fast' | 'bypass_standard';
export type RefreshResult = 'ok' | 'backend_error' | 'verification_failed' | 'cancelled' | 'stale';

/** What a published snapshot is known to hold: the backend's state as of `asOfMs` for `products`. */
export interface Freshness {
  /**
   * When the backend was asked for the current snapshot (or confirmed it unchanged): the refresh's start, or the
   * moment `dataAsOfMs` gives for its response (a cluster round: the leader's request); -Infinity when none did.
   */
  readonly asOfMs: number;
  /** The products that refresh asked for. */
  readonly products: ReadonlySet<string>;
}

export interface RunningRefresh {
  readonly startedAtMs: number;
  /** The products its request asks for (empty until the request is built). */
  readonly products: ReadonlySet<string>;
  /** Resolves with the result once the refresh published or failed. */
  readonly done: Promise<RefreshResult>;
}

export interface RefresherOptions {
  readonly clock: Clock;
  readonly backend: BackendClient;
  readonly store: StateStore;
  readonly tracker: ClientTracker;
  readonly backoff: ExponentialBackoff;
  readonly metrics: ServiceMetrics;
  readonly log: Logger;
  readonly mutex: Mutex;
  readonly pinnedRoots: { readonly config: Uint8Array; readonly director: Uint8Array };
  readonly identity: UpstreamIdentity;
  /** Org ID from the RC key: director targets of another org are refused (the reference's org-ID check). */
  readonly orgId?: number;
  readonly refreshIntervalMs: number;
  readonly refreshIntervalOverridable: boolean;
  /** Products asked for from the first refresh on, before any client asks (fast_lane.prefetch). */
  readonly prefetchProducts: readonly string[];
  /** Upper bound of active clients sent upstream in one request (the most recently seen are kept). */
  readonly maxUpstreamClients: number;
  /** The refresh interval changed (backend override): bypass budgets follow it. */
  readonly onIntervalChange: (intervalMs: number) => void;
  /** A new snapshot was published. */
  readonly onPublish: (snapshot: Snapshot) => void;
  /**
   * When a response holds the backend's state as of, if not this refresh's start: a cluster follower's response is
   * the leader's round, as of the leader's backend request (src/cluster).
   */
  readonly dataAsOfMs?: (response: ILatestConfigsResponse) => number | undefined;
}

const EMPTY: ReadonlySet<string> = new Set();

export class Refresher {
  #state: TrustedState;
  #snapshot: Snapshot;
  #freshness: Freshness = { asOfMs: -Infinity, products: EMPTY };
  readonly #products = new Set<string>();
  /** Products of the stored state: asked for again from the first refresh, so a restart drops no config. */
  #storedProducts: readonly string[] = [];
  #firstRefresh = true;
  #updatedSinceStart = false;
  #lastError: string | undefined;
  #lastUpdateMs: number | undefined;
  #lastSuccessMs = -Infinity;
  /** When the backend was asked for the last successful refresh's data (`Freshness.asOfMs`): spacing counts from it. */
  #lastSuccessAsOfMs = -Infinity;
  #lastFailureMs = -Infinity;
  #failureDelayMs = 0;
  #retryAfterUntilMs = -Infinity;
  #intervalMs: number;
  #generation = 0;
  #running: RunningRefresh | undefined;
  readonly #abort = new AbortController();
  readonly #refreshCounts: Record<string, number> = {};
  /** Durations of the last successful refreshes, newest last. */
  readonly #recentRefreshMs: number[] = [];

  constructor(private readonly o: RefresherOptions) {
    this.#intervalMs = o.refreshIntervalMs;
    const initial = this.#loadInitialState();
    this.#state = initial.state;
    this.#snapshot = buildSnapshot(initial.state, initial.hasData, o.clock.now());
    if (initial.hasData) this.#storedProducts = o.store.loadProducts();
  }

  /** The published snapshot: read it once per reply. */
  get snapshot(): Snapshot {
    return this.#snapshot;
  }
  get freshness(): Freshness {
    return this.#freshness;
  }
  get intervalMs(): number {
    return this.#intervalMs;
  }
  get lastError(): string | undefined {
    return this.#lastError;
  }
  get lastUpdateMs(): number | undefined {
    return this.#lastUpdateMs;
  }
  /** False until a refresh succeeded since start (the EXPIRED flush waits for one). */
  get updatedSinceStart(): boolean {
    return this.#updatedSinceStart;
  }
  get refreshCounts(): Readonly<Record<string, number>> {
    return this.#refreshCounts;
  }
  get lastSuccessMs(): number {
    return this.#lastSuccessMs;
  }
  /** True while the last refresh failed. */
  get failing(): boolean {
    return this.#lastFailureMs > this.#lastSuccessMs;
  }
  /** The refresh in flight, if any. */
  get running(): RunningRefresh | undefined {
    return this.#running;
  }
  /** The fastest of the recent successful refreshes (0 before any). */
  get typicalRefreshMs(): number {
    return this.#recentRefreshMs.length > 0 ? Math.min(...this.#recentRefreshMs) : 0;
  }

  /** True when the published snapshot can answer for this product: fetched since start, or held from the store. */
  holds(product: string): boolean {
    return this.#products.has(product) || this.#snapshot.targetsByProduct.has(product);
  }

  /** True when the agent asks the backend for this product. */
  fetches(product: string): boolean {
    return this.#products.has(product);
  }

  /**
   * The earliest a refresh may start: MIN_REFRESH_SPACING_MS after the backend was asked for the last successful
   * refresh's data (its start; for a cluster follower, the leader's request); while the backend fails, the
   * error backoff after the last failure (a fast-lane bypass: at most FAST_LANE_OUTAGE_RETRY_MS), and never before
   * a Retry-After the backend asked for.
   */
  earliestStartMs(kind: 'scheduled' | 'fast' | 'standard'): number {
    let earliest = this.#lastSuccessAsOfMs + MIN_REFRESH_SPACING_MS;
    if (this.failing) {
      const delay = kind === 'fast' ? Math.min(this.#failureDelayMs, FAST_LANE_OUTAGE_RETRY_MS) : this.#failureDelayMs;
      earliest = Math.max(earliest, this.#lastFailureMs + Math.max(MIN_REFRESH_SPACING_MS, delay));
    }
    return Math.max(earliest, this.#retryAfterUntilMs);
  }

  /** The next scheduled poll after a refresh that ended now: the interval plus the error backoff. */
  nextScheduledMs(nowMs: number): number {
    return Math.max(nowMs + this.#intervalMs + (this.failing ? this.#failureDelayMs : 0), this.#retryAfterUntilMs);
  }

  /** Aborts a backend request in flight (stop). */
  abort(): void {
    this.#abort.abort(new Error('rc-agent is stopping'));
  }

  /**
   * One backend refresh. Never throws: errors are kept for status, metrics and the next request upstream.
   * `lockHeld`: the caller holds the state lock for the whole refresh (the legacy policy).
   */
  refresh(reason: RefreshReason, options: { lockHeld?: boolean } = {}): Promise<RefreshResult> {
    const products: { current: ReadonlySet<string> } = { current: EMPTY };
    const done = this.#refresh(reason, options.lockHeld === true, (p) => (products.current = p));
    const running: RunningRefresh = {
      startedAtMs: this.o.clock.now(),
      get products() {
        return products.current;
      },
      done,
    };
    this.#running = running;
    void done.finally(() => {
      if (this.#running === running) this.#running = undefined;
    });
    return done;
  }

  async #refresh(
    reason: RefreshReason,
    lockHeld: boolean,
    announceProducts: (products: ReadonlySet<string>) => void,
  ): Promise<RefreshResult> {
    const t0 = performance.now();
    const startedAt = this.o.clock.now();
    const generation = this.#generation;
    let result: RefreshResult = 'ok';
    try {
      const orgUuid = await this.#orgUuid(tufVersions(this.#state).configRoot);
      const { request, products } = this.#buildRequest(orgUuid);
      announceProducts(products);
      const response = await this.o.backend.fetchLatestConfigs(request, this.#abort.signal);
      const next = verifyUpdate(this.#state, response, this.o.clock.now());
      const configRoot = tufVersions(next).configRoot;
      const storedOrgUuid = await this.#orgUuid(configRoot);
      verifyOrg(next, { storedOrgUuid, ...(this.o.orgId === undefined ? {} : { orgId: this.o.orgId }) });
      if (generation !== this.#generation) return (result = 'stale'); // a reset happened meanwhile
      if (next !== this.#state) {
        await this.o.store.saveState(exportState(next), { configRootVersion: configRoot, uuid: storedOrgUuid }, [
          ...products,
        ]);
      }
      const prepared =
        next !== this.#state || !this.#updatedSinceStart ? buildSnapshot(next, true, this.o.clock.now()) : undefined;
      const previous = this.#snapshot;
      const release = lockHeld ? undefined : await this.#lock();
      try {
        if (generation !== this.#generation) return (result = 'stale');
        if (prepared) {
          this.#state = next;
          this.#snapshot = prepared;
        }
        // Unchanged or not, the backend held this state when it was asked: when the refresh started, or when the
        // leader of a cluster asked for the round this response came from.
        this.#freshness = { asOfMs: this.o.dataAsOfMs?.(response) ?? startedAt, products };
      } finally {
        release?.();
      }
      if (prepared) {
        this.o.onPublish(prepared);
        this.#logPublish(previous, prepared, reason);
      }
      this.#onSuccess(request.newProducts ?? [], this.#freshness.asOfMs);
      this.#recentRefreshMs.push(this.o.clock.now() - startedAt);
      if (this.#recentRefreshMs.length > RECENT_REFRESHES) this.#recentRefreshMs.shift();
    } catch (err) {
      result = this.#onError(err);
    } finally {
      this.#refreshCounts[reason] = (this.#refreshCounts[reason] ?? 0) + 1;
      this.o.metrics.backendRefreshes.inc({ reason, result });
      this.o.metrics.backendRefreshSeconds.observe((performance.now() - t0) / 1000);
    }
    return result;
  }

  #logPublish(previous: Snapshot, next: Snapshot, reason: RefreshReason): void {
    const before = new Map(previous.targets.map((t) => [t.path, t.hashes.sha256]));
    const added: string[] = [];
    const changed: string[] = [];
    for (const t of next.targets) {
      const old = before.get(t.path);
      if (old === undefined) added.push(t.path);
      else if (old !== t.hashes.sha256) changed.push(t.path);
      before.delete(t.path);
    }
    this.o.log.info(
      { reason, versions: next.versions, added, changed, removed: [...before.keys()] },
      `published director targets v${next.versions.directorTargets}: ${added.length} added, ${changed.length} changed, ${before.size} removed`,
    );
  }

  /** ResetConfigState: back to the pinned roots, empty store, full resync on the next refresh. */
  async reset(): Promise<void> {
    const release = await this.#lock();
    try {
      this.#generation++;
      await this.o.store.reset();
      this.#state = createTrustedState(this.o.pinnedRoots);
      this.#firstRefresh = true;
      this.#updatedSinceStart = false;
      this.#storedProducts = [];
      this.#snapshot = buildSnapshot(this.#state, false, this.o.clock.now());
      this.#freshness = { asOfMs: -Infinity, products: EMPTY };
    } finally {
      release();
    }
    this.o.onPublish(this.#snapshot);
  }

  /** The last verified state from the store is served before the first backend poll. */
  #loadInitialState(): { state: TrustedState; hasData: boolean } {
    const pinned = createTrustedState(this.o.pinnedRoots);
    let persisted;
    try {
      persisted = this.o.store.loadState();
    } catch (err) {
      this.o.log.warn({ err: (err as Error).message }, 'stored state unreadable; starting from the pinned roots');
    }
    if (!persisted) return { state: pinned, hasData: false };
    try {
      const state = restoreState(persisted, this.o.pinnedRoots);
      return { state, hasData: state.directorTargets.size > 0 || state.director.targets !== undefined };
    } catch (err) {
      this.o.log.warn({ err: (err as Error).message }, 'stored state failed verification; store recreated');
      void this.o.store.recreate();
      return { state: pinned, hasData: false };
    }
  }

  async #lock(): Promise<() => void> {
    const release = await this.o.mutex.acquire();
    const t0 = performance.now();
    return () => {
      this.o.metrics.stateLockHold.observe((performance.now() - t0) / 1000);
      release();
    };
  }

  #buildRequest(orgUuid: string) {
    const now = this.o.clock.now();
    const active = this.o.tracker.activeClients(now);
    const newProducts = new Set<string>();
    for (const p of this.o.prefetchProducts) if (!this.#products.has(p)) newProducts.add(p);
    for (const p of this.#storedProducts) if (!this.#products.has(p)) newProducts.add(p);
    for (const c of active) for (const p of c.products ?? []) if (!this.#products.has(p)) newProducts.add(p);
    // Least recently seen first: over the bound, the most recent clients are the ones sent.
    const activeClients = active.length > this.o.maxUpstreamClients ? active.slice(-this.o.maxUpstreamClients) : active;
    const request = buildLatestConfigsRequest({
      identity: this.o.identity,
      agentUuid: this.o.store.agentUuid(),
      // All versions are 0 on the first refresh after every start: a full resync despite the persistent store.
      versions: this.#firstRefresh ? { directorRoot: 0, configRoot: 0, configSnapshot: 0 } : tufVersions(this.#state),
      products: this.#products,
      newProducts,
      activeClients,
      backendClientState: this.#state.opaqueBackendState,
      lastError: this.#lastError,
      orgUuid,
    });
    return { request, products: new Set([...this.#products, ...newProducts]) as ReadonlySet<string> };
  }

  /** The org UUID for a config root version: stored, else fetched once from the backend and stored. */
  async #orgUuid(configRootVersion: number): Promise<string> {
    const stored = this.o.store.orgUuid(configRootVersion);
    if (stored !== undefined) return stored;
    const uuid = await this.o.backend.fetchOrgUuid(this.#abort.signal);
    await this.o.store.saveOrgUuid(configRootVersion, uuid);
    return uuid;
  }

  #onSuccess(newProducts: readonly string[], asOfMs: number): void {
    const now = this.o.clock.now();
    // Backend override of the poll interval (§4.6), only when the user fixed none.
    const override = this.#state.agentRefreshIntervalS;
    if (
      this.o.refreshIntervalOverridable &&
      override !== undefined &&
      Number.isInteger(override) &&
      override >= OVERRIDE_MIN_S &&
      override <= OVERRIDE_MAX_S &&
      override * 1000 !== this.#intervalMs
    ) {
      this.#intervalMs = override * 1000;
      this.o.onIntervalChange(this.#intervalMs);
    }
    this.#lastUpdateMs = now;
    this.#lastSuccessMs = now;
    this.#lastSuccessAsOfMs = asOfMs;
    this.#firstRefresh = false;
    this.#updatedSinceStart = true;
    for (const p of newProducts) this.#products.add(p);
    this.o.backoff.onSuccess();
    this.#lastError = undefined;
  }

  #onError(err: unknown): RefreshResult {
    if (this.#abort.signal.aborted) return 'cancelled';
    this.o.backoff.onError();
    this.#lastFailureMs = this.o.clock.now();
    this.#failureDelayMs = this.o.backoff.delayMs();
    if (err instanceof BackendError && err.retryAfterMs !== undefined) {
      this.#retryAfterUntilMs = this.#lastFailureMs + err.retryAfterMs;
    }
    if (err instanceof UptaneError) {
      this.#lastError = `tuf: ${err.message}`;
      this.o.metrics.verificationFailures.inc({ reason: err.code });
      this.o.log.warn(
        { err: err.message },
        'backend update rejected by verification; the last verified state keeps serving',
      );
      return 'verification_failed';
    }
    this.#lastError = `api: ${(err as Error).message}`;
    this.o.log.warn({ err: (err as Error).message }, 'backend refresh failed');
    return 'backend_error';
  }
}
