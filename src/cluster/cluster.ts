// Several rc-agent replicas as one, through a Redis that is never trusted (README "Replicas on Redis").
//
// - Leader election: a Redis lock with a TTL and a fencing token (scripts.ts); renewed every TTL/3, so a dead
//   leader's lock lapses within the TTL and a follower takes over on its next tick (within 2× the TTL).
// - One backend call per round: the leader's BackendClient (this class's `backend`) wraps the real one; each of its
//   refreshes takes the pending asks, sends one request with the fleet's products and active clients, and publishes
//   the raw response with a round ID (fenced: only while it holds the lock). A follower's refresh asks the leader and
//   returns the leader's next response; a round published while the follower did not ask is adopted by a refresh the
//   follower starts at once, so the fleet serves the same version within a round trip.
// - Never trusted: a follower's Refresher verifies whatever comes back (TUF/Uptane, its own trusted state, its own
//   lmdb) before publishing. A round it cannot use (other versions, products it lacks) or that failed verification
//   makes it fetch from the backend itself.
// - Redis down or slow: the replica runs standalone (its own polling and budgets) and rejoins when Redis answers.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { BackendClient, OrgStatus } from '../backend/index.js';
import type { ClusterConfig } from '../config/index.js';
import type { ILatestConfigsRequest, ILatestConfigsResponse } from '../proto/index.js';
import { MAX_UPSTREAM_CLIENTS, silentLogger, type ClusterStatus, type Lane, type Logger } from '../service/index.js';
import { ClusterError } from './error.js';
import { FleetBudget, type TokenSource } from './fleet-budget.js';
import { clusterKeys, type ClusterKeys } from './keys.js';
import {
  basisOf,
  composeRoundRequest,
  decodeAsk,
  decodeRegistration,
  decodeResponse,
  decodeRound,
  encodeAsk,
  encodeRegistration,
  encodeResponse,
  encodeRound,
  isFullResync,
  roundAnswers,
  roundAnswersAsk,
  whyRoundCannotAnswer,
  type Ask,
  type Registration,
  type RoundRecord,
} from './rounds.js';
import { ACQUIRE, PUBLISH_ROUND, RELEASE, RENEW, TAKE_ASKS, TAKE_TOKENS } from './scripts.js';

export type ClusterMode = ClusterStatus['mode'];
export const CLUSTER_MODES: readonly ClusterMode[] = ['standalone', 'leader', 'follower'];

/** How long a follower waits for the round that answers its ask before fetching itself: two refresh spacings and a trip. */
export const ASK_TIMEOUT_MS = 3000;
const NUDGE_EVERY_MS = 50;
const NUDGE_MAX = 100;
/** Rounds stay readable this long (a follower reads one within a round trip of its notification). */
const ROUND_TTL_MS = 30_000;

export interface ClusterOptions {
  readonly config: ClusterConfig;
  readonly apiKey: string;
  /** The real backend: the leader's rounds and every fallback go to it. */
  readonly backend: BackendClient;
  readonly budgets: { readonly fast: number; readonly standard: number; readonly refillIntervalMs: number };
  /** A replica's registration (its active clients) lives this long after its last refresh. */
  readonly clientsTtlMs: number;
  readonly registry?: Registry;
  readonly log?: Logger;
  /** Default: random. */
  readonly replicaId?: string;
  /** Wall clock, epoch ms (default Date.now): rounds are dated with it. Replicas' clocks are assumed in step (NTP). */
  readonly now?: () => number;
}

/** What the cluster needs from the RC service it serves. */
export interface ClusterHooks {
  /** Start a refresh as soon as the spacing allows. */
  refreshSoon(): void;
  /** The last refresh's error (`tuf: …` when verification rejected what it fetched). */
  readonly lastRefreshError?: string | undefined;
}

/** A round read from Redis, and when (this replica's clock). */
interface ReadRound {
  readonly id: number;
  readonly record: RoundRecord;
  readonly readAtMs: number;
}

