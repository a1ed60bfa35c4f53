// A tracer's RC client: polls `/v0.7/config` like dd-trace-js 5.132 (PROTOCOL.md §3, §7) under the `legacy` policy,
// or with a separate fast lane, jitter and backoff under `fastlane`. Usable as a library and as a tracer emulator.
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { request, type Dispatcher } from 'undici';
import { systemClock, type Clock, type TimerHandle } from '../clock/index.js';
import {
  DD_TRACE_JS_CAPABILITIES,
  decodeCapabilities,
  FFE_FLAG_CONFIGURATION_RULES,
  splitCapabilities,
} from './capabilities.js';
import { checkDelayMs } from './checks.js';
import { RcClientError } from './error.js';
import { createFetchPools, type ConcurrencyLimit, type RcFetchPools, type ReleaseSlot } from './fetch-pools.js';
import { LaneState, type InvokeResult } from './lane-state.js';
import { buildRequestBody, encodeCapabilities, type RcTracerInfo } from './request-body.js';
import { nextPollDelay, parseRetryAfterMs } from './schedule.js';
import type {
  RcClientEvents,
  RcClientOptions,
  RcClientStats,
  RcConfigChange,
  RcLaneName,
  RcPolicy,
  RcProductHandler,
} from './types.js';

export const DEFAULT_POLL_INTERVAL_MS = 5000;
export const DEFAULT_FAST_POLL_INTERVAL_MS = 1000;
/** `DD_RC_FAST_LANE_INITIAL_INTERVAL_MS` default: the first fast-lane request goes at once. */
export const DEFAULT_FAST_LANE_INITIAL_INTERVAL_MS = 0;
/** dd-trace-js's request timeout. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 2000;
export const DEFAULT_MAX_BACKOFF_MS = 30_000;
export const DEFAULT_MAX_RETRY_AFTER_MS = 300_000;
export const DEFAULT_FAST_LANE_PRODUCTS: readonly string[] = ['FFE_FLAGS'];
export const DEFAULT_TRACER_VERSION = '5.132.0';

interface Lane {
  readonly name: RcLaneName;
  readonly clientId: string;
  readonly products: readonly string[];
  readonly tags: readonly string[];
  /** Padded base64 of the capabilities this lane's request advertises. */
  readonly capabilities: string;
  /** The fetch pool this lane's requests go through. */
  readonly pool: ConcurrencyLimit;
  readonly state: LaneState;
  /** A full state (targets) arrived at least once. */
  delivered: boolean;
  /** Consecutive failed polls. */
  failures: number;
  timer: TimerHandle | undefined;
  inFlight: Promise<void> | undefined;
  controller: AbortController | undefined;
}

interface PollResult {
  readonly aborted: boolean;
  readonly ok: boolean;
  readonly retryAfterMs?: number;
}

const TIMEOUT = Symbol('timeout');
const STOPPED = Symbol('stopped');
const HTTP_RETRY_AFTER_STATUSES = new Set([429, 503]);

export class RcClient extends EventEmitter<RcClientEvents> {
  readonly policy: RcPolicy;
  readonly runtimeId: string;
  readonly stats: RcClientStats = { requests: 0, errors: 0, timeouts: 0, updates: 0, lastStatus: undefined };
  /** The pools this client's fetches go through: its own, or the shared ones it was given. */
  readonly fetchPools: RcFetchPools;

  private readonly url: string;
  private readonly lanes: readonly Lane[];
  private readonly handlers = new Map<string, RcProductHandler>();
  private readonly tracer: Omit<RcTracerInfo, 'tags'>;
  private readonly headers: Record<string, string>;
  private readonly pollIntervalMs: number;
  private fastIntervalMs: number;
  private fastInitialMs: number;
  private readonly requestTimeoutMs: number;
  private readonly maxBackoffMs: number;
  private readonly maxRetryAfterMs: number;
  private readonly ackUnhandled: boolean;
  private readonly dispatcher: Dispatcher | undefined;
  private readonly clock: Clock;
  private readonly random: () => number;
  private running = false;

