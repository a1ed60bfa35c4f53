// What the gRPC server needs of the Remote Agent Registry and the config stream (implemented in src/configstream).
import type { ServerWritableStream, status } from '@grpc/grpc-js';
import type {
  IConfigEvent,
  IConfigStreamRequest,
  IRefreshRemoteAgentRequest,
  IRefreshRemoteAgentResponse,
  IRegisterRemoteAgentRequest,
  IRegisterRemoteAgentResponse,
} from '../proto/index.js';

export interface RemoteAgentHandlers {
  /** Rejects with RpcStatusError for a client error. */
  registerRemoteAgent(request: IRegisterRemoteAgentRequest): Promise<IRegisterRemoteAgentResponse>;
  refreshRemoteAgent(request: IRefreshRemoteAgentRequest): Promise<IRefreshRemoteAgentResponse>;
  /** Called after the bearer token was checked; owns the call until it ends it. */
  streamConfigEvents(call: ServerWritableStream<IConfigStreamRequest, IConfigEvent>): void;
}

/** An error that is its own gRPC status (the registry's PERMISSION_DENIED, INVALID_ARGUMENT, …). */
export class RpcStatusError extends Error {
  override readonly name = 'RpcStatusError';
  constructor(
    readonly grpcCode: status,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
