// The backend client: protobuf over HTTP(S) to the RC backend (PROTOCOL.md §1 "Agent → backend").
import { Agent, ProxyAgent, request, type Dispatcher } from 'undici';
import { encodeLatestConfigsRequest, pb } from '../proto/index.js';
import type { ILatestConfigsRequest, ILatestConfigsResponse } from '../proto/index.js';
import { BackendError, statusError } from './error.js';
import { proxyFor, type BackendProxyOptions } from './proxy.js';
import type { BackendClient, OrgStatus } from './types.js';

export interface BackendTlsOptions {
  /** `skip_ssl_validation` (the config layer requires `remote_configuration.no_tls_validation` for it) */
  readonly skipVerify: boolean;
  /** `min_tls_version`; the reference's default is TLS 1.2 */
  readonly minVersion: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';
  /** Extra trusted CA certificates (PEM), on top of Node's bundled roots and NODE_EXTRA_CA_CERTS. */
  readonly ca?: string;
}

export interface HttpBackendClientOptions {
  /** `remote_configuration.rc_dd_url` or `https://config.<site>`. */
  readonly baseUrl: string;
  /** `DD-Api-Key`; replaceable later with setApiKey (key rotation without restart). */
  readonly apiKey: string;
  /** The RC key's application key, sent as `DD-Application-Key`. */
  readonly appKey?: string;
  readonly proxy?: BackendProxyOptions;
  readonly tls?: BackendTlsOptions;
  /** `remote_configuration.no_tls`: allow plain http. */
  readonly noTls: boolean;
  /** Bound on each backend call, connection to last body byte (reference deviation #5; the reference has none). */
  readonly fetchTimeoutMs: number;
}

export interface HttpBackendClient extends BackendClient {
  /** Every request issued after this call carries the new `DD-Api-Key`. */
  setApiKey(apiKey: string): void;
  /** The proxy in use (credentials removed), or undefined for a direct connection; for logs and status. */
  readonly proxyUrl: string | undefined;
}

/** The reference sets `IdleConnTimeout` to 30 s so the backend does not close the connection first. */
const IDLE_CONNECTION_TIMEOUT_MS = 30_000;

const PATH_CONFIGURATIONS = '/api/v0.1/configurations';
const PATH_ORG = '/api/v0.1/org';
const PATH_STATUS = '/api/v0.1/status';

