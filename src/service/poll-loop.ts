// The single writer (PROTOCOL.md §4.6): refresh at start, then on the timer (interval + error backoff) or when
// the bypass coordinator has a round; builds the LatestConfigsRequest, verifies the response (src/uptane), persists
// it and publishes a new immutable snapshot. Requests never wait on this loop's lock in the fast-lane policy.
import { performance } from 'node:perf_hooks';
import type { Mutex } from 'async-mutex';
import {
  UptaneError,
  createTrustedState,
  exportState,
  tufVersions,
  verifyOrg,
  verifyUpdate,
  type TrustedState,
} from '../uptane/index.js';
import type { BackendClient } from '../backend/index.js';
import type { IClient, ILatestConfigsRequest } from '../proto/index.js';
import type { ExponentialBackoff } from '../ratelimit/index.js';
import { sleep, type Clock } from './clock.js';
import type { BypassCoordinator, BypassRound } from './bypass-coordinator.js';
import type { ClientTracker } from './client-tracker.js';
import type { ServiceMetrics } from './metrics.js';
import type { StateStore } from './state-store.js';
import type { Logger } from './logger.js';
import type { Snapshot } from './snapshot.js';
import { buildLatestConfigsRequest } from './latest-configs-request.js';

/** Director targets versions are epoch seconds: successful updates are spaced by at least this much. */
export const MIN_REFRESH_SPACING_MS = 1000;
const OVERRIDE_MIN_S = 1;
const RECENT_REFRESHES = 5;
const OVERRIDE_MAX_S = 60;

export type RefreshReason = 'scheduled' | 'bypass_fast' | 'bypass_standard';

export interface PollLoopOptions {
  readonly clock: Clock;
  readonly backend: BackendClient;
  readonly store: StateStore;
  readonly tracker: ClientTracker;
  readonly coordinator: BypassCoordinator;
  readonly backoff: ExponentialBackoff;
  readonly metrics: ServiceMetrics;
  readonly log: Logger;
  readonly mutex: Mutex;
  /** 'refresh': the lock covers verification and persistence too (the reference agent, legacy policy). */
  readonly lockScope: 'publish' | 'refresh';
  readonly pinnedRoots: { readonly config: Uint8Array; readonly director: Uint8Array };
  readonly hostname: string;
  readonly agentVersion: string;
  readonly refreshIntervalMs: number;
  readonly refreshIntervalOverridable: boolean;
  /** Builds what gets published for a verified state (outside the lock: it may take a while). */
  readonly prepare: (state: TrustedState, hasData: boolean) => Snapshot;
  /** Swaps in a prepared snapshot; called under the lock. */
  readonly publish: (snapshot: Snapshot) => void;
  /** The refresh interval changed (backend override): bypass buckets follow it. */
  readonly onIntervalChange: (intervalMs: number) => void;
}

export class PollLoop {
  #state: TrustedState;
  #products = new Set<string>();
  #firstRefresh = true;
  #updatedSinceStart = false;
  #lastError: string | undefined;
  #lastUpdateMs: number | undefined;
  #lastSuccessMs = -Infinity;
  #intervalMs: number;
  #nextDueMs = 0;
  #generation = 0;
  #stopped = true;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  #abort = new AbortController();
  #refreshCounts: Record<string, number> = {};
  #running: { done: Promise<void>; products: ReadonlySet<string> } | undefined;
  /** Products asked for by the refresh in flight (products ∪ new_products of its request). */
  #inFlightProducts: ReadonlySet<string> = new Set();
  /** Durations of the last successful refreshes, newest last. */
  readonly #recentRefreshMs: number[] = [];

