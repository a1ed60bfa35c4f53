// The RC service: ClientGetConfigs from the current verified snapshot (PROTOCOL.md §4.3) plus the poll loop that
// keeps it fresh. In the fast-lane policy a request reads the snapshot reference once and never waits on a lock;
// the legacy policy serialises requests on the state lock like the reference agent.
import { performance } from 'node:perf_hooks';
import { Mutex } from 'async-mutex';
import { UptaneError, createTrustedState, restoreState, verifyAtRead, type TrustedState } from '../uptane/index.js';
import type { BackendClient } from '../backend/index.js';
import type {
  IClient,
  IClientGetConfigsRequest,
  IClientGetConfigsResponse,
  IFile,
  IFileMetaState,
  IGetStateConfigResponse,
} from '../proto/index.js';
import type { RemoteConfigConfig } from '../config/index.js';
import { ExponentialBackoff, FixedWindowLimiter, TokenBucket } from '../ratelimit/index.js';
import { systemClock, type Clock } from './clock.js';
import { ClientTracker } from './client-tracker.js';
import {
  CoalescingBypassCoordinator,
  LegacyBypassCoordinator,
  type BypassCoordinator,
  type BypassOutcome,
} from './bypass-coordinator.js';
import { createLaneClassifier, type Lane, type LaneClassifier } from './lanes.js';
import { createServiceMetrics, type ServiceMetrics } from './metrics.js';
import { PollLoop } from './poll-loop.js';
import { OrgStatusPoller } from './org-status-poller.js';
import { buildSnapshot, sha256Hex, type Snapshot, type SnapshotTarget } from './snapshot.js';
import { cachedFileIsCurrent, isTargetLive } from './selection.js';
import { matchesPredicates } from './predicates.js';
import { ServiceError } from './error.js';
import { validateRequest } from './validate.js';
import { silentLogger, type Logger } from './logger.js';
import type { StateStore } from './state-store.js';
import type { RcService, RequestContext, StatusReport } from './types.js';

/** The reference's new-client block (newClientBlockTTL); also the standard lane's. */
export const STANDARD_BLOCK_TTL_MS = 2000;
const CONFIG_STATUS_EXPIRED = 1;

export interface RemoteConfigServiceOptions {
  readonly config: RemoteConfigConfig;
  readonly hostname: string;
  readonly agentVersion: string;
  readonly backend: BackendClient;
  readonly pinnedRoots: { readonly config: Uint8Array; readonly director: Uint8Array };
  readonly store: StateStore;
  readonly clock?: Clock;
  readonly metrics?: ServiceMetrics;
  readonly log?: Logger;
  readonly random?: () => number;
}

const NEVER_ABORTED = new AbortController().signal;
const REPLY_MEMO_MAX_ENTRIES = 1024;

const replyMemos = new WeakMap<Snapshot, Map<string, IClientGetConfigsResponse>>();
function replyMemo(snap: Snapshot): Map<string, IClientGetConfigsResponse> {
  let memo = replyMemos.get(snap);
  if (!memo) {
    memo = new Map();
    replyMemos.set(snap, memo);
  }
  return memo;
}

export class RemoteConfigService implements RcService {
  readonly metrics: ServiceMetrics;
  readonly #o: RemoteConfigServiceOptions;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #tracker: ClientTracker;
  readonly #classifier: LaneClassifier;
  readonly #coordinator: BypassCoordinator;
  readonly #buckets: Record<Lane, TokenBucket> | undefined;
  readonly #mutex = new Mutex();
  readonly #loop: PollLoop;
  readonly #orgStatus: OrgStatusPoller;
  readonly #legacy: boolean;
  #snapshot: Snapshot;
  readonly #bypassCounts: Record<Lane, Record<BypassOutcome, number>>;

