// The backend side of rc-agent: the HTTP client for the RC backend, the backend simulator and the local signed source.
export type { BackendClient, OrgStatus, FaultMode, AttackMode, PinnedRoots } from './types.js';
export { FAULT_MODES, ATTACK_MODES } from './types.js';
export { BackendError, BACKEND_ERROR_CODES, type BackendErrorCode } from './error.js';
export {
  createHttpBackendClient,
  DEFAULT_FETCH_TIMEOUT_MS,
  type HttpBackendClient,
  type HttpBackendClientOptions,
  type BackendTlsOptions,
} from './http-client.js';
export { proxyFor, type BackendProxyOptions } from './proxy.js';
export {
  createLocalSource,
  LOCAL_SOURCE_STATE_FILE,
  type LocalSource,
  type LocalSourceOptions,
} from './local-source.js';
export {
  startBackendSimulator,
  SIGNER_STATE_FILE,
  CONFIG_ROOT_FILE,
  DIRECTOR_ROOT_FILE,
  type BackendSimulator,
  type BackendSimulatorOptions,
  type BackendSimulatorStats,
} from './simulator.js';
export { FOREIGN_ORG_UUID, foreignOrgId } from './attacks.js';
export { scanConfigDir, sidecarToCustom, type ConfigFile, type ConfigDirScan } from './config-dir.js';
export { registerBackendCommand } from './command.js';
export * from './signer/index.js';
export { loadOrCreateAgentUuid, AGENT_UUID_FILE, type AgentUuidSources } from './agent-uuid.js';
