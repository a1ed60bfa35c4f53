// The gRPC transport: datadog.api.v1.AgentSecure (RC methods) over TLS with a bearer token.
export { startGrpcServer, grpcServerOptions, DEFAULT_GRPC_LIMITS } from './server.js';
export type { GrpcServerHandle } from './server.js';
export { AUTH_TOKEN_FILE, IPC_CERT_FILE, pemBlocks } from './credentials.js';
export { createAgentSecureClient, type AgentSecureCredentials } from './client.js';
export { AGENT_SECURE_REMOTE_AGENT_DEFINITION } from './service-definition.js';
export { RpcStatusError, type RemoteAgentHandlers } from './remote-agent.js';
export { GrpcSetupError } from './error.js';
