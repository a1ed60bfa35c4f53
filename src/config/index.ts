export { loadConfig, DEFAULT_LOCAL_CONFIG_DIR, type LoadConfigOptions } from './load-config.js';
export { ConfigError, type ConfigErrorCode } from './error.js';
export { KEYS, envNames, type ConfigKey } from './schema.js';
export { parseDurationMs } from './duration.js';
export type { AgentConfig, RemoteConfigConfig, FastLaneConfig, ClusterConfig, Policy } from './agent-config.js';
export { embeddedRootsForSite } from './embedded-roots.js';