export function createHttpBackendClient(opts: HttpBackendClientOptions): HttpBackendClient {
  let base: URL;
  try {
    base = new URL(opts.baseUrl);
  } catch (err) {
    throw new BackendError('INVALID_CONFIG', `remote Configuration URL ${opts.baseUrl} is not a valid URL`, {
      cause: err,
    });
  }
  if (base.protocol !== 'https:' && base.protocol !== 'http:') {
    throw new BackendError('INVALID_CONFIG', `remote Configuration URL ${opts.baseUrl} must be http or https`);
  }
  // Reference `NewHTTPClient`: TLS is required unless `remote_configuration.no_tls` is set.
  if (base.protocol !== 'https:' && !opts.noTls) {
    throw new BackendError(
      'INVALID_CONFIG',
      `remote Configuration URL ${opts.baseUrl} is invalid as TLS is required by default. While it is not advised, ` +
        'the `remote_configuration.no_tls` config option can be set to `true` to disable this protection',
    );
  }
  if (!Number.isFinite(opts.fetchTimeoutMs) || opts.fetchTimeoutMs <= 0) {
    throw new BackendError('INVALID_CONFIG', `fetchTimeoutMs must be > 0, got ${opts.fetchTimeoutMs}`);
  }
  const baseUrl = opts.baseUrl.replace(/\/+$/, '');
  const proxy = opts.proxy === undefined ? undefined : proxyFor(base, opts.proxy);
  const dispatcher = createDispatcher(proxy, opts.tls, base.protocol === 'http:');
  const fixedHeaders: Record<string, string> = { 'content-type': 'application/x-protobuf' };
  if (opts.appKey !== undefined && opts.appKey !== '') fixedHeaders['dd-application-key'] = opts.appKey;
  let headers = { ...fixedHeaders, 'dd-api-key': opts.apiKey };
  let closed = false;

  async function call(
    method: 'GET' | 'POST',
    path: string,
    body: Uint8Array | undefined,
    signal: AbortSignal | undefined,
  ): Promise<Uint8Array> {
    if (closed) throw new BackendError('NETWORK', 'failed to issue request: backend client closed');
    if (signal?.aborted) throw new BackendError('ABORTED', 'request aborted', { cause: signal.reason });
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort(new Error(`timeout after ${opts.fetchTimeoutMs} ms`));
    }, opts.fetchTimeoutMs);
    timer.unref();
    const onAbort = (): void => controller.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const res = await request(baseUrl + path, {
        dispatcher,
        method,
        headers,
        ...(body === undefined ? {} : { body }),
        signal: controller.signal,
      });
      if (res.statusCode !== 200) {
        await res.body.dump();
        throw statusError(res.statusCode, parseRetryAfterMs(res.headers['retry-after']));
      }
      return new Uint8Array(await res.body.arrayBuffer());
    } catch (err) {
      if (err instanceof BackendError) throw err;
      if (timedOut) {
        throw new BackendError('TIMEOUT', `failed to issue request: timeout after ${opts.fetchTimeoutMs} ms`, {
          cause: err,
        });
      }
      if (signal?.aborted) throw new BackendError('ABORTED', 'request aborted', { cause: err });
      throw new BackendError('NETWORK', `failed to issue request: ${describe(err)}`, { cause: err });
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  function decode<T>(bytes: Uint8Array, decoder: (b: Uint8Array) => T): T {
    try {
      return decoder(bytes);
    } catch (err) {
      throw new BackendError('BAD_RESPONSE', `failed to decode response: ${describe(err)}`, { cause: err });
    }
  }

  return {
    url: baseUrl,
    proxyUrl: proxy === undefined ? undefined : withoutCredentials(proxy),
    setApiKey(apiKey: string): void {
      // a new object: requests already issued keep the headers they were sent with
      headers = { ...fixedHeaders, 'dd-api-key': apiKey };
    },
    async fetchLatestConfigs(req: ILatestConfigsRequest, signal?: AbortSignal): Promise<ILatestConfigsResponse> {
      const bytes = await call('POST', PATH_CONFIGURATIONS, encodeLatestConfigsRequest(req), signal);
      return decode(bytes, (b) => pb.LatestConfigsResponse.decode(b));
    },
    async fetchOrgUuid(signal?: AbortSignal): Promise<string> {
      const bytes = await call('GET', PATH_ORG, undefined, signal);
      return decode(bytes, (b) => pb.OrgDataResponse.decode(b)).uuid;
    },
    async fetchOrgStatus(signal?: AbortSignal): Promise<OrgStatus> {
      const bytes = await call('GET', PATH_STATUS, undefined, signal);
      const res = decode(bytes, (b) => pb.OrgStatusResponse.decode(b));
      return { enabled: res.enabled, authorized: res.authorized };
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await dispatcher.close();
    },
  };
}

function createDispatcher(
  proxy: string | undefined,
  tls: BackendTlsOptions | undefined,
  plainHttp: boolean,
): Dispatcher {
  const connect = {
    ...(tls === undefined ? {} : { rejectUnauthorized: !tls.skipVerify, minVersion: tls.minVersion }),
    ...(tls?.ca === undefined ? {} : { ca: tls.ca }),
  };
  const keepAlive = { keepAliveTimeout: IDLE_CONNECTION_TIMEOUT_MS, keepAliveMaxTimeout: IDLE_CONNECTION_TIMEOUT_MS };
  if (proxy === undefined) return new Agent({ ...keepAlive, connect });
  // https goes through a CONNECT tunnel; plain http is forwarded to the proxy as Go's transport does
  return new ProxyAgent({ uri: proxy, ...keepAlive, requestTls: connect, proxyTunnel: !plainHttp });
}

function withoutCredentials(proxy: string): string {
  const url = new URL(proxy);
  url.username = '';
  url.password = '';
  return url.toString().replace(/\/$/, '');
}

/** `Retry-After` in delta-seconds (what the simulator sends); the HTTP-date form is ignored. */
function parseRetryAfterMs(value: string | string[] | undefined): number | undefined {
  const v = (Array.isArray(value) ? value[0] : value)?.trim();
  return v !== undefined && /^\d+$/.test(v) ? Number(v) * 1000 : undefined;
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
