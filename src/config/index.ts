export { loadConfig, type LoadConfigOptions } from './load-config.js';
export { ConfigError } from './error.js';
export { KEYS } from './schema.js';
export type { AgentConfig, RemoteConfigConfig, ClusterConfig } from './agent-config.js';
export { embeddedRootsForSite } from './embedded-roots.js';
export { loadConfigWithSources } from './sources.js';
export type { ConfigSource, ResolvedSetting } from './sources.js';
export { watchConfigFile } from './config-file-watcher.js';