  constructor(options: RcClientOptions) {
    super();
    this.policy = options.policy ?? 'legacy';
    this.runtimeId = options.runtimeId ?? randomUUID();
    this.url = `${options.agentUrl.replace(/\/+$/, '')}/v0.7/config`;
    this.pollIntervalMs = options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
    const { fastLaneIntervalMs, fastPollIntervalMs } = options;
    if (
      fastLaneIntervalMs !== undefined &&
      fastPollIntervalMs !== undefined &&
      fastLaneIntervalMs !== fastPollIntervalMs
    ) {
      throw new RcClientError(
        'INVALID_OPTION',
        `fastLaneIntervalMs (${fastLaneIntervalMs}) and fastPollIntervalMs (${fastPollIntervalMs}) disagree; give one`,
      );
    }
    this.fastIntervalMs = checkDelayMs(
      'fastLaneIntervalMs',
      fastLaneIntervalMs ?? fastPollIntervalMs ?? DEFAULT_FAST_POLL_INTERVAL_MS,
      1,
    );
    this.fastInitialMs = checkDelayMs(
      'fastLaneInitialIntervalMs',
      options.fastLaneInitialIntervalMs ?? DEFAULT_FAST_LANE_INITIAL_INTERVAL_MS,
      0,
    );
    if (
      options.fetchPools !== undefined &&
      (options.fastLaneMaxConcurrent !== undefined || options.standardMaxConcurrent !== undefined)
    ) {
      throw new RcClientError(
        'INVALID_OPTION',
        'fetchPools already has its limits: leave fastLaneMaxConcurrent and standardMaxConcurrent out',
      );
    }
    this.fetchPools =
      options.fetchPools ??
      createFetchPools({
        fastLaneMaxConcurrent: options.fastLaneMaxConcurrent,
        standardMaxConcurrent: options.standardMaxConcurrent,
      });
    this.requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.maxBackoffMs = options.maxBackoffMs ?? DEFAULT_MAX_BACKOFF_MS;
    this.maxRetryAfterMs = options.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_AFTER_MS;
    this.ackUnhandled = options.ackUnhandled ?? true;
    this.dispatcher = options.dispatcher;
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.headers = { 'content-type': 'application/json; charset=utf-8', ...options.headers };
    const capabilities =
      options.capabilities ??
      (options.products.includes('FFE_FLAGS')
        ? DD_TRACE_JS_CAPABILITIES | FFE_FLAG_CONFIGURATION_RULES
        : DD_TRACE_JS_CAPABILITIES);
    this.tracer = {
      runtimeId: this.runtimeId,
      language: options.language ?? 'node',
      tracerVersion: options.tracerVersion ?? DEFAULT_TRACER_VERSION,
      service: options.service,
      env: options.env,
      appVersion: options.appVersion,
      extraServices: [...(options.extraServices ?? [])],
      processTags: [...(options.processTags ?? [])],
    };

    const parseJson = options.parseJson ?? true;
    const makeLane = (
      name: RcLaneName,
      clientId: string,
      products: readonly string[],
      laneCapabilities: bigint | Uint8Array,
    ): Lane => ({
      name,
      clientId,
      products,
      tags: options.tags ? [...options.tags] : defaultTags(options, this.runtimeId, clientId),
      capabilities: encodeCapabilities(laneCapabilities),
      pool: name === 'fast' ? this.fetchPools.fast : this.fetchPools.standard,
      state: new LaneState(name, parseJson),
      delivered: false,
      failures: 0,
      timer: undefined,
      inFlight: undefined,
      controller: undefined,
    });
    const mainId = options.clientId ?? randomUUID();
    if (this.policy === 'legacy') {
      // Verbatim: the legacy body stays byte-identical to dd-trace-js's.
      this.lanes = [makeLane('main', mainId, [...options.products], capabilities)];
    } else {
      const fastSet = new Set(options.fastLaneProducts ?? DEFAULT_FAST_LANE_PRODUCTS);
      const fast = options.products.filter((p) => fastSet.has(p));
      const main = options.products.filter((p) => !fastSet.has(p));
      const split = splitCapabilities(
        typeof capabilities === 'bigint' ? capabilities : decodeCapabilities(capabilities),
        fast,
        main,
        options.productCapabilities,
      );
      const lanes: Lane[] = [];
      if (main.length > 0) lanes.push(makeLane('main', mainId, main, split.standard));
      if (fast.length > 0) {
        lanes.push(makeLane('fast', options.fastLaneClientId ?? randomUUID(), fast, split.fast));
      }
      this.lanes = lanes;
    }
  }

  /** Fast-lane poll interval until its first delivery, ms. */
  get fastLaneIntervalMs(): number {
    return this.fastIntervalMs;
  }

  /** Delay between `start()` and the first fast-lane request, ms. */
  get fastLaneInitialIntervalMs(): number {
    return this.fastInitialMs;
  }

  /**
   * Sets the fast-lane interval (`DD_RC_FAST_LANE_INTERVAL_MS`). Takes effect at the next scheduling decision: a poll
   * already scheduled keeps its time. No effect under `legacy`.
   */
  setFastLaneIntervalMs(ms: number): this {
    this.fastIntervalMs = checkDelayMs('fastLaneIntervalMs', ms, 1);
    return this;
  }

