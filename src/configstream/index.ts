// The config stream: Remote Agent Registry sessions and StreamConfigEvents (server side), and the consumer
// library other Node processes use to receive rc-agent's resolved configuration.
export { startConfigStream, type ConfigStreamRuntime, type ConfigStreamStatus } from './runtime.js';
export { registerConfigStreamCommand } from './command.js';
export { scrubSetting } from './scrub.js';
