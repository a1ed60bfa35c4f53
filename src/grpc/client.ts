// A small AgentSecure client for tests, `rc-agent status` and the gRPC throughput bench.
import { isIP } from 'node:net';
import {
  Client,
  credentials,
  Metadata,
  type CallOptions,
  type ChannelOptions,
  type ServiceError as GrpcCallError,
} from '@grpc/grpc-js';
import type { IClientGetConfigsRequest, IClientGetConfigsResponse, IGetStateConfigResponse } from '../proto/index.js';
import { AGENT_SECURE_DEFINITION, type Empty } from './service-definition.js';

export interface AgentSecureClient {
  /** Rejects with the grpc-js error (`code`, `details`) on a non-OK status. */
  clientGetConfigs(
    request: IClientGetConfigsRequest,
    opts?: { deadlineMs?: number },
  ): Promise<IClientGetConfigsResponse>;
  getConfigState(): Promise<IGetStateConfigResponse>;
  resetConfigState(): Promise<void>;
  close(): void;
}

export interface AgentSecureCredentials {
  /** the auth_token; an empty string sends no authorization header */
  readonly token: string;
  /** PEM of the certificate to trust (ipc_cert.pem) */
  readonly certPem: string;
}

/** `address` is `host:port`; the certificate must name the host (localhost, 127.0.0.1 or ::1). */
export function createAgentSecureClient(address: string, creds: AgentSecureCredentials): AgentSecureClient {
  // TLS server names cannot be IP addresses (RFC 6066; Node warns): verify an IP target as `localhost`, which
  // the certificate also names
  const host = address.startsWith('[')
    ? address.slice(1, address.indexOf(']'))
    : address.slice(0, address.lastIndexOf(':'));
  const options: ChannelOptions = isIP(host) === 0 ? {} : { 'grpc.ssl_target_name_override': 'localhost' };
  const client = new Client(address, credentials.createSsl(Buffer.from(creds.certPem)), options);
  const authorization = creds.token === '' ? undefined : `Bearer ${creds.token}`;

  const call = <Req, Res>(
    method: keyof typeof AGENT_SECURE_DEFINITION,
    request: Req,
    deadlineMs?: number,
  ): Promise<Res> => {
    const def = AGENT_SECURE_DEFINITION[method] as unknown as {
      path: string;
      requestSerialize: (r: Req) => Buffer;
      responseDeserialize: (b: Buffer) => Res;
    };
    const metadata = new Metadata();
    if (authorization !== undefined) metadata.set('authorization', authorization);
    const options: CallOptions = deadlineMs === undefined ? {} : { deadline: Date.now() + deadlineMs };
    return new Promise<Res>((resolve, reject) => {
      client.makeUnaryRequest(
        def.path,
        def.requestSerialize,
        def.responseDeserialize,
        request,
        metadata,
        options,
        (err: GrpcCallError | null, value?: Res) => {
          if (err) reject(err);
          else resolve(value as Res);
        },
      );
    });
  };

  return {
    clientGetConfigs: (request, opts) =>
      call<IClientGetConfigsRequest, IClientGetConfigsResponse>('ClientGetConfigs', request, opts?.deadlineMs),
    getConfigState: () => call<Empty, IGetStateConfigResponse>('GetConfigState', {}),
    resetConfigState: async () => {
      await call<Empty, Empty>('ResetConfigState', {});
    },
    close: () => client.close(),
  };
}