  constructor(options: RemoteConfigServiceOptions) {
    this.#o = options;
    const cfg = options.config;
    this.#clock = options.clock ?? systemClock;
    this.#log = options.log ?? silentLogger;
    this.metrics = options.metrics ?? createServiceMetrics();
    this.#legacy = cfg.policy === 'legacy';
    this.#tracker = new ClientTracker(cfg.clientsTtlMs);
    this.#classifier = createLaneClassifier({
      enabled: cfg.fastLane.enabled && !this.#legacy,
      products: cfg.fastLane.products,
    });
    const zero = (): Record<BypassOutcome, number> => ({
      granted: 0,
      coalesced: 0,
      skipped: 0,
      rate_limited: 0,
      timeout: 0,
      aborted: 0,
    });
    this.#bypassCounts = { fast: zero(), standard: zero() };

    let legacyLimiter: FixedWindowLimiter | undefined;
    let coalescing: CoalescingBypassCoordinator | undefined;
    if (this.#legacy) {
      legacyLimiter = new FixedWindowLimiter(cfg.cacheBypassLimit, cfg.refreshIntervalMs);
      this.#coordinator = new LegacyBypassCoordinator(this.#clock, legacyLimiter);
    } else {
      this.#buckets = {
        fast: new TokenBucket({ capacity: cfg.fastLane.cacheBypassLimit, refillIntervalMs: cfg.refreshIntervalMs }),
        standard: new TokenBucket({ capacity: cfg.cacheBypassLimit, refillIntervalMs: cfg.refreshIntervalMs }),
      };
      coalescing = new CoalescingBypassCoordinator(this.#clock, this.#buckets);
      this.#coordinator = coalescing;
    }

    const initial = this.#loadInitialState();
    this.#snapshot = buildSnapshot(initial.state, initial.hasData, this.#clock.now());
    this.#loop = new PollLoop(
      {
        clock: this.#clock,
        backend: options.backend,
        store: options.store,
        tracker: this.#tracker,
        coordinator: this.#coordinator,
        backoff: new ExponentialBackoff(cfg.maxBackoffIntervalMs, options.random),
        metrics: this.metrics,
        log: this.#log,
        mutex: this.#mutex,
        lockScope: this.#legacy ? 'refresh' : 'publish',
        pinnedRoots: options.pinnedRoots,
        hostname: options.hostname,
        agentVersion: options.agentVersion,
        refreshIntervalMs: cfg.refreshIntervalMs,
        refreshIntervalOverridable: cfg.refreshIntervalOverridable,
        prepare: (state, hasData) => buildSnapshot(state, hasData, this.#clock.now()),
        publish: (snapshot) => this.#publish(snapshot),
        onIntervalChange: (ms) => {
          legacyLimiter?.setInterval(ms);
          this.#buckets?.fast.setRefillInterval(ms);
          this.#buckets?.standard.setRefillInterval(ms);
        },
      },
      initial.state,
    );
    coalescing?.setTiming(this.#loop);
    this.#orgStatus = new OrgStatusPoller(options.backend, this.#clock, cfg.orgStatusRefreshIntervalMs, this.#log);
    this.#updateVersionGauges();
  }

  /** The last verified state from the store is served before the first backend poll. */
  #loadInitialState(): { state: TrustedState; hasData: boolean } {
    const pinned = createTrustedState(this.#o.pinnedRoots);
    let persisted;
    try {
      persisted = this.#o.store.loadState();
    } catch (err) {
      this.#log.warn({ err: (err as Error).message }, 'stored state unreadable; starting from the pinned roots');
    }
    if (!persisted) return { state: pinned, hasData: false };
    try {
      const state = restoreState(persisted, this.#o.pinnedRoots);
      return { state, hasData: state.directorTargets.size > 0 || state.director.targets !== undefined };
    } catch (err) {
      this.#log.warn({ err: (err as Error).message }, 'stored state failed verification; store recreated');
      void this.#o.store.recreate();
      return { state: pinned, hasData: false };
    }
  }

  start(): void {
    this.#loop.start();
    this.#orgStatus.start();
  }

  async stop(): Promise<void> {
    await this.#orgStatus.stop();
    await this.#loop.stop();
    await Promise.all([this.#buckets?.fast.stop(), this.#buckets?.standard.stop()]);
  }

  /** Runs one refresh now (tests and `rc-agent` start-up use the loop instead). */
  async refreshNow(): Promise<void> {
    await this.#loop.refresh('scheduled');
  }

  get snapshot(): Snapshot {
    return this.#snapshot;
  }

  isReady(): boolean {
    return this.#snapshot.hasData;
  }

  #publish(snapshot: Snapshot): void {
    this.#snapshot = snapshot;
    this.#updateVersionGauges();
  }

  async clientGetConfigs(request: IClientGetConfigsRequest, ctx: RequestContext): Promise<IClientGetConfigsResponse> {
    const t0 = performance.now();
    let lane: Lane = 'standard';
    let code = 'OK';
    try {
      const client = validateRequest(request);
      lane = this.#classifier.classify(client);
      return this.#legacy
        ? await this.#legacyGetConfigs(request, client)
        : await this.#fastGetConfigs(request, client, lane, ctx);
    } catch (err) {
      const wrapped = toServiceError(err);
      code = wrapped.code;
      throw wrapped;
    } finally {
      this.metrics.clientGetConfigs.inc({ lane, transport: ctx.transport, code });
      this.metrics.clientGetConfigsSeconds.observe({ lane }, (performance.now() - t0) / 1000);
    }
  }

  async #fastGetConfigs(
    request: IClientGetConfigsRequest,
    client: IClient,
    lane: Lane,
    ctx: RequestContext,
  ): Promise<IClientGetConfigsResponse> {
    const { isNew } = this.#tracker.seen(client, this.#clock.now());
    // Deviation from the reference (#6): a known client asking for a product the agent does not fetch yet bypasses too.
    const addsProduct = !isNew && (client.products ?? []).some((p) => !this.#loop.fetches(p));
    if (isNew || addsProduct) {
      // Only a waiting request needs the abort signal (transports create it lazily).
      const signal = ctx.signal;
      const blockTtlMs = lane === 'fast' ? this.#o.config.fastLane.blockTtlMs : STANDARD_BLOCK_TTL_MS;
      await this.#bypass(lane, client.products ?? [], blockTtlMs, signal);
      if (signal.aborted) throw new ServiceError('CANCELLED', 'context canceled');
      this.#tracker.seen(client, this.#clock.now());
    }
    return this.#reply(this.#snapshot, request, client);
  }

  /** The reference's ClientGetConfigs: under the state lock, except while waiting for a bypass. Ignores ctx. */
  async #legacyGetConfigs(request: IClientGetConfigsRequest, client: IClient): Promise<IClientGetConfigsResponse> {
    let release: (() => void) | undefined = await this.#lockForRequest();
    try {
      const { isNew } = this.#tracker.seen(client, this.#clock.now());
      if (isNew) {
        release();
        release = undefined;
        await this.#bypass('standard', client.products ?? [], STANDARD_BLOCK_TTL_MS, NEVER_ABORTED);
        release = await this.#lockForRequest();
      }
      this.#tracker.seen(client, this.#clock.now());
      return this.#reply(this.#snapshot, request, client);
    } finally {
      release?.();
    }
  }

  async #lockForRequest(): Promise<() => void> {
    const release = await this.#mutex.acquire();
    const t0 = performance.now();
    return () => {
      this.metrics.stateLockHold.observe((performance.now() - t0) / 1000);
      release();
    };
  }

  async #bypass(lane: Lane, products: readonly string[], blockTtlMs: number, signal: AbortSignal): Promise<void> {
    const t0 = performance.now();
    const outcome = await this.#coordinator.requestBypass(lane, products, blockTtlMs, signal);
    this.#bypassCounts[lane][outcome]++;
    this.metrics.bypassRequests.inc({ lane, outcome });
    this.metrics.bypassWait.observe({ lane }, (performance.now() - t0) / 1000);
  }

  /** §4.3 steps 5–10 on one snapshot. */
  #reply(snap: Snapshot, request: IClientGetConfigsRequest, client: IClient): IClientGetConfigsResponse {
    const now = this.#clock.now();
    const state = client.state ?? {};
    // Step 6, EXPIRED flush: forward the stored director targets so clients drop what they apply.
    if (this.#loop.updatedSinceStart && snap.directorTargetsRaw && now > snap.directorTimestampExpiresMs) {
      return { targets: snap.directorTargetsRaw, configStatus: CONFIG_STATUS_EXPIRED };
    }
    // Step 7: the client is up to date.
    if (snap.versions.directorTargets === Number(state.targetsVersion ?? 0)) return {};
    // Step 8: roots the client does not have yet, verbatim.
    const roots: Uint8Array[] = [];
    for (let v = Number(state.rootVersion) + 1; v <= snap.versions.directorRoot; v++) {
      const raw = snap.directorRoots[v];
      if (!raw) throw new ServiceError('UNKNOWN', `director root version ${v} was not found in local store`);
      roots.push(raw);
    }
    // Reads re-check expiry of snapshots, targets and delegated roles (the reference's verify()).
    if (now >= snap.validUntilMs) verifyAtRead(snap.state, now);
    if (!snap.directorTargetsRaw) throw new ServiceError('UNKNOWN', 'empty targets meta in director local store');

    // A first poll (nothing cached) of unconditional targets gets the same reply as every other client asking for
    // the same products: build it once per snapshot (a herd is answered in bursts when a refresh publishes).
    const firstPoll = (request.cachedTargetFiles ?? []).length === 0;
    const products = [...new Set(client.products ?? [])].sort();
    const memoKey = firstPoll ? `${Number(state.rootVersion)}\u0000${products.join('\u0000')}` : undefined;
    const memo = memoKey === undefined ? undefined : replyMemo(snap);
    const hit = memoKey === undefined ? undefined : memo?.get(memoKey);
    if (hit) return hit;

    const cached = new Map((request.cachedTargetFiles ?? []).map((f) => [f.path ?? '', f]));
    const selected: SnapshotTarget[] = [];
    let conditional = false;
    for (const product of products) {
      for (const target of snap.targetsByProduct.get(product) ?? []) {
        if (target.predicates || target.expiresMs) conditional = true;
        if (isTargetLive(target, now) && matchesPredicates(target.predicates, client)) selected.push(target);
      }
    }
    selected.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    const targetFiles: IFile[] = [];
    const clientConfigs: string[] = [];
    for (const target of selected) {
      clientConfigs.push(target.path);
      if (cachedFileIsCurrent(cached.get(target.path), target)) continue;
      if (!target.file) throw new ServiceError('UNKNOWN', `tuf: file not found: ${target.path}`);
      targetFiles.push(target.file);
    }
    const reply: IClientGetConfigsResponse = { roots, targets: snap.directorTargetsRaw, targetFiles, clientConfigs };
    if (memo && memoKey !== undefined && !conditional && memo.size < REPLY_MEMO_MAX_ENTRIES) {
      memo.set(memoKey, Object.freeze(reply));
    }
    return reply;
  }

  getConfigState(): IGetStateConfigResponse {
    const state = this.#snapshot.state;
    const metas = (repo: TrustedState['director'] | TrustedState['config']): Record<string, IFileMetaState> => {
      const out: Record<string, IFileMetaState> = {};
      const add = (name: string, m: { version: number; raw: Uint8Array } | undefined): void => {
        if (m) out[name] = { version: m.version, hash: sha256Hex(m.raw) };
      };
      add('root.json', repo.root);
      add('timestamp.json', repo.timestamp);
      add('snapshot.json', repo.snapshot);
      add('targets.json', repo.targets);
      return out;
    };
    const configState = metas(state.config);
    for (const [role, m] of state.config.delegated)
      configState[`${role}.json`] = { version: m.version, hash: sha256Hex(m.raw) };
    const targetFilenames: Record<string, string> = {};
    for (const [path, raw] of state.files) targetFilenames[path] = sha256Hex(raw);
    return {
      configState,
      directorState: metas(state.director),
      targetFilenames,
      activeClients: this.#tracker.activeClients(this.#clock.now()),
    };
  }

  async resetConfigState(): Promise<void> {
    await this.#loop.reset();
  }

  status(): StatusReport {
    const now = this.#clock.now();
    const snap = this.#snapshot;
    const byProduct: Record<string, number> = {};
    const clients = this.#tracker.activeClients(now);
    for (const c of clients) for (const p of new Set(c.products ?? [])) byProduct[p] = (byProduct[p] ?? 0) + 1;
    const lastUpdate = this.#loop.lastUpdateMs;
    return {
      enabled: this.#o.config.enabled,
      policy: this.#o.config.policy,
      ready: snap.hasData,
      backend: this.#o.backend.url,
      orgUuid: snap.state.configOrgUuid,
      ...(this.#orgStatus.status ? { orgStatus: this.#orgStatus.status } : {}),
      versions: snap.versions,
      lastUpdate: lastUpdate === undefined ? undefined : new Date(lastUpdate).toISOString(),
      lastError: this.#loop.lastError,
      refreshIntervalMs: this.#loop.intervalMs,
      configs: snap.targets.map((t) => ({
        path: t.path,
        product: t.product,
        id: t.configId,
        version: t.version,
        length: t.length,
        ...(t.expiresMs ? { expires: t.expiresMs / 1000 } : {}),
      })),
      activeClients: clients.map((c) => ({
        id: c.id ?? '',
        products: c.products ?? [],
        kind: c.isAgent ? 'agent' : c.isUpdater ? 'updater' : 'tracer',
        ...(c.clientTracer?.service ? { service: c.clientTracer.service } : {}),
        lastSeen: new Date(Number(c.lastSeen)).toISOString(),
      })),
      activeClientsByProduct: byProduct,
      bypass: this.#bypassCounts,
      refreshes: this.#loop.refreshCounts,
    };
  }

  /** Refreshes the active-clients gauge (called by /metrics scrapes). */
  collectGauges(): void {
    this.metrics.activeClients.reset();
    for (const [product, n] of Object.entries(this.status().activeClientsByProduct)) {
      this.metrics.activeClients.set({ product }, n);
    }
  }

  #updateVersionGauges(): void {
    const v = this.#snapshot.versions;
    this.metrics.snapshotVersion.set({ repo: 'director', role: 'root' }, v.directorRoot);
    this.metrics.snapshotVersion.set({ repo: 'director', role: 'targets' }, v.directorTargets);
    this.metrics.snapshotVersion.set({ repo: 'config', role: 'root' }, v.configRoot);
    this.metrics.snapshotVersion.set({ repo: 'config', role: 'snapshot' }, v.configSnapshot);
  }
}

function toServiceError(err: unknown): ServiceError {
  if (err instanceof ServiceError) return err;
  if (err instanceof UptaneError) return new ServiceError('UNKNOWN', err.message, { cause: err });
  return new ServiceError('UNKNOWN', (err as Error)?.message ?? String(err), { cause: err });
}
