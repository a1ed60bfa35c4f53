// The RC service: ClientGetConfigs from the current verified snapshot (PROTOCOL.md §4.3). *How* the snapshot is
// refreshed is the Refresher's (refresher.ts); *when* — and whether a request waits for a refresh first — is the
// scheduling policy's (fast-lane-policy.ts, legacy-policy.ts). In the fast-lane policy a request reads the snapshot
// reference once and never waits on a lock; the legacy policy serialises requests on the state lock like the
// reference agent.
import { performance } from 'node:perf_hooks';
import { Mutex } from 'async-mutex';
import { UptaneError, verifyAtRead, type TrustedState } from '../uptane/index.js';
import type { BackendClient } from '../backend/index.js';
import type {
  IClient,
  IClientGetConfigsRequest,
  IClientGetConfigsResponse,
  IFile,
  IFileMetaState,
  IGetStateConfigResponse,
  ILatestConfigsResponse,
} from '../proto/index.js';
import type { RemoteConfigConfig } from '../config/index.js';
import { ExponentialBackoff, FixedWindowLimiter, TokenBucket } from '../ratelimit/index.js';
import { systemClock, type Clock } from '../clock/index.js';
import { ClientTracker } from './client-tracker.js';
import { createLaneClassifier, type Lane, type LaneClassifier } from './lanes.js';
import { createServiceMetrics, type ServiceMetrics } from './metrics.js';
import { OrgStatusPoller } from './org-status-poller.js';
import { sha256Hex, type Snapshot, type SnapshotTarget } from './snapshot.js';
import { cachedFileIsCurrent, isTargetLive } from './selection.js';
import { matchesPredicates } from './predicates.js';
import { ServiceError } from './error.js';
import { validateRequest } from './validate.js';
import { silentLogger, type Logger } from './logger.js';
import type { StateStore } from './state-store.js';
import type { ClusterStatus, RcService, RequestContext, StatusReport } from './contract.js';
import { Refresher } from './refresher.js';
import { FastLanePolicy } from './fast-lane-policy.js';
import { REPLY_MEMO_MAX_ENTRIES, replyMemo, validatedRequests } from './frozen-caches.js';
import { LegacyPolicy } from './legacy-policy.js';
import {
  BypassStats,
  type BypassBudget,
  type FreshnessNeed,
  type ScheduledRequest,
  type SchedulingPolicy,
} from './scheduling.js';
import type { UpstreamIdentity } from './latest-configs-request.js';

/** The standard lane's block: below dd-trace-js's 2 s request timeout (the reference blocks exactly 2 s). */
export const STANDARD_BLOCK_TTL_MS = 1500;
/** Active clients sent upstream in one request, at most (the most recently seen). */
export const MAX_UPSTREAM_CLIENTS = 10_000;
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
  /** Problems of the config source to show in status (the local signed source's skipped files). */
  readonly sourceWarnings?: () => readonly string[];
  /** Extra upstream identity fields (defaults: hostname and agentVersion above). */
  readonly identity?: UpstreamIdentity;
  /** Bypass budgets (fast-lane policy); default: local token buckets. A fleet sharing Redis injects its own. */
  readonly budgets?: Readonly<Record<Lane, BypassBudget>>;
  /** The cluster this replica belongs to, for status and /readyz (src/cluster), and how old its rounds are. */
  readonly cluster?: {
    status(): ClusterStatus;
    dataAsOfMs?(response: ILatestConfigsResponse): number | undefined;
  };
}

/** The reply of an up-to-date client (encoded `{}`): one shared frozen object, so transports cache its encoding. */
const UP_TO_DATE: IClientGetConfigsResponse = Object.freeze({});

export class RemoteConfigService implements RcService {
  readonly metrics: ServiceMetrics;
  readonly #o: RemoteConfigServiceOptions;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #tracker: ClientTracker;
  readonly #classifier: LaneClassifier;
  readonly #refresher: Refresher;
  readonly #policy: SchedulingPolicy;
  readonly #orgStatus: OrgStatusPoller;
  readonly #stats: BypassStats;
  readonly #fastProducts: ReadonlySet<string>;
  readonly #callCounters = new Map<string, { inc(): void }>();
  readonly #latency: Record<Lane, { observe(seconds: number): void }>;

