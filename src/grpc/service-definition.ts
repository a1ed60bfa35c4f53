// datadog.api.v1.AgentSecure, the RC subset (PROTOCOL.md §2), built by hand from the static protobuf code.
// google.protobuf.Empty and ResetStateConfigResponse have no fields: zero-length messages.
import type { MethodDefinition, ServiceDefinition } from '@grpc/grpc-js';
import type { DecodedRequestCache } from '../service/index.js';
import { AGENT_SECURE_SERVICE, REMOTE_AGENT_SERVICE, modelPb, pb, remoteAgentPb } from '../proto/index.js';
import type { IClientGetConfigsRequest, IClientGetConfigsResponse, IGetStateConfigResponse } from '../proto/index.js';
import type {
  IConfigEvent,
  IConfigStreamRequest,
  IRefreshRemoteAgentRequest,
  IRefreshRemoteAgentResponse,
  IRegisterRemoteAgentRequest,
  IRegisterRemoteAgentResponse,
} from '../proto/index.js';
import { grpcBytesOfFrozenReply as frozenReplies } from '../service/index.js';

export type Empty = Record<string, never>;

const EMPTY_BYTES = Buffer.alloc(0);

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * A decoded request as a plain object holding only the fields on the wire. The generated message prototypes carry
 * `Long{0}` defaults for 64-bit fields (set while the generated code loads), and a Long is truthy: an omitted
 * `root_version` or `length` (what proto3 sends for 0) would pass validation that HTTP applies.
 */
export function decodeClientGetConfigsRequest(bytes: Uint8Array): IClientGetConfigsRequest {
  return pb.ClientGetConfigsRequest.toObject(pb.ClientGetConfigsRequest.decode(bytes), {
    longs: Number,
    defaults: false,
  });
}

/**
 * `decodeClientGetConfigsRequest` through a cache by message bytes: an agent polling in its steady state sends the
 * same bytes every time, and a cached (frozen) request also skips the service's validation (it is kept per request
 * object). Decoding errors are thrown as before.
 */
export function cachedRequestDecoder(cache: DecodedRequestCache): (bytes: Buffer) => IClientGetConfigsRequest {
  return (bytes) => {
    const key = cache.keyOf(bytes);
    if (key === undefined) return decodeClientGetConfigsRequest(bytes);
    return cache.get(key) ?? cache.set(key, decodeClientGetConfigsRequest(bytes));
  };
}

const emptySerialize = (): Buffer => EMPTY_BYTES;

// The service shares frozen replies between clients (first polls of the same products, per snapshot): encode each
// once, as the HTTP transport does (src/service/frozen-caches.ts).

function serializeResponse(r: IClientGetConfigsResponse): Buffer {
  if (!Object.isFrozen(r)) return toBuffer(pb.ClientGetConfigsResponse.encode(r).finish());
  let bytes = frozenReplies.get(r);
  if (bytes === undefined) {
    bytes = toBuffer(pb.ClientGetConfigsResponse.encode(r).finish());
    frozenReplies.set(r, bytes);
  }
  return bytes;
}
const emptyDeserialize = (): Empty => ({});

const clientGetConfigs = (name: string): MethodDefinition<IClientGetConfigsRequest, IClientGetConfigsResponse> => ({
  path: `/${AGENT_SECURE_SERVICE}/${name}`,
  requestStream: false,
  responseStream: false,
  requestSerialize: (r) => toBuffer(pb.ClientGetConfigsRequest.encode(r).finish()),
  requestDeserialize: decodeClientGetConfigsRequest,
  responseSerialize: serializeResponse,
  responseDeserialize: (b) => pb.ClientGetConfigsResponse.decode(b),
});

const getConfigState = (name: string): MethodDefinition<Empty, IGetStateConfigResponse> => ({
  path: `/${AGENT_SECURE_SERVICE}/${name}`,
  requestStream: false,
  responseStream: false,
  requestSerialize: emptySerialize,
  requestDeserialize: emptyDeserialize,
  responseSerialize: (r) => toBuffer(pb.GetStateConfigResponse.encode(r).finish()),
  responseDeserialize: (b) => pb.GetStateConfigResponse.decode(b),
});

const resetConfigState: MethodDefinition<Empty, Empty> = {
  path: `/${AGENT_SECURE_SERVICE}/ResetConfigState`,
  requestStream: false,
  responseStream: false,
  requestSerialize: emptySerialize,
  requestDeserialize: emptyDeserialize,
  responseSerialize: emptySerialize,
  responseDeserialize: emptyDeserialize,
};

