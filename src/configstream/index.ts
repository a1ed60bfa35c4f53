// The config stream: Remote Agent Registry sessions and StreamConfigEvents (server side), and the consumer
// library other Node processes use to receive rc-agent's resolved configuration.
export { ConfigStreamError, type ConfigStreamErrorCode } from './error.js';
export { ConfigStreamHub, DEFAULT_SUBSCRIBER_BUFFER } from './hub.js';
export type { StreamSetting, SubscriberSink, SubscriberInfo, ConfigStreamHubOptions, CloseKind } from './hub.js';
export {
  RemoteAgentRegistry,
  RegistrationError,
  DEFAULT_REFRESH_INTERVAL_S,
  DEFAULT_SESSION_TTL_MS,
} from './registry.js';
export type { RemoteAgentSession, RemoteAgentRegistryOptions, SessionEndReason } from './registry.js';
export { SequenceCounter, SEQUENCE_FILE } from './sequence.js';
export { createConfigStreamMetrics, type ConfigStreamMetrics } from './metrics.js';
export { scrubSetting, isSecretKey, REDACTED } from './scrub.js';
export { toProtoValue, fromProtoValue, jsonEqual, type JsonValue } from './values.js';
export { LiveConfig, LIVE_KEYS, type LiveConfigOptions, type PendingRestart, type LogLevel } from './live-config.js';
export { mergeAgentConfig, toLogLevel, AGENT_CONFIG_PRODUCT, type MergedAgentConfig } from './agent-config.js';
export {
  AgentConfigClient,
  DEFAULT_AGENT_CONFIG_POLL_MS,
  type AgentConfigClientOptions,
} from './agent-config-client.js';
export { createRemoteAgentHandlers, SESSION_METADATA_KEY } from './server-handlers.js';
export { createRemoteAgentClient, type RemoteAgentClient } from './client.js';
export { RegisteredSession, type SessionIdProvider, type RegisteredSessionOptions } from './session.js';
export {
  ConfigStreamConsumer,
  DEFAULT_READY_TIMEOUT_MS,
  DEFAULT_RECONNECT_DELAY_MS,
  type ConfigChange,
  type ConsumedSetting,
  type ConfigStreamConsumerOptions,
} from './consumer.js';
export { startConfigStream, type ConfigStreamRuntime, type ConfigStreamStatus } from './runtime.js';
export { registerConfigStreamCommand } from './command.js';