interface AskWaiter {
  resolve(round: ReadRound | undefined): void;
}

/**
 * Where a follower's wait for a round goes: `queued` ask → the leader's backend request (the leader's refresh spacing
 * and its current round), `fetch` the leader's request → round published, `delivery` published → read by the
 * follower (pub/sub and a GET), `ask` the follower's whole wait from ask to round in hand.
 */
type RoundPhase = 'queued' | 'fetch' | 'delivery' | 'ask';

export class Cluster implements TokenSource {
  readonly backend: BackendClient;
  readonly budgets: Readonly<Record<Lane, FleetBudget>>;
  readonly replicaId: string;
  readonly #o: ClusterOptions;
  readonly #keys: ClusterKeys;
  readonly #log: Logger;
  readonly #redis: Redis;
  readonly #sub: Redis;
  readonly #modeGauge: Gauge<'mode'>;
  readonly #rounds: Counter<'result'>;
  readonly #phases: Histogram<'phase'>;
  readonly #now: () => number;
  /** The moment each response handed to the Refresher reflects (the leader's backend request). */
  readonly #asOf = new WeakMap<ILatestConfigsResponse, number>();
  #hooks: ClusterHooks = { refreshSoon: () => undefined };
  #mode: ClusterMode = 'standalone';
  #reason: string | undefined = 'connecting to Redis';
  #token: string | undefined;
  #fence: number | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #ticking: Promise<void> | undefined;
  #subscribed = false;
  #nudging = false;
  #stopped = false;
  /** Products whose files this replica's state holds in full (what its last answered request asked for). */
  #covered = new Set<string>();
  #lastUsedRound = 0;
  #adoptable: ReadRound | undefined;
  readonly #askWaiters = new Map<string, AskWaiter>();
  readonly #counts = { published: 0, used: 0, fallback: 0, rejected: 0 };