export interface AgentSecureDefinition extends ServiceDefinition {
  ClientGetConfigs: MethodDefinition<IClientGetConfigsRequest, IClientGetConfigsResponse>;
  GetConfigState: MethodDefinition<Empty, IGetStateConfigResponse>;
  ClientGetConfigsHA: MethodDefinition<IClientGetConfigsRequest, IClientGetConfigsResponse>;
  GetConfigStateHA: MethodDefinition<Empty, IGetStateConfigResponse>;
  ResetConfigState: MethodDefinition<Empty, Empty>;
}

export const AGENT_SECURE_DEFINITION: AgentSecureDefinition = {
  ClientGetConfigs: clientGetConfigs('ClientGetConfigs'),
  GetConfigState: getConfigState('GetConfigState'),
  ClientGetConfigsHA: clientGetConfigs('ClientGetConfigsHA'),
  GetConfigStateHA: getConfigState('GetConfigStateHA'),
  ResetConfigState: resetConfigState,
};

// The Remote Agent Registry and the config stream, served on AgentSecure and (registry only) on
// datadog.remoteagent.v1.RemoteAgent, as the Datadog agent serves them.
const unaryMethod = <Req, Res>(
  path: string,
  req: { encode(m: Req): { finish(): Uint8Array }; decode(b: Uint8Array): Req },
  res: { encode(m: Res): { finish(): Uint8Array }; decode(b: Uint8Array): Res },
): MethodDefinition<Req, Res> => ({
  path,
  requestStream: false,
  responseStream: false,
  requestSerialize: (r) => toBuffer(req.encode(r).finish()),
  requestDeserialize: (b) => req.decode(b),
  responseSerialize: (r) => toBuffer(res.encode(r).finish()),
  responseDeserialize: (b) => res.decode(b),
});

const registerRemoteAgent = (service: string) =>
  unaryMethod<IRegisterRemoteAgentRequest, IRegisterRemoteAgentResponse>(
    `/${service}/RegisterRemoteAgent`,
    remoteAgentPb.RegisterRemoteAgentRequest,
    remoteAgentPb.RegisterRemoteAgentResponse,
  );
const refreshRemoteAgent = (service: string) =>
  unaryMethod<IRefreshRemoteAgentRequest, IRefreshRemoteAgentResponse>(
    `/${service}/RefreshRemoteAgent`,
    remoteAgentPb.RefreshRemoteAgentRequest,
    remoteAgentPb.RefreshRemoteAgentResponse,
  );

export interface RemoteAgentDefinition extends ServiceDefinition {
  RegisterRemoteAgent: MethodDefinition<IRegisterRemoteAgentRequest, IRegisterRemoteAgentResponse>;
  RefreshRemoteAgent: MethodDefinition<IRefreshRemoteAgentRequest, IRefreshRemoteAgentResponse>;
}

export interface AgentSecureRemoteAgentDefinition extends RemoteAgentDefinition {
  StreamConfigEvents: MethodDefinition<IConfigStreamRequest, IConfigEvent>;
}

export const REMOTE_AGENT_DEFINITION: RemoteAgentDefinition = {
  RegisterRemoteAgent: registerRemoteAgent(REMOTE_AGENT_SERVICE),
  RefreshRemoteAgent: refreshRemoteAgent(REMOTE_AGENT_SERVICE),
};

/** The AgentSecure methods beside the RC ones (a second definition of the same service name: distinct paths). */
export const AGENT_SECURE_REMOTE_AGENT_DEFINITION: AgentSecureRemoteAgentDefinition = {
  RegisterRemoteAgent: registerRemoteAgent(AGENT_SECURE_SERVICE),
  RefreshRemoteAgent: refreshRemoteAgent(AGENT_SECURE_SERVICE),
  StreamConfigEvents: {
    path: `/${AGENT_SECURE_SERVICE}/StreamConfigEvents`,
    requestStream: false,
    responseStream: true,
    requestSerialize: (r) => toBuffer(modelPb.ConfigStreamRequest.encode(r).finish()),
    requestDeserialize: (b) => modelPb.ConfigStreamRequest.decode(b),
    responseSerialize: (r) => toBuffer(modelPb.ConfigEvent.encode(r).finish()),
    responseDeserialize: (b) => modelPb.ConfigEvent.decode(b),
  },
};
