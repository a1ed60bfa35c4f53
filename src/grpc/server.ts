// AgentSecure over TLS with a bearer token (DESIGN.md: gRPC on cmd_port), in front of RcService.
import { randomBytes } from 'node:crypto';
import {
  Server,
  ServerCredentials,
  status,
  type ChannelOptions,
  type sendUnaryData,
  type ServerUnaryCall,
  type ServerWritableStream,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { isInternalFailure, ServiceError, type RcService, type RequestContext } from '../service/index.js';
import { AUTH_FAILURE_DETAILS, createTokenCheck } from './auth.js';
import { loadOrCreateCredentials } from './credentials.js';
import { GrpcSetupError } from './error.js';
import { DecodedRequestCache } from '../service/index.js';
import {
  cachedRequestDecoder,
  AGENT_SECURE_DEFINITION,
  AGENT_SECURE_REMOTE_AGENT_DEFINITION,
  REMOTE_AGENT_DEFINITION,
} from './service-definition.js';
import { RpcStatusError, type RemoteAgentHandlers } from './remote-agent.js';
import { serviceErrorToGrpcStatus } from './status.js';

const MRF_UNAVAILABLE = 'MRF remote configuration service not initialized';
const RC_UNAVAILABLE = 'remote configuration service not initialized';

export interface GrpcRequestDoneInfo {
  /** `OK`, a ServiceErrorCode, `UNAUTHENTICATED` or `INTERNAL` */
  readonly code: string;
  readonly lane?: string;
  readonly seconds: number;
}

export interface GrpcServerOptions {
  readonly service: RcService;
  /** where auth_token and ipc_cert.pem live (run_path) */
  readonly dataDir: string;
  readonly host: string;
  /** 0 = ephemeral */
  readonly port: number;
  /** called once per ClientGetConfigs call */
  readonly onRequestDone?: (info: GrpcRequestDoneInfo) => void;
  /** monotonic clock for request durations; performance.now by default */
  readonly monotonicNowMs?: () => number;
  /** the Remote Agent Registry and config stream; absent = those methods answer UNIMPLEMENTED */
  readonly remoteAgents?: RemoteAgentHandlers;
  /** where internal failures are logged with their stack (a pino logger) */
  readonly log?: { error(obj: object, msg: string): void; warn(msg: string): void };
  /** HTTP/2 keep-alive and connection limits; see GrpcLimits */
  readonly limits?: Partial<GrpcLimits>;
  /** remote_configuration.enabled (default true); false → the RC methods answer Unimplemented at once */
  readonly enabled?: boolean;
}

/** Bounds on what one connection may hold (DESIGN "Reliability"). */
export interface GrpcLimits {
  /** a connection idle this long is closed (grpc.max_connection_idle_ms) */
  readonly maxConnectionIdleMs: number;
  /** concurrent calls per connection (grpc.max_concurrent_streams) */
  readonly maxConcurrentStreams: number;
  /** largest request message (grpc.max_receive_message_length) */
  readonly maxReceiveMessageBytes: number;
}

export const DEFAULT_GRPC_LIMITS: GrpcLimits = {
  maxConnectionIdleMs: 5 * 60_000,
  maxConcurrentStreams: 1000,
  maxReceiveMessageBytes: 4 * 1024 * 1024,
};

/**
 * The server's grpc-js options. Channelz is off: nothing serves its data (no channelz service is registered), and
 * keeping it cost each call a tracker of four closures and its counters (~8 % of the bytes a gRPC call allocates).
 */
export function grpcServerOptions(limits: GrpcLimits): ChannelOptions {
  return {
    'grpc.max_connection_idle_ms': limits.maxConnectionIdleMs,
    'grpc.max_concurrent_streams': limits.maxConcurrentStreams,
    'grpc.max_receive_message_length': limits.maxReceiveMessageBytes,
    'grpc.enable_channelz': 0,
  };
}

export interface GrpcServerHandle {
  /** `host:port`, IPv6 hosts in brackets, e.g. `127.0.0.1:5001` */
  readonly address: string;
  readonly port: number;
  /** Stops accepting, lets calls finish for up to graceMs, then cancels the rest. */
  stop(graceMs: number): Promise<void>;
}

/** Created only if the service reads `signal` (an AbortController costs microseconds); aborts on cancellation. */
class GrpcRequestContext implements RequestContext {
  readonly transport = 'grpc';
  private controller: AbortController | undefined;
  private onCancel: (() => void) | undefined;
  private released = false;

  constructor(private readonly call: ServerUnaryCall<unknown, unknown>) {}

  get signal(): AbortSignal {
    if (this.controller === undefined) {
      const controller = new AbortController();
      this.controller = controller;
      if (this.released) return controller.signal;
      if (this.call.cancelled) controller.abort();
      else {
        this.onCancel = () => controller.abort();
        this.call.once('cancelled', this.onCancel);
      }
    }
    return this.controller.signal;
  }

  release(): void {
    this.released = true;
    if (this.onCancel !== undefined) this.call.off('cancelled', this.onCancel);
  }
}

function formatAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

function codeLabel(e: unknown): string {
  return e instanceof ServiceError && !isInternalFailure(e) ? e.code : 'INTERNAL';
}

export async function startGrpcServer(opts: GrpcServerOptions): Promise<GrpcServerHandle> {
  const { service, onRequestDone } = opts;
  const nowMs = opts.monotonicNowMs ?? (() => performance.now());
  const creds = await loadOrCreateCredentials(opts.dataDir);
  for (const warning of creds.warnings) opts.log?.warn(warning);
  const checkToken = createTokenCheck(creds.token);

  /** Authenticates, runs `handler` with a request context, maps its error; reports ClientGetConfigs outcomes. */
  const unary =
    <Req, Res>(handler: (request: Req, ctx: GrpcRequestContext) => Promise<Res>, report = false) =>
    (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>): void => {
      const startedMs = report ? nowMs() : 0;
      const done = (code: string): void => {
        if (report) onRequestDone?.({ code, seconds: (nowMs() - startedMs) / 1000 });
      };
      const failure = checkToken(call.metadata);
      if (failure !== undefined) {
        done('UNAUTHENTICATED');
        callback({ code: status.UNAUTHENTICATED, details: AUTH_FAILURE_DETAILS[failure] });
        return;
      }
      const ctx = new GrpcRequestContext(call);
      // a synchronous throw (getConfigState) is a rejection like any other
      Promise.resolve()
        .then(() => handler(call.request, ctx))
        .then(
          (response) => {
            ctx.release();
            done('OK');
            callback(null, response);
          },
          (e: unknown) => {
            ctx.release();
            done(codeLabel(e));
            let errorId: string | undefined;
            if (isInternalFailure(e)) {
              errorId = randomBytes(8).toString('hex');
              opts.log?.error({ err: e, errorId }, 'grpc call failed');
            }
            callback(serviceErrorToGrpcStatus(e, errorId));
          },
        );
    };

  const unimplemented = async (): Promise<never> => {
    throw new ServiceError('UNIMPLEMENTED', MRF_UNAVAILABLE);
  };
  // The reference has no RC service when it is disabled (PROTOCOL.md §1): answer at once, never wait on a bypass.
  const disabled = async (): Promise<never> => {
    throw new ServiceError('UNIMPLEMENTED', RC_UNAVAILABLE);
  };
  const enabled = opts.enabled ?? true;

  const implementation: UntypedServiceImplementation = {
    ClientGetConfigs: unary(
      enabled
        ? (request: Parameters<RcService['clientGetConfigs']>[0], ctx) => service.clientGetConfigs(request, ctx)
        : disabled,
      true,
    ),
    GetConfigState: unary(enabled ? async () => service.getConfigState() : disabled),
    ResetConfigState: unary(
      enabled
        ? async () => {
            await service.resetConfigState();
            return {};
          }
        : disabled,
    ),
    // the multi-region-failover service is not provided (PROTOCOL.md §2)
    ClientGetConfigsHA: unary(unimplemented),
    GetConfigStateHA: unary(unimplemented),
  };

  const server = new Server(grpcServerOptions({ ...DEFAULT_GRPC_LIMITS, ...opts.limits }));
  // Requests decoded once per distinct message (a cache of its own: these are protobuf bytes, not JSON bodies).
  const decodeCached = cachedRequestDecoder(new DecodedRequestCache());
  server.addService(
    {
      ...AGENT_SECURE_DEFINITION,
      ClientGetConfigs: { ...AGENT_SECURE_DEFINITION.ClientGetConfigs, requestDeserialize: decodeCached },
    },
    implementation,
  );
  addRemoteAgentServices(server, checkToken, opts.remoteAgents);
  const tls = ServerCredentials.createSsl(
    null,
    [{ private_key: Buffer.from(creds.keyPem), cert_chain: Buffer.from(creds.certPem) }],
    false,
  );
  const target = formatAddress(opts.host, opts.port);
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(target, tls, (err, bound) => {
      if (err) reject(new GrpcSetupError('BIND_FAILED', `cannot listen on ${target}`, { cause: err }));
      else resolve(bound);
    });
  });

  let stopping: Promise<void> | undefined;
  const stop = (graceMs: number): Promise<void> => {
    stopping ??= new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, graceMs);
      timer.unref();
      server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    return stopping;
  };

  return { address: formatAddress(opts.host, port), port, stop };
}

