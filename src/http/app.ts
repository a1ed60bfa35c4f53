// The trace-receiver side of rc-agent (DESIGN.md "Ports and paths"): /v0.7/config, /info, health, status
// and metrics on one fastify instance. Not listening: the caller listens, tests use inject().
import type { IncomingHttpHeaders } from 'node:http';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { RcService, StatusReport } from '../service/index.js';
import { FALLBACK_MAX_CONNECTIONS } from './connection-limit.js';
import { createConfigHandler, ignoreContentType, type RequestDoneInfo } from './config-route.js';
import { httpErrorHandler, TEXT_PLAIN } from './error-handler.js';

export const DEFAULT_BODY_LIMIT_BYTES = 1024 * 1024;
/** Above the 5 s dd-trace-js poll on its shared keep-alive socket (PROTOCOL.md §7). */
export const DEFAULT_KEEP_ALIVE_TIMEOUT_MS = 10_000;
export const CONFIG_PATH = '/v0.7/config';

/** Bounds on slow and greedy clients (README "Tuning"); a slow client only ever holds its own connection. */
export interface HttpLimits {
  /** the request line and headers must arrive within this (slowloris) */
  readonly headersTimeoutMs: number;
  /** the whole request, body included, must arrive within this (a body sent a byte at a time) */
  readonly requestTimeoutMs: number;
  /** a connection with no byte read or written for this long is closed (a client that never reads its answer) */
  readonly socketIdleTimeoutMs: number;
  /** open connections at most; beyond it new connections are closed at once (the agent derives it: connection-limit.ts) */
  readonly maxConnections: number;
  /** how often the headers and request timeouts are checked */
  readonly timeoutCheckIntervalMs: number;
}

export const DEFAULT_HTTP_LIMITS: HttpLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  socketIdleTimeoutMs: 30_000,
  maxConnections: FALLBACK_MAX_CONNECTIONS,
  timeoutCheckIntervalMs: 1_000,
};

export interface MetricsSource {
  readonly contentType: string;
  metrics(): Promise<string>;
}

export interface HttpAppOptions {
  readonly service: RcService;
  /** remote_configuration.enabled; false → /v0.7/config is not served (404) nor listed in /info */
  readonly enabled: boolean;
  /** a prom-client Registry */
  readonly metrics?: MetricsSource;
  readonly bodyLimitBytes?: number;
  /** container tags for a container id; appended to client_tracer.tags */
  readonly containerTags?: (containerId: string) => string[];
  /** the caller's container ID from the request headers (default: Datadog-Container-ID, else `ci-`) */
  readonly containerId?: (headers: IncomingHttpHeaders) => string;
  /** rc-agent version, shown by /info */
  readonly version: string;
  /** called once per /v0.7/config request that reached the handler */
  readonly onRequestDone?: (info: RequestDoneInfo) => void;
  readonly keepAliveTimeoutMs?: number;
  readonly limits?: Partial<HttpLimits>;
  /** errors only: request logging is off (no per-request logging on the hot path) */
  readonly logger?: FastifyBaseLogger;
  /** monotonic clock for request durations; performance.now by default */
  readonly monotonicNowMs?: () => number;
  /** decoded requests kept by body (service/request-cache.ts), default 20,000; 0 turns the cache off */
  readonly requestCacheEntries?: number;
}

/** GET /info in the trace-agent's shape; dd-trace-go starts RC only if `endpoints` lists /v0.7/config. */
function infoBody(opts: HttpAppOptions): string {
  return JSON.stringify({
    version: opts.version,
    git_commit: '',
    endpoints: opts.enabled ? [CONFIG_PATH] : [],
    feature_flags: [],
    client_drop_p0s: false,
    span_meta_structs: false,
    long_running_spans: false,
    config: {},
  });
}

