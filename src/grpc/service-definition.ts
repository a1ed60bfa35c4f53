// datadog.api.v1.AgentSecure, the RC subset (PROTOCOL.md §2), built by hand from the static protobuf code.
// google.protobuf.Empty and ResetStateConfigResponse have no fields: zero-length messages.
import type { MethodDefinition, ServiceDefinition } from '@grpc/grpc-js';
import { AGENT_SECURE_SERVICE, pb } from '../proto/index.js';
import type { IClientGetConfigsRequest, IClientGetConfigsResponse, IGetStateConfigResponse } from '../proto/index.js';

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

const emptySerialize = (): Buffer => EMPTY_BYTES;
const emptyDeserialize = (): Empty => ({});

const clientGetConfigs = (name: string): MethodDefinition<IClientGetConfigsRequest, IClientGetConfigsResponse> => ({
  path: `/${AGENT_SECURE_SERVICE}/${name}`,
  requestStream: false,
  responseStream: false,
  requestSerialize: (r) => toBuffer(pb.ClientGetConfigsRequest.encode(r).finish()),
  requestDeserialize: decodeClientGetConfigsRequest,
  responseSerialize: (r) => toBuffer(pb.ClientGetConfigsResponse.encode(r).finish()),
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
