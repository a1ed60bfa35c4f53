// The remote agent's side of the wire: register/refresh a session and open StreamConfigEvents, over TLS with the
// bearer token (the auth_token and ipc_cert.pem of the agent's run_path).
import { isIP } from 'node:net';
import {
  Client,
  credentials,
  Metadata,
  type ChannelOptions,
  type ClientReadableStream,
  type ServiceError as GrpcCallError,
} from '@grpc/grpc-js';
import { AGENT_SECURE_REMOTE_AGENT_DEFINITION, type AgentSecureCredentials } from '../grpc/index.js';
import type { IConfigEvent, IRegisterRemoteAgentRequest, IRegisterRemoteAgentResponse } from '../proto/index.js';
import { SESSION_METADATA_KEY } from './server-handlers.js';

export interface RemoteAgentClient {
  register(request: IRegisterRemoteAgentRequest): Promise<IRegisterRemoteAgentResponse>;
  refresh(sessionId: string): Promise<void>;
  /** `sessionId` '' sends no session metadata */
  streamConfigEvents(name: string, sessionId: string): ClientReadableStream<IConfigEvent>;
  close(): void;
}

export function createRemoteAgentClient(
  address: string,
  creds: AgentSecureCredentials,
  channelOptions: ChannelOptions = {},
): RemoteAgentClient {
  const host = address.startsWith('[')
    ? address.slice(1, address.indexOf(']'))
    : address.slice(0, address.lastIndexOf(':'));
  const client = new Client(address, credentials.createSsl(Buffer.from(creds.certPem)), {
    ...channelOptions,
    ...(isIP(host) === 0 ? {} : { 'grpc.ssl_target_name_override': 'localhost' }),
  });
  const def = AGENT_SECURE_REMOTE_AGENT_DEFINITION;
  const metadata = (sessionId?: string): Metadata => {
    const md = new Metadata();
    if (creds.token !== '') md.set('authorization', `Bearer ${creds.token}`);
    if (sessionId) md.set(SESSION_METADATA_KEY, sessionId);
    return md;
  };
  const unary = <Req, Res>(
    method: { path: string; requestSerialize: (r: Req) => Buffer; responseDeserialize: (b: Buffer) => Res },
    request: Req,
  ): Promise<Res> =>
    new Promise((resolve, reject) => {
      client.makeUnaryRequest(
        method.path,
        method.requestSerialize,
        method.responseDeserialize,
        request,
        metadata(),
        { deadline: Date.now() + 10_000 },
        (err: GrpcCallError | null, value?: Res) => (err ? reject(err) : resolve(value as Res)),
      );
    });
  return {
    register: (request) => unary(def.RegisterRemoteAgent, request),
    refresh: async (sessionId) => {
      await unary(def.RefreshRemoteAgent, { sessionId });
    },
    streamConfigEvents: (name, sessionId) =>
      client.makeServerStreamRequest(
        def.StreamConfigEvents.path,
        def.StreamConfigEvents.requestSerialize,
        def.StreamConfigEvents.responseDeserialize,
        { name },
        metadata(sessionId),
      ),
    close: () => client.close(),
  };
}