/** The /readyz body, from the public status report. */
export function readinessDetails(ready: boolean, status: StatusReport, details: readonly string[] = []): string {
  const requested = Object.keys(status.activeClientsByProduct).sort();
  const served = new Set(status.configs.map((c) => c.product));
  return JSON.stringify({
    ready,
    last_update: status.lastUpdate ?? null,
    last_error: status.lastError ?? null,
    director_targets_version: status.versions.directorTargets,
    configs: status.configs.length,
    // products active clients ask for, and those among them with configs in the verified state
    products_requested: requested,
    products_with_configs: requested.filter((p) => served.has(p)),
    // the fast-lane products are fetched before any client asks (fast_lane.prefetch)
    products_fetched: status.fetchedProducts,
    // e.g. the cluster mode of a replica on Redis
    ...(details.length > 0 ? { details } : {}),
  });
}

export function buildHttpApp(opts: HttpAppOptions): FastifyInstance {
  const bodyLimitBytes = opts.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES;
  const limits = { ...DEFAULT_HTTP_LIMITS, ...opts.limits };
  const app = Fastify({
    ...(opts.logger !== undefined ? { loggerInstance: opts.logger } : { logger: false }),
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: bodyLimitBytes,
    keepAliveTimeout: opts.keepAliveTimeoutMs ?? DEFAULT_KEEP_ALIVE_TIMEOUT_MS,
    requestTimeout: limits.requestTimeoutMs,
    connectionTimeout: limits.socketIdleTimeoutMs,
    // close() ends idle keep-alive connections at once instead of waiting for their timeout
    forceCloseConnections: 'idle',
    http: {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      connectionsCheckingInterval: limits.timeoutCheckIntervalMs,
    },
  }) as unknown as FastifyInstance;
  app.server.maxConnections = limits.maxConnections;
  // once closing, every answer ends its connection: a kept-alive socket would hold the drain until its timeout
  let closing = false;
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) void reply.header('connection', 'close');
    done(null, payload);
  });

  // Every body is JSON to the config handler whatever its Content-Type: read it as bytes and decode there.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => {
    done(null, body);
  });
  app.setErrorHandler(httpErrorHandler);
  // Go's http.NotFound
  app.setNotFoundHandler((_request, reply) =>
    reply
      .code(404)
      .header('content-type', TEXT_PLAIN)
      .header('x-content-type-options', 'nosniff')
      .send('404 page not found\n'),
  );

  if (opts.enabled) {
    const handler = createConfigHandler({
      service: opts.service,
      bodyLimitBytes,
      containerTags: opts.containerTags,
      containerId: opts.containerId,
      onRequestDone: opts.onRequestDone,
      monotonicNowMs: opts.monotonicNowMs ?? (() => performance.now()),
      logError: (message, err) => app.log.error({ err }, message),
      ...(opts.requestCacheEntries === undefined ? {} : { requestCacheEntries: opts.requestCacheEntries }),
    });
    app.all(CONFIG_PATH, { onRequest: ignoreContentType }, handler);
  }

  const info = infoBody(opts);
  app.get('/info', (_request, reply) => reply.header('content-type', 'application/json').send(info));
  app.get('/healthz', (_request, reply) => reply.header('content-type', TEXT_PLAIN).send('ok\n'));
  // 200/503 as before; the body says why (PROTOCOL-free, for operators): a state may be verified while every
  // product fetch fails, which only the details show
  app.get('/readyz', (_request, reply) => {
    const ready = opts.service.isReady();
    const details = opts.service.readyDetails?.() ?? [];
    return reply
      .code(ready ? 200 : 503)
      .header('content-type', 'application/json')
      .send(readinessDetails(ready, opts.service.status(), details));
  });
  app.get('/status', (_request, reply) => reply.send(opts.service.status()));
  const metrics = opts.metrics;
  if (metrics !== undefined) {
    app.get('/metrics', async (_request, reply) => {
      const text = await metrics.metrics();
      return reply.header('content-type', metrics.contentType).send(text);
    });
  }
  return app;
}