  constructor(
    private readonly o: PollLoopOptions,
    initialState: TrustedState,
  ) {
    this.#state = initialState;
    this.#intervalMs = o.refreshIntervalMs;
    o.coordinator.onWork(() => this.#wake?.());
  }

  get state(): TrustedState {
    return this.#state;
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
  get updatedSinceStart(): boolean {
    return this.#updatedSinceStart;
  }
  get refreshCounts(): Readonly<Record<string, number>> {
    return this.#refreshCounts;
  }

  /** The refresh in flight, if any. */
  running(): { readonly done: Promise<void>; readonly products: ReadonlySet<string> } | undefined {
    return this.#running;
  }

  /**
   * The earliest time a refresh that has not started yet could publish: refreshes are spaced by
   * MIN_REFRESH_SPACING_MS after a successful one (a refresh in flight counts as one), and take at least as long as
   * the fastest of the recent ones.
   */
  earliestNextLandingMs(nowMs: number): number {
    const start = this.#running
      ? nowMs + MIN_REFRESH_SPACING_MS
      : Math.max(nowMs, this.#lastSuccessMs + MIN_REFRESH_SPACING_MS);
    return start + (this.#recentRefreshMs.length > 0 ? Math.min(...this.#recentRefreshMs) : 0);
  }

  /** True when the agent does not fetch this product yet (a known client adding it triggers a bypass). */
  fetches(product: string): boolean {
    return this.#products.has(product);
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#abort = new AbortController();
    this.#loop = this.#run().catch((err: unknown) => this.o.log.error({ err }, 'poll loop crashed'));
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#abort.abort(new Error('rc-agent is stopping'));
    this.#wake?.();
    await this.#loop;
    this.o.coordinator.close();
  }

  /** ResetConfigState: back to the pinned roots, empty store, full resync on the next refresh (run at once). */
  async reset(): Promise<void> {
    const release = await this.o.mutex.acquire();
    const t0 = performance.now();
    try {
      this.#generation++;
      await this.o.store.reset();
      this.#state = createTrustedState(this.o.pinnedRoots);
      this.#firstRefresh = true;
      this.#updatedSinceStart = false;
      this.o.publish(this.o.prepare(this.#state, false));
    } finally {
      this.o.metrics.stateLockHold.observe((performance.now() - t0) / 1000);
      release();
    }
    this.#nextDueMs = 0;
    this.#wake?.();
  }

  async #run(): Promise<void> {
    let first = true;
    while (!this.#stopped) {
      if (!first) await this.#waitForWork();
      first = false;
      if (this.#stopped) break;
      // The reference hands a bypass over before refresh() sleeps out the spacing; the coalescing coordinator takes
      // its round after the sleep, so waiters that arrive meanwhile share the refresh.
      let round = this.o.coordinator.takesRoundBeforeSpacing
        ? this.o.coordinator.takeRound(this.o.clock.now())
        : undefined;
      if (round?.rateLimited) continue;
      const spacing = this.#lastSuccessMs + MIN_REFRESH_SPACING_MS - this.o.clock.now();
      if (spacing > 0) {
        try {
          await sleep(this.o.clock, spacing, this.#abort.signal);
        } catch {
          round?.finish();
          break;
        }
      }
      if (!this.o.coordinator.takesRoundBeforeSpacing) round = this.o.coordinator.takeRound(this.o.clock.now());
      // Woken for bypass work that went away (every waiter gave up) and no poll is due: nothing to do.
      if (!round && this.o.clock.now() < this.#nextDueMs) continue;
      const reason: RefreshReason = !round ? 'scheduled' : round.lanes.has('fast') ? 'bypass_fast' : 'bypass_standard';
      await this.#refreshAndFinish(reason, round);
      this.#nextDueMs = this.o.clock.now() + this.#intervalMs + this.o.backoff.delayMs();
    }
  }

  async #refreshAndFinish(reason: RefreshReason, round: BypassRound | undefined): Promise<void> {
    this.#inFlightProducts = new Set();
    const refresh = this.refresh(reason);
    const products = (): ReadonlySet<string> => this.#inFlightProducts;
    // `products` is read when a waiter asks: the request is built once the org UUID is known.
    this.#running = {
      done: refresh,
      get products() {
        return products();
      },
    };
    try {
      await refresh;
    } finally {
      this.#running = undefined;
      round?.finish();
    }
  }

  /** Resolves when the timer is due, a bypass round is pending, or the loop stops. */
  #waitForWork(): Promise<void> {
    return new Promise<void>((resolve) => {
      const pending: { timer?: ReturnType<typeof setTimeout> } = {};
      const done = (): void => {
        if (pending.timer) this.o.clock.clearTimeout(pending.timer);
        this.#wake = undefined;
        resolve();
      };
      const check = (): void => {
        if (this.#stopped || this.o.coordinator.hasPending() || this.o.clock.now() >= this.#nextDueMs) done();
      };
      this.#wake = check;
      pending.timer = this.o.clock.setTimeout(done, Math.max(0, this.#nextDueMs - this.o.clock.now()));
      check();
    });
  }

  /** One backend refresh. Never throws: errors are kept for status, metrics and the next request upstream. */
  async refresh(reason: RefreshReason): Promise<void> {
    const t0 = performance.now();
    const startedAt = this.o.clock.now();
    const generation = this.#generation;
    let result = 'ok';
    try {
      const orgUuid = await this.#orgUuid(tufVersions(this.#state).configRoot);
      const request = this.#buildRequest(orgUuid);
      this.#inFlightProducts = new Set([...(request.products ?? []), ...(request.newProducts ?? [])]);
      const response = await this.o.backend.fetchLatestConfigs(request, this.#abort.signal);
      const locked = this.o.lockScope === 'refresh' ? await this.#lock() : undefined;
      try {
        const next = verifyUpdate(this.#state, response, this.o.clock.now());
        const configRoot = tufVersions(next).configRoot;
        const storedOrgUuid = await this.#orgUuid(configRoot);
        verifyOrg(next, { storedOrgUuid });
        if (next !== this.#state) {
          await this.o.store.saveState(exportState(next), { configRootVersion: configRoot, uuid: storedOrgUuid });
        }
        const changed = next !== this.#state || !this.#updatedSinceStart;
        const prepared = changed ? this.o.prepare(next, true) : undefined;
        const release = locked ? undefined : await this.#lock();
        try {
          if (generation !== this.#generation) return; // a reset happened meanwhile: this result is stale
          if (prepared) {
            this.#state = next;
            this.o.publish(prepared);
          }
        } finally {
          release?.();
        }
      } finally {
        locked?.();
      }
      this.#onSuccess(request);
      this.#recentRefreshMs.push(this.o.clock.now() - startedAt);
      if (this.#recentRefreshMs.length > RECENT_REFRESHES) this.#recentRefreshMs.shift();
    } catch (err) {
      result = this.#onError(err);
    } finally {
      this.#refreshCounts[reason] = (this.#refreshCounts[reason] ?? 0) + 1;
      this.o.metrics.backendRefreshes.inc({ reason, result });
      this.o.metrics.backendRefreshSeconds.observe((performance.now() - t0) / 1000);
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

  #buildRequest(orgUuid: string): ILatestConfigsRequest {
    const now = this.o.clock.now();
    const activeClients: IClient[] = this.o.tracker.activeClients(now);
    const newProducts = new Set<string>();
    for (const c of activeClients) for (const p of c.products ?? []) if (!this.#products.has(p)) newProducts.add(p);
    return buildLatestConfigsRequest({
      identity: { hostname: this.o.hostname, agentVersion: this.o.agentVersion },
      agentUuid: this.o.store.agentUuid(),
      versions: this.#firstRefresh ? { directorRoot: 0, configRoot: 0, configSnapshot: 0 } : tufVersions(this.#state),
      products: this.#products,
      newProducts,
      activeClients,
      backendClientState: this.#state.opaqueBackendState,
      lastError: this.#lastError,
      orgUuid,
    });
  }

  /** The org UUID for a config root version: stored, else fetched once from the backend and stored. */
  async #orgUuid(configRootVersion: number): Promise<string> {
    const stored = this.o.store.orgUuid(configRootVersion);
    if (stored !== undefined) return stored;
    const uuid = await this.o.backend.fetchOrgUuid(this.#abort.signal);
    await this.o.store.saveOrgUuid(configRootVersion, uuid);
    return uuid;
  }

  #onSuccess(request: ILatestConfigsRequest): void {
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
    this.#firstRefresh = false;
    this.#updatedSinceStart = true;
    for (const p of request.newProducts ?? []) this.#products.add(p);
    this.o.backoff.onSuccess();
    this.#lastError = undefined;
  }

  #onError(err: unknown): string {
    this.o.backoff.onError();
    if (err instanceof UptaneError) {
      this.#lastError = `tuf: ${err.message}`;
      this.o.metrics.verificationFailures.inc({ reason: err.code });
      this.o.log.warn(
        { err: err.message },
        'backend update rejected by verification; the last verified state keeps serving',
      );
      return 'verification_failed';
    }
    if (this.#stopped) {
      return 'cancelled';
    }
    this.#lastError = `api: ${(err as Error).message}`;
    this.o.log.warn({ err: (err as Error).message }, 'backend refresh failed');
    return 'backend_error';
  }
}
