// A tracer's RC client: polls `/v0.7/config` like dd-trace-js 5.132 (PROTOCOL.md §3, §7) under the `legacy` policy,
// or with a separate fast lane, jitter and backoff under `fastlane`. Usable as a library and as a tracer emulator.
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { request, type Dispatcher } from 'undici';
import { systemClock, type Clock } from './clock.js';
import { RcClientError } from './error.js';
import { LaneState, type InvokeResult } from './lane-state.js';
import {
  buildRequestBody,
  DD_TRACE_JS_CAPABILITIES,
  encodeCapabilities,
  FFE_FLAG_CONFIGURATION_RULES,
  type RcTracerInfo,
} from './request-body.js';
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
  readonly state: LaneState;
  /** A full state (targets) arrived at least once. */
  delivered: boolean;
  /** Consecutive failed polls. */
  failures: number;
  timer: unknown;
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

  private readonly url: string;
  private readonly lanes: readonly Lane[];
  private readonly handlers = new Map<string, RcProductHandler>();
  private readonly tracer: Omit<RcTracerInfo, 'tags'>;
  private readonly capabilities: string;
  private readonly headers: Record<string, string>;
  private readonly pollIntervalMs: number;
  private readonly fastPollIntervalMs: number;
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
    this.fastPollIntervalMs = options.fastPollIntervalMs ?? DEFAULT_FAST_POLL_INTERVAL_MS;
    this.requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.maxBackoffMs = options.maxBackoffMs ?? DEFAULT_MAX_BACKOFF_MS;
    this.maxRetryAfterMs = options.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_AFTER_MS;
    this.ackUnhandled = options.ackUnhandled ?? true;
    this.dispatcher = options.dispatcher;
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.headers = { 'content-type': 'application/json; charset=utf-8', ...options.headers };
    this.capabilities = encodeCapabilities(
      options.capabilities ??
        (options.products.includes('FFE_FLAGS')
          ? DD_TRACE_JS_CAPABILITIES | FFE_FLAG_CONFIGURATION_RULES
          : DD_TRACE_JS_CAPABILITIES),
    );
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
    const makeLane = (name: RcLaneName, clientId: string, products: readonly string[]): Lane => ({
      name,
      clientId,
      products,
      tags: options.tags ? [...options.tags] : defaultTags(options, this.runtimeId, clientId),
      state: new LaneState(name, parseJson),
      delivered: false,
      failures: 0,
      timer: undefined,
      inFlight: undefined,
      controller: undefined,
    });
    const mainId = options.clientId ?? randomUUID();
    if (this.policy === 'legacy') {
      this.lanes = [makeLane('main', mainId, [...options.products])];
    } else {
      const fastSet = new Set(options.fastLaneProducts ?? DEFAULT_FAST_LANE_PRODUCTS);
      const fast = options.products.filter((p) => fastSet.has(p));
      const main = options.products.filter((p) => !fastSet.has(p));
      const lanes: Lane[] = [];
      if (main.length > 0) lanes.push(makeLane('main', mainId, main));
      if (fast.length > 0) lanes.push(makeLane('fast', options.fastLaneClientId ?? randomUUID(), fast));
      this.lanes = lanes;
    }
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
      capabilities: this.capabilities,
      cachedTargetFiles: s.cachedTargetFiles,
    });
  }

  /** Polls every lane now (like dd-trace-js's `init()`), then on the policy's schedule. */
  start(): void {
    if (this.running) return;
    this.running = true;
    for (const lane of this.lanes) this.runLane(lane);
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
        fastPollIntervalMs: this.fastPollIntervalMs,
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
    const body = this.requestBody(lane.name);
    const controller = new AbortController();
    lane.controller = controller;
    const timer = this.clock.setTimeout(() => controller.abort(TIMEOUT), this.requestTimeoutMs);
    const startedMs = this.clock.now();
    this.stats.requests++;
    let status: number;
    let text: string;
    let retryAfter: string | string[] | undefined;
    try {
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
        this.emitError(
          new RcClientError('TIMEOUT', `no reply from ${this.url} within ${this.requestTimeoutMs} ms`, { cause: err }),
        );
      } else {
        this.emitError(new RcClientError('NETWORK', `request to ${this.url} failed`, { cause: err }));
      }
      return { aborted: false, ok: false };
    } finally {
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