  /**
   * Sets the delay before the first fast-lane request (`DD_RC_FAST_LANE_INITIAL_INTERVAL_MS`). That decision is made
   * by `start()`, so it applies to the next `start()`; a first request already scheduled keeps its time.
   */
  setFastLaneInitialIntervalMs(ms: number): this {
    this.fastInitialMs = checkDelayMs('fastLaneInitialIntervalMs', ms, 0);
    return this;
  }

  /** Registers the handler that decides a product's apply state (see {@link RcProductHandler}). */
  handle(product: string, handler: RcProductHandler): this {
    this.handlers.set(product, handler);
    return this;
  }

  unhandle(product: string): this {
    this.handlers.delete(product);
    return this;
  }

  /** Lanes in use: `main` (if any non-fast-lane product) and `fast` (under `fastlane`, if any fast-lane product). */
  laneNames(): RcLaneName[] {
    return this.lanes.map((l) => l.name);
  }

  clientId(lane: RcLaneName = 'main'): string {
    return this.lane(lane).clientId;
  }

  products(lane: RcLaneName = 'main'): readonly string[] {
    return this.lane(lane).products;
  }

  /** The body the next poll of this lane would send. */
  requestBody(lane: RcLaneName = 'main'): string {
    const l = this.lane(lane);
    const s = l.state;
    return buildRequestBody({
      targetsVersion: s.targetsVersion,
      configStates: s.configStates(),
      hasError: s.hasError,
      error: s.error,
      backendClientState: s.backendClientState,
      clientId: l.clientId,
      products: l.products,
      tracer: { ...this.tracer, tags: l.tags },
      capabilities: l.capabilities,
      cachedTargetFiles: s.cachedTargetFiles,
    });
  }

  /**
   * Polls every lane now (like dd-trace-js's `init()`) — the fast lane after `fastLaneInitialIntervalMs` — then on
   * the policy's schedule.
   */
  start(): void {
    if (this.running) return;
    this.running = true;
    for (const lane of this.lanes) {
      if (lane.name === 'fast' && this.fastInitialMs > 0) {
        const delayMs = this.fastInitialMs;
        lane.timer = this.clock.setTimeout(() => this.runLane(lane), delayMs);
        this.safeEmit('scheduled', { lane: lane.name, delayMs, reason: 'initial' });
      } else {
        this.runLane(lane);
      }
    }
  }

  /** Clears timers, aborts in-flight requests and waits for them to settle. */
  async stop(): Promise<void> {
    this.running = false;
    for (const lane of this.lanes) {
      if (lane.timer !== undefined) this.clock.clearTimeout(lane.timer);
      lane.timer = undefined;
      lane.controller?.abort(STOPPED);
    }
    await Promise.all(this.lanes.flatMap((l) => (l.inFlight ? [l.inFlight] : [])));
  }

  /** One poll of every lane, outside the schedule. */
  async pollOnce(): Promise<void> {
    await Promise.all(this.lanes.map((l) => this.pollLane(l)));
  }

  private lane(name: RcLaneName): Lane {
    const lane = this.lanes.find((l) => l.name === name);
    if (lane === undefined) throw new RangeError(`no ${name} lane (lanes: ${this.laneNames().join(', ')})`);
    return lane;
  }

  private runLane(lane: Lane): void {
    lane.timer = undefined;
    void this.pollLane(lane).then((result) => {
      if (!this.running || result.aborted || lane.timer !== undefined) return;
      const next = nextPollDelay({
        policy: this.policy,
        lane: lane.name,
        delivered: lane.delivered,
        failures: lane.failures,
        pollIntervalMs: this.pollIntervalMs,
        fastPollIntervalMs: this.fastIntervalMs,
        maxBackoffMs: this.maxBackoffMs,
        maxRetryAfterMs: this.maxRetryAfterMs,
        agentRefreshIntervalS: lane.state.agentRefreshIntervalS,
        retryAfterMs: result.retryAfterMs,
        random: this.random,
      });
      lane.timer = this.clock.setTimeout(() => this.runLane(lane), next.delayMs);
      this.safeEmit('scheduled', { lane: lane.name, ...next });
    });
  }

  /** Serialised per lane: a poll never overlaps another of the same client id. Never rejects. */
  private async pollLane(lane: Lane): Promise<PollResult> {
    while (lane.inFlight !== undefined) await lane.inFlight;
    const poll = this.doPoll(lane);
    const settled = poll.then(() => undefined);
    lane.inFlight = settled;
    try {
      return await poll;
    } finally {
      if (lane.inFlight === settled) lane.inFlight = undefined;
    }
  }

