// The gRPC transport: datadog.api.v1.AgentSecure (RC methods) over TLS with a bearer token.
export { startGrpcServer } from './server.js';
export type { GrpcServerHandle, GrpcServerOptions, GrpcRequestDoneInfo } from './server.js';
export { loadOrCreateCredentials, AUTH_TOKEN_FILE, IPC_CERT_FILE } from './credentials.js';
export type { CredentialOptions, IpcCredentials } from './credentials.js';
export { createAgentSecureClient } from './client.js';
export type { AgentSecureClient, AgentSecureCredentials } from './client.js';
export { serviceErrorToGrpcStatus, grpcStatusForServiceErrorCode } from './status.js';
export {
  AGENT_SECURE_DEFINITION,
  AGENT_SECURE_REMOTE_AGENT_DEFINITION,
  REMOTE_AGENT_DEFINITION,
} from './service-definition.js';
export type {
  AgentSecureDefinition,
  AgentSecureRemoteAgentDefinition,
  RemoteAgentDefinition,
} from './service-definition.js';
export { RpcStatusError, type RemoteAgentHandlers } from './remote-agent.js';
export { GrpcSetupError, GRPC_SETUP_ERROR_CODES } from './error.js';
export type { GrpcSetupErrorCode } from './error.js';