  constructor(options: ClusterOptions) {
    this.#o = options;
    this.#log = options.log ?? silentLogger;
    this.#now = options.now ?? Date.now;
    this.replicaId = options.replicaId ?? randomBytes(6).toString('hex');
    this.#keys = clusterKeys(options.config.name, options.apiKey);
    const redisOptions = {
      lazyConnect: true,
      connectTimeout: options.config.connectTimeoutMs,
      commandTimeout: options.config.commandTimeoutMs,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      // Keep trying, at most every lock TTL: a replica rejoins within about a TTL of Redis coming back.
      retryStrategy: (attempt: number) => Math.min(attempt * 100, options.config.lockTtlMs),
    };
    this.#redis = new Redis(options.config.redisUrl, redisOptions);
    this.#sub = new Redis(options.config.redisUrl, { ...redisOptions, commandTimeout: undefined });
    for (const conn of [this.#redis, this.#sub]) conn.on('error', () => undefined); // surfaced by the tick
    this.#sub.on('message', (channel: string, message: string) => this.#onMessage(channel, message));
    const registers = options.registry ? [options.registry] : [];
    this.#modeGauge = new Gauge({
      name: 'rc_cluster_mode',
      help: 'This replica in the fleet sharing Redis: 1 for its current mode (standalone, leader, follower)',
      labelNames: ['mode'],
      registers,
    });
    this.#rounds = new Counter({
      name: 'rc_cluster_rounds_total',
      help: 'Cluster rounds: published (leader), used (follower), rejected (failed verification), fallback (fetched itself)',
      labelNames: ['result'],
      registers,
    });
    this.#phases = new Histogram({
      name: 'rc_cluster_round_phase_seconds',
      help: 'Where a follower waits for a round: queued (ask to the leader fetching), fetch (leader), delivery (publish to read), ask (whole wait)',
      labelNames: ['phase'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5],
      registers,
    });
    this.#setMode('standalone', this.#reason);
    const budget = (lane: Lane, capacity: number): FleetBudget =>
      new FleetBudget({
        bucket: this.#keys.budgetPrefix + lane,
        capacity,
        refillIntervalMs: options.budgets.refillIntervalMs,
        source: this,
      });
    this.budgets = {
      fast: budget('fast', options.budgets.fast),
      standard: budget('standard', options.budgets.standard),
    };
    this.backend = this.#decorator();
  }

  /**
   * The moment `response` holds the backend's state as of: the leader's backend request for a round (on the leader
   * and on every follower that used it), never later than when this replica read it. Undefined for a response this
   * replica fetched itself (its refresh's start then dates it).
   */
  dataAsOfMs(response: ILatestConfigsResponse): number | undefined {
    return this.#asOf.get(response);
  }

  get mode(): ClusterMode {
    return this.#mode;
  }

  get joined(): boolean {
    return this.#mode !== 'standalone';
  }

  attach(hooks: ClusterHooks): void {
    this.#hooks = hooks;
  }

  /** Connects in the background: a replica serves (standalone) whether or not Redis answers. */
  start(): void {
    this.#stopped = false;
    this.#schedule(0);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#ticking;
    for (const b of Object.values(this.budgets)) b.close();
    for (const w of this.#askWaiters.values()) w.resolve(undefined);
    if (this.#mode === 'leader' && this.#token) {
      await this.#redis.eval(RELEASE, 1, this.#keys.leader, this.#token).catch(() => undefined);
    }
    this.#redis.disconnect();
    this.#sub.disconnect();
  }

  status(): ClusterStatus {
    return {
      mode: this.#mode,
      name: this.#o.config.name,
      replicaId: this.replicaId,
      ...(this.#reason ? { reason: this.#reason } : {}),
      ...(this.#mode === 'leader' && this.#fence !== undefined ? { fencingToken: this.#fence } : {}),
      roundsPublished: this.#counts.published,
      roundsUsed: this.#counts.used,
      fallbackFetches: this.#counts.fallback,
      roundsRejected: this.#counts.rejected,
    };
  }

  async takeTokens(
    bucket: string,
    capacity: number,
    intervalMs: number,
    wanted: number,
  ): Promise<{ granted: number; windowLeftMs: number }> {
    const answer = await this.#redis.eval(TAKE_TOKENS, 1, bucket, capacity, intervalMs, wanted);
    if (!Array.isArray(answer) || typeof answer[0] !== 'number' || typeof answer[1] !== 'number') {
      throw new ClusterError('BAD_RECORD', 'token bucket answered an unexpected reply');
    }
    return { granted: Math.max(0, Math.min(wanted, answer[0])), windowLeftMs: Math.max(1, answer[1]) };
  }

  // ---- membership ------------------------------------------------------------------------------------------------

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#ticking = this.#tick().finally(() => {
        this.#ticking = undefined;
        this.#schedule(Math.max(50, Math.floor(this.#o.config.lockTtlMs / 3)));
      });
    }, delayMs);
    this.#timer.unref();
  }

  /**
   * Only the tick decides whether Redis is unavailable. A command that timed out is retried once at once: a replica
   * whose event loop was blocked past the command timeout (a herd, a large verification) reads a reply Redis sent in
   * time only after the timer fired, and must not drop out of the fleet for that (it would fetch alone, spend its own
   * budget and, as leader, hand the lock over).
   */
  async #tick(): Promise<void> {
    try {
      await this.#membership();
    } catch (err) {
      if (!isCommandTimeout(err) || this.#stopped) {
        this.#goStandalone(err);
        return;
      }
      try {
        await this.#membership();
      } catch (again) {
        this.#goStandalone(again);
      }
    }
  }

  async #membership(): Promise<void> {
    for (const conn of [this.#redis, this.#sub]) {
      if (conn.status === 'wait' || conn.status === 'end') await conn.connect();
    }
    if (this.#redis.status !== 'ready' || this.#sub.status !== 'ready') {
      throw new ClusterError('REDIS_UNAVAILABLE', `Redis ${this.#redis.status}`);
    }
    if (!this.#subscribed) {
      await this.#sub.subscribe(this.#keys.roundsChannel, this.#keys.asksChannel);
      this.#subscribed = true;
    }
    const ttl = this.#o.config.lockTtlMs;
    if (this.#mode === 'leader' && this.#token) {
      if (Number(await this.#redis.eval(RENEW, 1, this.#keys.leader, this.#token, ttl)) === 1) {
        this.#setMode('leader');
        if ((await this.#redis.hlen(this.#keys.asks)) > 0) this.#nudge();
        return;
      }
      this.#log.warn({ replica: this.replicaId }, 'cluster: leader lock lost; following');
    }
    const fence = Number(await this.#redis.eval(ACQUIRE, 2, this.#keys.leader, this.#keys.fence, this.replicaId, ttl));
    if (fence > 0) {
      this.#fence = fence;
      this.#token = `${this.replicaId}:${fence}`;
      this.#log.info({ replica: this.replicaId, fence }, 'cluster: leading');
      this.#setMode('leader');
      // Asks left by followers while there was no leader: answer them with a round now.
      if ((await this.#redis.hlen(this.#keys.asks)) > 0) this.#nudge();
    } else {
      this.#token = undefined;
      this.#setMode('follower');
    }
    for (const b of Object.values(this.budgets)) void b.topUp();
  }

  /** A command outside the tick failed: the operation falls back; only an unambiguous failure changes the mode now. */
  #commandFailed(err: unknown): void {
    if (isCommandTimeout(err)) {
      this.#log.info({ err: (err as Error).message }, 'cluster: a Redis command timed out; the next tick decides');
    } else {
      this.#goStandalone(err);
    }
  }

  #goStandalone(err: unknown): void {
    const reason = `Redis unavailable: ${(err as Error).message}`;
    if (this.#mode !== 'standalone') {
      this.#log.warn({ err: (err as Error).message }, 'cluster: Redis unavailable; polling standalone');
    }
    this.#token = undefined;
    this.#setMode('standalone', reason);
  }

  #setMode(mode: ClusterMode, reason?: string): void {
    const changed = mode !== this.#mode;
    this.#mode = mode;
    this.#reason = reason;
    for (const m of CLUSTER_MODES) this.#modeGauge.set({ mode: m }, m === mode ? 1 : 0);
    if (changed) {
      this.#adoptable = undefined;
      // A follower's wait for a round ends: it fetches itself.
      if (mode !== 'follower') for (const w of this.#askWaiters.values()) w.resolve(undefined);
    }
  }

  #onMessage(channel: string, message: string): void {
    if (channel === this.#keys.asksChannel) {
      if (this.#mode === 'leader') this.#nudge();
      return;
    }
    if (channel !== this.#keys.roundsChannel || this.#mode !== 'follower') return;
    const id = Number(message);
    if (!Number.isSafeInteger(id) || id <= this.#lastUsedRound) return;
    void this.#readRound(id).then((record) => {
      if (!record) return;
      const round: ReadRound = { id, record, readAtMs: this.#now() };
      this.#observe('delivery', round.readAtMs - record.publishedAtMs);
      let mine = false;
      for (const askId of record.askIds) {
        const waiter = this.#askWaiters.get(askId);
        if (waiter) {
          mine = true;
          waiter.resolve(round);
        }
      }
      if (!mine && id > (this.#adoptable?.id ?? 0)) {
        this.#adoptable = round;
        this.#hooks.refreshSoon();
      }
    });
  }

  /**
   * While asks are pending, keeps asking the service for a refresh: a request made during a round is forgotten when
   * the round ends (the policy schedules its next poll then), so ask again until the asks are taken.
   */
  #nudge(): void {
    if (this.#nudging) return;
    this.#nudging = true;
    this.#hooks.refreshSoon();
    const again = async (): Promise<void> => {
      for (let i = 0; i < NUDGE_MAX; i++) {
        await new Promise((r) => setTimeout(r, NUDGE_EVERY_MS).unref());
        if (this.#mode !== 'leader' || this.#stopped) return;
        if ((await this.#redis.hlen(this.#keys.asks)) === 0) return;
        this.#hooks.refreshSoon();
      }
    };
    void again()
      .catch(() => undefined)
      .finally(() => (this.#nudging = false));
  }

  #observe(phase: RoundPhase, ms: number): void {
    // Clocks of two hosts may disagree by a little: a negative span is clamped, not dropped.
    this.#phases.observe({ phase }, Math.max(0, ms) / 1000);
  }

  /**
   * A round's record; undefined when Redis cannot give it (a timeout is retried once, as in the tick: the reply may
   * only have been read late) — that is not a bad round, so not counted as rejected: the ask times out and this
   * replica fetches itself. A record that does not parse is rejected.
   */
  async #readRound(id: number): Promise<RoundRecord | undefined> {
    const key = this.#keys.roundPrefix + String(id);
    let text: string | null;
    try {
      text = await this.#redis.get(key).catch((err: unknown) => {
        if (isCommandTimeout(err)) return this.#redis.get(key);
        throw err;
      });
    } catch (err) {
      this.#log.info({ replica: this.replicaId, err: (err as Error).message }, `cluster: round ${id} unreadable`);
      return undefined;
    }
    if (text === null) return undefined;
    try {
      return decodeRound(text);
    } catch (err) {
      this.#noteRejected(`round ${id} malformed: ${(err as Error).message}`);
      return undefined;
    }
  }

  #noteRejected(why: string): void {
    this.#counts.rejected++;
    this.#rounds.inc({ result: 'rejected' });
    this.#log.warn({ replica: this.replicaId, why }, 'cluster: round from Redis rejected; fetching from the backend');
  }

  // ---- the BackendClient decorator -------------------------------------------------------------------------------

  #decorator(): BackendClient {
    const real = this.#o.backend;
    return {
      url: real.url,
      fetchLatestConfigs: (req, signal) => this.#fetch(req, signal),
      fetchOrgUuid: (signal?: AbortSignal): Promise<string> => real.fetchOrgUuid(signal),
      fetchOrgStatus: (signal?: AbortSignal): Promise<OrgStatus> => real.fetchOrgStatus(signal),
      close: () => real.close(),
    };
  }

  async #fetch(req: ILatestConfigsRequest, signal?: AbortSignal): Promise<ILatestConfigsResponse> {
    void this.#register(req);
    if (this.#mode === 'leader') return this.#lead(req, signal);
    if (this.#mode === 'follower' && req.hasError !== true && !isFullResync(req)) {
      const round = await this.#follow(req);
      if (round) {
        try {
          const response = decodeResponse(round.record.payload);
          this.#lastUsedRound = Math.max(this.#lastUsedRound, round.id);
          this.#covered = new Set([...round.record.products, ...round.record.newProducts]);
          this.#counts.used++;
          this.#rounds.inc({ result: 'used' });
          this.#checkVerified(round.id);
          // Honest freshness: the backend was asked when the leader fetched, not when this refresh started.
          this.#asOf.set(response, Math.min(round.record.fetchStartedAtMs, round.readAtMs));
          return response;
        } catch (err) {
          this.#noteRejected((err as Error).message);
        }
      }
    }
    if (this.#mode === 'follower') {
      this.#counts.fallback++;
      this.#rounds.inc({ result: 'fallback' });
    }
    const response = await this.#o.backend.fetchLatestConfigs(req, signal);
    this.#covered = new Set([...(req.products ?? []), ...(req.newProducts ?? [])]);
    return response;
  }

  /**
   * The Refresher verifies a response synchronously as soon as it has it: once the current microtasks ran, its error
   * says whether the round's bytes were rejected. A rejected round is counted and the next refresh (a full one,
   * sent with has_error) goes to the backend.
   */
  #checkVerified(id: number): void {
    setImmediate(() => {
      const err = this.#hooks.lastRefreshError;
      if (err?.startsWith('tuf:') === true) this.#noteRejected(`round ${id}: ${err}`);
    });
  }

  /** A follower's round: the adoptable one if it answers the request, else the round that answers its ask. */
  async #follow(req: ILatestConfigsRequest): Promise<ReadRound | undefined> {
    const adoptable = this.#adoptable;
    this.#adoptable = undefined;
    if (adoptable && adoptable.id > this.#lastUsedRound && roundAnswers(adoptable.record, req, this.#covered)) {
      return adoptable;
    }
    const askId = `${this.replicaId}:${randomBytes(6).toString('hex')}`;
    const ask: Ask = {
      replica: this.replicaId,
      basis: basisOf(req),
      products: req.products ?? [],
      newProducts: req.newProducts ?? [],
      covered: [...this.#covered],
      clients: req.activeClients ?? [],
      askedAtMs: this.#now(),
    };
    const answered = new Promise<ReadRound | undefined>((resolve) => {
      const timer = setTimeout(() => done(undefined), ASK_TIMEOUT_MS);
      const done = (round: ReadRound | undefined): void => {
        clearTimeout(timer);
        this.#askWaiters.delete(askId);
        resolve(round);
      };
      this.#askWaiters.set(askId, { resolve: done });
    });
    try {
      await this.#redis
        .multi()
        .hset(this.#keys.asks, askId, encodeAsk(ask))
        .pexpire(this.#keys.asks, 2 * this.#o.config.lockTtlMs)
        .publish(this.#keys.asksChannel, askId)
        .exec();
    } catch (err) {
      this.#askWaiters.get(askId)?.resolve(undefined);
      this.#commandFailed(err);
    }
    const round = await answered;
    if (round) this.#observe('ask', round.readAtMs - ask.askedAtMs);
    const why = round ? whyRoundCannotAnswer(round.record, req, this.#covered) : 'no round answered the ask in time';
    if (why === undefined) return round;
    this.#log.info({ replica: this.replicaId, why }, 'cluster: fetching from the backend');
    return undefined;
  }

  /** The leader's refresh: one backend request for the fleet, published as a round. */
  async #lead(req: ILatestConfigsRequest, signal?: AbortSignal): Promise<ILatestConfigsResponse> {
    const token = this.#token;
    let asks: Array<{ id: string; ask: Ask }> = [];
    let registrations: Registration[] = [];
    try {
      if (!token) throw new ClusterError('NOT_LEADER', 'no lock token');
      [asks, registrations] = await Promise.all([this.#takeAsks(token), this.#registrations()]);
    } catch (err) {
      if (!(err instanceof ClusterError && err.code === 'NOT_LEADER')) this.#commandFailed(err);
      const response = await this.#o.backend.fetchLatestConfigs(req, signal);
      this.#covered = new Set([...(req.products ?? []), ...(req.newProducts ?? [])]);
      return response;
    }
    const roundReq = composeRoundRequest(
      req,
      this.#covered,
      asks.map((a) => a.ask),
      registrations,
      MAX_UPSTREAM_CLIENTS,
    );
    const fetchStartedAtMs = this.#now();
    for (const a of asks) this.#observe('queued', fetchStartedAtMs - a.ask.askedAtMs);
    const response = await this.#o.backend.fetchLatestConfigs(roundReq, signal);
    this.#asOf.set(response, fetchStartedAtMs);
    this.#covered = new Set([...(roundReq.products ?? []), ...(roundReq.newProducts ?? [])]);
    const base: Omit<RoundRecord, 'askIds' | 'publishedAtMs'> = {
      fence: this.#fence ?? 0,
      leader: this.replicaId,
      basis: basisOf(roundReq),
      products: roundReq.products ?? [],
      newProducts: roundReq.newProducts ?? [],
      fetchStartedAtMs,
      payload: encodeResponse(response),
    };
    // Asks that arrived while the round was in flight join it when it answers them (as a request joins a refresh in
    // flight); the others wait for the next round.
    const late = await this.#takeAsks(token).catch(() => []);
    const joined = late.filter((a) => roundAnswersAsk({ ...base, askIds: [], publishedAtMs: 0 }, a.ask));
    const waiting = late.filter((a) => !joined.includes(a));
    if (waiting.length > 0) {
      await this.#redis
        .hset(this.#keys.asks, Object.fromEntries(waiting.map((a) => [a.id, encodeAsk(a.ask)])))
        .catch(() => undefined);
    }
    const record: RoundRecord = {
      ...base,
      askIds: [...asks, ...joined].map((a) => a.id),
      publishedAtMs: this.#now(),
    };
    this.#observe('fetch', record.publishedAtMs - fetchStartedAtMs);
    try {
      const id = Number(
        await this.#redis.eval(
          PUBLISH_ROUND,
          2,
          this.#keys.leader,
          this.#keys.roundSeq,
          token,
          this.#keys.roundPrefix,
          encodeRound(record),
          ROUND_TTL_MS,
          this.#keys.roundsChannel,
        ),
      );
      if (id > 0) {
        this.#counts.published++;
        this.#rounds.inc({ result: 'published' });
        this.#nudge();
      } else {
        this.#log.warn({ replica: this.replicaId }, 'cluster: lock lost during a round; not published');
      }
    } catch (err) {
      this.#commandFailed(err);
    }
    return response;
  }

  async #takeAsks(token: string): Promise<Array<{ id: string; ask: Ask }>> {
    const flat = await this.#redis.eval(TAKE_ASKS, 2, this.#keys.leader, this.#keys.asks, token);
    if (flat === null) throw new ClusterError('NOT_LEADER', 'the lock is not ours');
    if (!Array.isArray(flat)) throw new ClusterError('BAD_RECORD', 'asks: not a list');
    const asks: Array<{ id: string; ask: Ask }> = [];
    for (let i = 0; i + 1 < flat.length; i += 2) {
      try {
        asks.push({ id: String(flat[i]), ask: decodeAsk(String(flat[i + 1])) });
      } catch (err) {
        this.#log.warn({ err: (err as Error).message }, 'cluster: ignoring a bad ask');
      }
    }
    return asks;
  }

  async #registrations(): Promise<Registration[]> {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await this.#redis.scan(cursor, 'MATCH', `${this.#keys.registrationPrefix}*`, 'COUNT', 1000);
      cursor = next;
      keys.push(...batch);
    } while (cursor !== '0' && keys.length < 10_000);
    const own = this.#keys.registrationPrefix + this.replicaId;
    const others = keys.filter((k) => k !== own);
    if (others.length === 0) return [];
    const out: Registration[] = [];
    for (const text of await this.#redis.mget(others)) {
      if (text === null) continue;
      try {
        out.push(decodeRegistration(text));
      } catch (err) {
        this.#log.warn({ err: (err as Error).message }, 'cluster: ignoring a bad registration');
      }
    }
    return out;
  }

  /** Records this replica's active clients and products for the leader's requests. */
  async #register(req: ILatestConfigsRequest): Promise<void> {
    if (this.#mode === 'standalone') return;
    const registration: Registration = {
      products: [...new Set([...(req.products ?? []), ...(req.newProducts ?? [])])],
      clients: req.activeClients ?? [],
    };
    await this.#redis
      .set(this.#keys.registrationPrefix + this.replicaId, encodeRegistration(registration), 'PX', this.#o.clientsTtlMs)
      .catch(() => undefined);
  }
}

/** ioredis's commandTimeout rejection (the reply may well have arrived while the event loop was blocked). */
function isCommandTimeout(err: unknown): boolean {
  return err instanceof Error && /timed out/i.test(err.message);
}
