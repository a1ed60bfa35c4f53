// The backend side of rc-agent: the HTTP client for the RC backend, the backend simulator and the local signed source.
export type { BackendClient, OrgStatus } from './types.js';
export { BackendError } from './error.js';
export { createHttpBackendClient, type HttpBackendClient } from './http-client.js';
export { createLocalSource } from './local-source.js';
export { startBackendSimulator, type BackendSimulator } from './simulator.js';
export { registerBackendCommand } from './command.js';
export { loadOrCreateAgentUuid } from './agent-uuid.js';