/** Registry and config stream methods: the same bearer-token check, then the handlers (config stream issue). */
function addRemoteAgentServices(
  server: Server,
  checkToken: ReturnType<typeof createTokenCheck>,
  handlers: RemoteAgentHandlers | undefined,
): void {
  const toStatus = (e: unknown): { code: status; details: string } =>
    e instanceof RpcStatusError ? { code: e.grpcCode, details: e.message } : serviceErrorToGrpcStatus(e);
  const unary =
    <Req, Res>(handler: (h: RemoteAgentHandlers, request: Req) => Promise<Res>) =>
    (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>): void => {
      const failure = checkToken(call.metadata);
      if (failure !== undefined) {
        callback({ code: status.UNAUTHENTICATED, details: AUTH_FAILURE_DETAILS[failure] });
        return;
      }
      if (handlers === undefined) {
        callback({ code: status.UNIMPLEMENTED, details: 'remote agent registry not enabled' });
        return;
      }
      Promise.resolve()
        .then(() => handler(handlers, call.request))
        .then(
          (response) => callback(null, response),
          (e: unknown) => callback(toStatus(e)),
        );
    };
  const registry: UntypedServiceImplementation = {
    RegisterRemoteAgent: unary((h, r: Parameters<RemoteAgentHandlers['registerRemoteAgent']>[0]) =>
      h.registerRemoteAgent(r),
    ),
    RefreshRemoteAgent: unary((h, r: Parameters<RemoteAgentHandlers['refreshRemoteAgent']>[0]) =>
      h.refreshRemoteAgent(r),
    ),
  };
  const stream = (call: ServerWritableStream<unknown, unknown>): void => {
    const failure = checkToken(call.metadata);
    if (failure !== undefined) {
      call.emit('error', { code: status.UNAUTHENTICATED, details: AUTH_FAILURE_DETAILS[failure] });
      return;
    }
    if (handlers === undefined) {
      call.emit('error', { code: status.UNIMPLEMENTED, details: 'config stream not enabled' });
      return;
    }
    handlers.streamConfigEvents(call as Parameters<RemoteAgentHandlers['streamConfigEvents']>[0]);
  };
  server.addService(AGENT_SECURE_REMOTE_AGENT_DEFINITION, { ...registry, StreamConfigEvents: stream });
  server.addService(REMOTE_AGENT_DEFINITION, registry);
}
