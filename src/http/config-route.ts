// `/v0.7/config`: the trace-agent handler (PROTOCOL.md §3.2) in front of RcService.clientGetConfigs.
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import type { FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import type { IClientGetConfigsRequest } from '../proto/index.js';
import { DecodedRequestCache, type RcService, type RequestContext } from '../service/index.js';
import { decodeClientGetConfigsRequest } from './decode-request.js';
import { encodeClientGetConfigsResponseBytes } from './encode-response.js';
import { TEXT_PLAIN, toHttpFailure } from './error-handler.js';
import { normalizeService, normalizeTag } from './normalize.js';
import { readRawBody } from './read-body.js';

export interface RequestDoneInfo {
  /** `OK`, a ServiceErrorCode, a decode/body error code or `INTERNAL` */
  readonly code: string;
  readonly lane?: string;
  readonly seconds: number;
}

export interface ConfigRouteOptions {
  readonly service: RcService;
  readonly bodyLimitBytes: number;
  readonly containerTags?: (containerId: string) => string[];
  /** the caller's container ID; containerIdFromHeaders by default */
  readonly containerId?: (headers: IncomingHttpHeaders) => string;
  readonly onRequestDone?: (info: RequestDoneInfo) => void;
  readonly monotonicNowMs: () => number;
  readonly logError: (message: string, err: unknown) => void;
  /** decoded requests kept by body (tracers repeat their body until their state changes); 0 turns it off */
  readonly requestCacheEntries?: number;
}

/**
 * Method and Content-Type are not checked (§1): forgetting the header sends every body to the catch-all
 * parser, including media types fastify would reject with a 415.
 */
export const ignoreContentType: onRequestHookHandler = (request, _reply, done) => {
  if (request.raw.headers['content-type'] !== undefined) request.raw.headers['content-type'] = undefined;
  done();
};

/** `Datadog-Container-ID`, else `Datadog-Entity-ID: ci-<id>` (a cgroup inode `in-…` cannot be resolved here). */
export function containerIdFromHeaders(headers: IncomingHttpHeaders): string {
  const cid = headers['datadog-container-id'];
  if (typeof cid === 'string' && cid !== '') return cid;
  const eid = headers['datadog-entity-id'];
  if (typeof eid === 'string' && eid.startsWith('ci-')) return eid.slice(3);
  return '';
}

/**
 * The RequestContext of one HTTP request. The AbortController (microseconds in Node 20) and the connection
 * listener are only created if the service reads `signal`; it aborts when the connection closes before the
 * service has answered.
 */
class HttpRequestContext implements RequestContext {
  readonly transport = 'http';
  private controller: AbortController | undefined;
  private onClose: (() => void) | undefined;
  private released = false;

  constructor(private readonly res: ServerResponse) {}

  get signal(): AbortSignal {
    if (this.controller === undefined) {
      const controller = new AbortController();
      this.controller = controller;
      if (this.released) return controller.signal;
      if (this.res.destroyed || this.res.socket?.destroyed === true) controller.abort();
      else {
        this.onClose = () => controller.abort();
        this.res.once('close', this.onClose);
      }
    }
    return this.controller.signal;
  }

  /** The service has answered: a later close is the normal end of the exchange. */
  release(): void {
    this.released = true;
    if (this.onClose !== undefined) this.res.off('close', this.onClose);
  }
}

export function createConfigHandler(
  opts: ConfigRouteOptions,
): (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | Buffer> {
  const { service, bodyLimitBytes, containerTags, onRequestDone, monotonicNowMs, logError } = opts;
  const cache = opts.requestCacheEntries === 0 ? undefined : new DecodedRequestCache(opts.requestCacheEntries);

  const containerIdOf = opts.containerId ?? containerIdFromHeaders;

  // §3.2 step 2: normalise the tracer's service and env (once per body: the result is cached)
  const normalizeTracer = (request: IClientGetConfigsRequest): void => {
    const tracer = request.client?.clientTracer;
    if (!tracer) return;
    tracer.service = normalizeService(tracer.service ?? '', tracer.language ?? '');
    tracer.env = normalizeTag(tracer.env ?? '');
  };

  // ... and append the container tags: per request (the tagger's answer may change), on a copy of the shared request
  const withContainerTags = (
    request: IClientGetConfigsRequest,
    headers: IncomingHttpHeaders,
  ): IClientGetConfigsRequest => {
    const client = request.client;
    const tracer = client?.clientTracer;
    if (containerTags === undefined || !client || !tracer) return request;
    const containerId = containerIdOf(headers);
    if (containerId === '') return request;
    let tags: string[] = [];
    try {
      tags = containerTags(containerId);
    } catch (err) {
      logError('failed getting container tags', err);
    }
    if (tags.length === 0) return request;
    return { ...request, client: { ...client, clientTracer: { ...tracer, tags: [...(tracer.tags ?? []), ...tags] } } };
  };

  const decode = (body: Buffer): IClientGetConfigsRequest => {
    const key = cache?.keyOf(body);
    const hit = key === undefined ? undefined : cache?.get(key);
    if (hit !== undefined) return hit;
    const decoded = decodeClientGetConfigsRequest(body);
    normalizeTracer(decoded);
    return key === undefined || cache === undefined ? decoded : cache.set(key, decoded);
  };

  return async (request, reply) => {
    // timed only for a listener (two clock reads per request otherwise for nothing)
    const startedMs = onRequestDone === undefined ? 0 : monotonicNowMs();
    let code = 'OK';
    try {
      const body = Buffer.isBuffer(request.body) ? request.body : await readRawBody(request.raw, bodyLimitBytes);
      const decoded = withContainerTags(decode(body), request.headers);
      const ctx = new HttpRequestContext(reply.raw);
      let response;
      try {
        response = await service.clientGetConfigs(decoded, ctx);
      } finally {
        ctx.release();
      }
      // a nil response is a 204 in the reference
      if (response === null || response === undefined) return reply.code(204).send();
      // Go's sniffed content type for a JSON body
      reply.header('content-type', TEXT_PLAIN);
      return encodeClientGetConfigsResponseBytes(response);
    } catch (e) {
      code = toHttpFailure(e).code;
      throw e;
    } finally {
      if (onRequestDone !== undefined) onRequestDone({ code, seconds: (monotonicNowMs() - startedMs) / 1000 });
    }
  };
}