  constructor(options: RemoteConfigServiceOptions) {
    this.#o = options;
    const cfg = options.config;
    this.#clock = options.clock ?? systemClock;
    this.#log = options.log ?? silentLogger;
    this.metrics = options.metrics ?? createServiceMetrics();
    this.#stats = new BypassStats(this.metrics);
    this.#latency = {
      fast: this.metrics.clientGetConfigsSeconds.labels({ lane: 'fast' }),
      standard: this.metrics.clientGetConfigsSeconds.labels({ lane: 'standard' }),
    };
    const legacy = cfg.policy === 'legacy';
    const fastLaneOn = cfg.fastLane.enabled && !legacy;
    this.#fastProducts = new Set(fastLaneOn ? cfg.fastLane.products : []);
    this.#tracker = new ClientTracker(cfg.clientsTtlMs);
    this.#classifier = createLaneClassifier({ enabled: fastLaneOn, products: cfg.fastLane.products });
    const mutex = new Mutex();
    let policy: SchedulingPolicy | undefined;
    this.#refresher = new Refresher({
      clock: this.#clock,
      backend: options.backend,
      store: options.store,
      tracker: this.#tracker,
      backoff: new ExponentialBackoff(cfg.maxBackoffIntervalMs, options.random),
      metrics: this.metrics,
      log: this.#log,
      mutex,
      pinnedRoots: options.pinnedRoots,
      identity: options.identity ?? { hostname: options.hostname, agentVersion: options.agentVersion },
      ...(cfg.rcKey ? { orgId: cfg.rcKey.orgId } : {}),
      refreshIntervalMs: cfg.refreshIntervalMs,
      refreshIntervalOverridable: cfg.refreshIntervalOverridable,
      prefetchProducts: fastLaneOn && cfg.fastLane.prefetch ? cfg.fastLane.products : [],
      maxUpstreamClients: MAX_UPSTREAM_CLIENTS,
      onIntervalChange: (ms) => policy?.setRefreshInterval(ms),
      onPublish: () => this.#updateVersionGauges(),
      ...(options.cluster?.dataAsOfMs ? { dataAsOfMs: (r) => options.cluster?.dataAsOfMs?.(r) } : {}),
    });
    if (legacy) {
      policy = new LegacyPolicy({
        clock: this.#clock,
        refresher: this.#refresher,
        limiter: new FixedWindowLimiter(cfg.cacheBypassLimit, cfg.refreshIntervalMs),
        mutex,
        metrics: this.metrics,
        log: this.#log,
      });
    } else {
      policy = new FastLanePolicy({
        clock: this.#clock,
        refresher: this.#refresher,
        budgets: options.budgets ?? {
          fast: new TokenBucket({ capacity: cfg.fastLane.cacheBypassLimit, refillIntervalMs: cfg.refreshIntervalMs }),
          standard: new TokenBucket({ capacity: cfg.cacheBypassLimit, refillIntervalMs: cfg.refreshIntervalMs }),
        },
        blockTtlMs: { fast: cfg.fastLane.blockTtlMs, standard: STANDARD_BLOCK_TTL_MS },
        log: this.#log,
      });
    }
    this.#policy = policy;
    this.#orgStatus = new OrgStatusPoller(options.backend, this.#clock, cfg.orgStatusRefreshIntervalMs, this.#log);
    this.#updateVersionGauges();
  }

  start(): void {
    this.#policy.start();
    this.#orgStatus.start();
  }

  async stop(): Promise<void> {
    await this.#orgStatus.stop();
    await this.#policy.stop();
  }

  /** Refresh as soon as the spacing allows (the local source changed; a cluster follower adopting a round). */
  refreshSoon(): void {
    this.#policy.refreshSoon();
  }

  /** The last refresh's error, if it failed (a cluster follower learns that a round from Redis was rejected). */
  get lastRefreshError(): string | undefined {
    return this.#refresher.lastError;
  }

  /** Runs one refresh now, outside the schedule (tests). */
  async refreshNow(): Promise<void> {
    await this.#refresher.refresh('scheduled');
  }

  get snapshot(): Snapshot {
    return this.#refresher.snapshot;
  }

  isReady(): boolean {
    return this.#refresher.snapshot.hasData;
  }

  async clientGetConfigs(request: IClientGetConfigsRequest, ctx: RequestContext): Promise<IClientGetConfigsResponse> {
    const t0 = performance.now();
    let lane: Lane = 'standard';
    let code = 'OK';
    try {
      let validated = validatedRequests.get(request);
      if (!validated) {
        const client = validateRequest(request);
        validated = { client, lane: this.#classifier.classify(client) };
        if (Object.isFrozen(request)) validatedRequests.set(request, validated);
      }
      lane = validated.lane;
      return await this.#policy.serve(this.#scheduled(request, validated.client, lane), ctx);
    } catch (err) {
      const wrapped = toServiceError(err);
      code = wrapped.code;
      throw wrapped;
    } finally {
      this.#callCounter(lane, ctx.transport, code).inc();
      this.#latency[lane].observe((performance.now() - t0) / 1000);
    }
  }

  #scheduled(
    request: IClientGetConfigsRequest,
    client: IClient,
    lane: Lane,
  ): ScheduledRequest<IClientGetConfigsResponse> {
    const products = client.products ?? [];
    return {
      lane,
      products,
      track: () => this.#track(client, lane, products),
      answer: () => this.#reply(this.#refresher.snapshot, request, client),
      settled: (outcome, waitedMs) => {
        this.#stats.record(lane, outcome, waitedMs);
        this.#tracker.noteBypass(client.id ?? '', { outcome, waitedMs, atMs: this.#clock.now() });
      },
    };
  }

  #track(client: IClient, lane: Lane, products: readonly string[]): FreshnessNeed | undefined {
    const { isNew } = this.#tracker.seen(client, this.#clock.now());
    if (isNew) {
      // The fast-lane products of a bundled request decide its wait; the others may arrive by its next poll.
      const waitFor = lane === 'fast' ? products.filter((p) => this.#fastProducts.has(p)) : products;
      return { reason: 'new_client', waitFor };
    }
    // Deviation from the reference (#6): a known client asking for a product the agent does not fetch yet bypasses too.
    let unfetched: string[] | undefined;
    for (const p of products) if (!this.#refresher.fetches(p)) (unfetched ??= []).push(p);
    return unfetched ? { reason: 'new_product', waitFor: unfetched } : undefined;
  }

  #callCounter(lane: Lane, transport: string, code: string): { inc(): void } {
    const key = `${lane}/${transport}/${code}`;
    let counter = this.#callCounters.get(key);
    if (!counter) {
      counter = this.metrics.clientGetConfigs.labels({ lane, transport, code });
      this.#callCounters.set(key, counter);
    }
    return counter;
  }

  /** §4.3 steps 5–10 on one snapshot. */
  #reply(snap: Snapshot, request: IClientGetConfigsRequest, client: IClient): IClientGetConfigsResponse {
    const now = this.#clock.now();
    const state = client.state ?? {};
    // Step 6, EXPIRED flush: forward the stored director targets so clients drop what they apply.
    if (this.#refresher.updatedSinceStart && snap.directorTargetsRaw && now > snap.directorTimestampExpiresMs) {
      return { targets: snap.directorTargetsRaw, configStatus: CONFIG_STATUS_EXPIRED };
    }
    // Step 7: the client is up to date.
    if (snap.versions.directorTargets === Number(state.targetsVersion ?? 0)) return UP_TO_DATE;
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
    const state = this.#refresher.snapshot.state;
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
    await this.#refresher.reset();
    this.#policy.refreshSoon();
  }

  status(): StatusReport {
    const now = this.#clock.now();
    const snap = this.#refresher.snapshot;
    const byProduct: Record<string, number> = {};
    const clients = this.#tracker.activeClients(now);
    for (const c of clients) for (const p of new Set(c.products ?? [])) byProduct[p] = (byProduct[p] ?? 0) + 1;
    const lastUpdate = this.#refresher.lastUpdateMs;
    const fresh = this.#refresher.freshness;
    return {
      enabled: this.#o.config.enabled,
      policy: this.#o.config.policy,
      ready: snap.hasData,
      backend: this.#o.backend.url,
      orgUuid: snap.state.configOrgUuid,
      ...(this.#orgStatus.status ? { orgStatus: this.#orgStatus.status } : {}),
      versions: snap.versions,
      lastUpdate: lastUpdate === undefined ? undefined : new Date(lastUpdate).toISOString(),
      lastError: this.#refresher.lastError,
      refreshIntervalMs: this.#refresher.intervalMs,
      fetchedProducts: [...fresh.products].sort(),
      ...(fresh.asOfMs > -Infinity ? { freshAsOf: new Date(fresh.asOfMs).toISOString() } : {}),
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
        ...this.#lastBypass(c.id ?? ''),
      })),
      activeClientsByProduct: byProduct,
      bypass: this.#stats.counts,
      ...(this.#o.sourceWarnings ? { sourceWarnings: [...this.#o.sourceWarnings()] } : {}),
      refreshes: this.#refresher.refreshCounts,
      ...(this.#o.cluster ? { cluster: this.#o.cluster.status() } : {}),
    };
  }

  readyDetails(): readonly string[] {
    const c = this.#o.cluster?.status();
    if (!c) return [];
    return [`cluster ${c.name}: ${c.mode}${c.reason ? ` (${c.reason})` : ''}`];
  }

  #lastBypass(id: string): { lastBypass?: { outcome: string; waitedMs: number; at: string } } {
    const note = this.#tracker.bypassNote(id);
    if (!note) return {};
    return { lastBypass: { outcome: note.outcome, waitedMs: note.waitedMs, at: new Date(note.atMs).toISOString() } };
  }

  /** Refreshes the active-clients gauge (called by /metrics scrapes). */
  collectGauges(): void {
    this.metrics.activeClients.reset();
    for (const [product, n] of this.#tracker.countByProduct(this.#clock.now())) {
      this.metrics.activeClients.set({ product }, n);
    }
  }

  #updateVersionGauges(): void {
    const v = this.#refresher.snapshot.versions;
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