  private async doPoll(lane: Lane): Promise<PollResult> {
    const controller = new AbortController();
    lane.controller = controller;
    // Like dd-trace-js's socket queue, waiting for a fetch slot counts towards the request timeout.
    const timer = this.clock.setTimeout(() => controller.abort(TIMEOUT), this.requestTimeoutMs);
    let startedMs = this.clock.now();
    this.stats.requests++;
    let status: number;
    let text: string;
    let retryAfter: string | string[] | undefined;
    let release: ReleaseSlot | undefined;
    try {
      release = await lane.pool.acquire(controller.signal);
      startedMs = this.clock.now();
      // Built once the slot is held, so it carries the apply states settled while waiting.
      const body = this.requestBody(lane.name);
      const res = await request(this.url, {
        method: 'POST',
        body,
        headers: this.headers,
        signal: controller.signal,
        ...(this.dispatcher ? { dispatcher: this.dispatcher } : {}),
      });
      status = res.statusCode;
      retryAfter = res.headers['retry-after'];
      text = await res.body.text();
    } catch (err) {
      const reason: unknown = controller.signal.reason;
      if (controller.signal.aborted && reason === STOPPED) return { aborted: true, ok: false };
      this.stats.errors++;
      this.stats.lastStatus = 0;
      lane.failures++;
      if (controller.signal.aborted && reason === TIMEOUT) {
        this.stats.timeouts++;
        const what =
          release === undefined
            ? `no ${lane.name === 'fast' ? 'fast-lane' : 'standard'} fetch slot free`
            : `no reply from ${this.url}`;
        this.emitError(new RcClientError('TIMEOUT', `${what} within ${this.requestTimeoutMs} ms`, { cause: err }));
      } else {
        this.emitError(new RcClientError('NETWORK', `request to ${this.url} failed`, { cause: err }));
      }
      return { aborted: false, ok: false };
    } finally {
      release?.();
      this.clock.clearTimeout(timer);
      if (lane.controller === controller) lane.controller = undefined;
    }

    this.stats.lastStatus = status;
    const durationMs = this.clock.now() - startedMs;
    if (status < 200 || status > 299) {
      // dd-trace-js keeps its state on any non-2xx (and is silent on 404, "RC disabled").
      this.stats.errors++;
      lane.failures++;
      this.safeEmit('response', {
        lane: lane.name,
        clientId: lane.clientId,
        status,
        outcome: 'error',
        body: text,
        durationMs,
      });
      this.emitError(new RcClientError('HTTP_STATUS', `${this.url} answered ${status}`, { status }));
      const retryAfterMs = HTTP_RETRY_AFTER_STATUSES.has(status)
        ? parseRetryAfterMs(retryAfter, this.clock.now())
        : undefined;
      return { aborted: false, ok: false, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
    }

    lane.failures = 0;
    const outcome = lane.state.handleReply(text, (change) => this.invoke(change));
    if (outcome.kind === 'update') {
      this.stats.updates++;
      if (outcome.hadTargets) lane.delivered = true;
    }
    this.safeEmit('response', {
      lane: lane.name,
      clientId: lane.clientId,
      status,
      outcome: outcome.kind,
      body: text,
      durationMs,
    });
    if (outcome.kind === 'error') this.emitError(outcome.error);
    return { aborted: false, ok: true };
  }

  private invoke(change: RcConfigChange): InvokeResult {
    const handler = this.handlers.get(change.product);
    try {
      if (handler === undefined) return this.ackUnhandled ? 'ack' : 'unack';
      const result = handler(change);
      return isPromiseLike(result) ? Promise.resolve(result) : 'ack';
    } finally {
      try {
        this.emit(change.action, change);
      } catch (err) {
        this.emitError(new RcClientError('LISTENER', `a ${change.action} listener threw`, { cause: err }));
      }
    }
  }

  private safeEmit<K extends 'response' | 'scheduled'>(event: K, ...args: RcClientEvents[K]): void {
    try {
      (this.emit as (e: K, ...a: RcClientEvents[K]) => boolean)(event, ...args);
    } catch (err) {
      this.emitError(new RcClientError('LISTENER', `a ${event} listener threw`, { cause: err }));
    }
  }

  private emitError(error: RcClientError): void {
    if (this.listenerCount('error') === 0) return;
    try {
      this.emit('error', error);
    } catch {
      // An error listener that throws has nowhere left to report to.
    }
  }
}

/** dd-trace-js's RC tags: the tracer tags plus `_dd.rc.client_id` (remote_config/index.js). */
function defaultTags(options: RcClientOptions, runtimeId: string, clientId: string): string[] {
  const tags: string[] = [];
  if (options.service !== undefined) tags.push(`service:${options.service}`);
  if (options.env !== undefined) tags.push(`env:${options.env}`);
  if (options.appVersion !== undefined) tags.push(`version:${options.appVersion}`);
  tags.push(`runtime-id:${runtimeId}`, `_dd.rc.client_id:${clientId}`);
  return tags;
}

function isPromiseLike(value: unknown): value is PromiseLike<void> {
  return typeof (value as { then?: unknown } | null | undefined)?.then === 'function';
}
