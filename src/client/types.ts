// Public option and event types of the RC client.
import type { Dispatcher } from 'undici';
import type { Clock } from '../clock/index.js';
import type { RcProductCapabilities } from './capabilities.js';
import type { RcClientError } from './error.js';
import type { RcFetchPools } from './fetch-pools.js';

/**
 * `legacy`: what tracers do — one client id for all products, a fixed delay after each poll, no jitter, no backoff.
 * `fastlane`: fast-lane products in their own client id, polled fast until first delivery; jitter and backoff.
 */
export type RcPolicy = 'legacy' | 'fastlane';

/** `main` carries every product under `legacy` and the non-fast-lane ones under `fastlane`. */
export type RcLaneName = 'main' | 'fast';

export type RcAction = 'apply' | 'modify' | 'unapply';

export interface RcConfigChange {
  readonly action: RcAction;
  readonly lane: RcLaneName;
  readonly path: string;
  readonly product: string;
  /** The config id: the path segment after the product. */
  readonly id: string;
  /** Director target `custom.v`. */
  readonly version: number;
  /** The file bytes (for `unapply`, those of the config being removed). */
  readonly raw: Uint8Array;
  /** `JSON.parse` of `raw` (`null` for an empty file); absent when `parseJson` is off. */
  readonly parsed?: unknown;
}

/**
 * Returns nothing → acknowledged at once; throws → error state with `String(err)`; returns a promise →
 * unacknowledged until it settles (dd-trace-js RemoteConfig#callHandlerFor). The state shows one poll later.
 */
export type RcProductHandler = (change: RcConfigChange) => void | Promise<void>;

export interface RcClientOptions {
  /** Base URL of the agent's trace receiver, e.g. `http://127.0.0.1:8126`. */
  readonly agentUrl: string;
  readonly products: readonly string[];
  /** Default `legacy`. */
  readonly policy?: RcPolicy;
  /** Products polled in the fast lane under `fastlane`. Default `["FFE_FLAGS"]`. */
  readonly fastLaneProducts?: readonly string[];
  readonly service?: string;
  readonly env?: string;
  readonly appVersion?: string;
  /** Default `node`. */
  readonly language?: string;
  /** Default `5.132.0`. */
  readonly tracerVersion?: string;
  /** Default a random UUID. */
  readonly runtimeId?: string;
  /** RC client id of the main lane. Default a random UUID. */
  readonly clientId?: string;
  /** RC client id of the fast lane (`fastlane` only). Default a random UUID. */
  readonly fastLaneClientId?: string;
  /**
   * Everything the client advertises. Default: what dd-trace-js 5.132 sends (`AiNAoAjwAg==`, plus bit 46 when
   * FFE_FLAGS is polled). Under `fastlane` the fast-lane request advertises only the bits its products own (see
   * `productCapabilities`) and the standard request the rest.
   */
  readonly capabilities?: bigint | Uint8Array;
  /** The capability bits each product owns, for that split. Default (and fallback): dd-trace-js's mapping. */
  readonly productCapabilities?: RcProductCapabilities;
  /** Default dd-trace-js's: `service:…`, `env:…`, `version:…`, `runtime-id:…`, `_dd.rc.client_id:<lane id>`. */
  readonly tags?: readonly string[];
  /** Default `[]`. */
  readonly processTags?: readonly string[];
  /** Default `[]`. */
  readonly extraServices?: readonly string[];
  /** Default 5000 (dd-trace-js `DD_REMOTE_CONFIG_POLL_INTERVAL_SECONDS`). */
  readonly pollIntervalMs?: number;
  /**
   * Fast-lane interval until its first delivery (`DD_RC_FAST_LANE_INTERVAL_MS`), then `pollIntervalMs`. Default 1000;
   * change it at run time with `setFastLaneIntervalMs`.
   */
  readonly fastLaneIntervalMs?: number;
  /** The name this option had first; same meaning as `fastLaneIntervalMs`, which must agree if both are given. */
  readonly fastPollIntervalMs?: number;
  /**
   * Delay between `start()` and the first fast-lane request (`DD_RC_FAST_LANE_INITIAL_INTERVAL_MS`). Default 0: at
   * once. Change it at run time with `setFastLaneInitialIntervalMs` (applies to the next `start()`).
   */
  readonly fastLaneInitialIntervalMs?: number;
  /** Fast-lane fetches in flight at once, in this client's own pool. Default 20. */
  readonly fastLaneMaxConcurrent?: number;
  /** Standard fetches in flight at once, in this client's own pool. Default 100. */
  readonly standardMaxConcurrent?: number;
  /**
   * Pools shared with other clients (see `createFetchPools`), instead of this client's own; the two `…MaxConcurrent`
   * options must then be left out.
   */
  readonly fetchPools?: RcFetchPools;
  /** Default 2000 (dd-trace-js's request timeout). */
  readonly requestTimeoutMs?: number;
  /** Cap of the error backoff under `fastlane`. Default 30000. */
  readonly maxBackoffMs?: number;
  /** Cap on a server's `Retry-After`. Default 300000. */
  readonly maxRetryAfterMs?: number;
  /** Extra request headers (e.g. `datadog-entity-id`). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Parse config files as JSON, as dd-trace-js does (a non-JSON file fails the whole reply). Default true. */
  readonly parseJson?: boolean;
  /** Acknowledge configs of products with no handler. dd-trace-js leaves them unacknowledged. Default true. */
  readonly ackUnhandled?: boolean;
  /** undici dispatcher, e.g. a shared Pool. Default undici's global dispatcher. */
  readonly dispatcher?: Dispatcher;
  readonly clock?: Clock;
  /** Uniform in [0, 1); drives jitter. Default Math.random. */
  readonly random?: () => number;
}

export interface RcResponseEvent {
  readonly lane: RcLaneName;
  readonly clientId: string;
  /** HTTP status. */
  readonly status: number;
  /** `no-change`: `{}`, an empty body or 204; `update`: a parsed reply; `error`: the reply failed to apply. */
  readonly outcome: 'no-change' | 'update' | 'error';
  readonly body: string;
  readonly durationMs: number;
}

export interface RcScheduledEvent {
  readonly lane: RcLaneName;
  readonly delayMs: number;
  /** `initial`: the fast lane's first request, `fastLaneInitialIntervalMs` after `start()`. */
  readonly reason: 'initial' | 'interval' | 'fast-interval' | 'backoff' | 'retry-after';
}

export interface RcClientStats {
  /** Polls attempted: requests sent, plus any that timed out waiting for a fetch slot. */
  requests: number;
  /** Requests that failed: network error, timeout, or non-2xx (404 included). */
  errors: number;
  timeouts: number;
  /** 2xx replies that carried an update (not `{}`). */
  updates: number;
  /** Status of the last reply; 0 after a network error or timeout, undefined before any. */
  lastStatus: number | undefined;
}

export interface RcClientEvents {
  apply: [RcConfigChange];
  modify: [RcConfigChange];
  unapply: [RcConfigChange];
  response: [RcResponseEvent];
  scheduled: [RcScheduledEvent];
  /** Emitted only when someone listens. */
  error: [RcClientError];
}
