export { loadConfig, DEFAULT_LOCAL_CONFIG_DIR, type LoadConfigOptions } from './load-config.js';
export { ConfigError, type ConfigErrorCode } from './error.js';
export { KEYS, envNames, type ConfigKey } from './schema.js';
export { parseDurationMs } from './duration.js';
export type { AgentConfig, RemoteConfigConfig, FastLaneConfig, Policy } from './agent-config.js';
export { embeddedRootsForSite } from './embedded-roots.js';
export {
  MIN_UPSTREAM_AGENT_VERSION,
  type DatadogSettings,
  type ProxySettings,
  type BackendTlsSettings,
  type TlsMinVersion,
} from './datadog-settings.js';
export { parseRemoteConfigKey, encodeRemoteConfigKey, RemoteConfigKeyError, type RemoteConfigKey } from './rc-key.js';
export { watchConfigFile, type ConfigFileWatcher, type ConfigFileWatcherOptions } from './config-file-watcher.js';
