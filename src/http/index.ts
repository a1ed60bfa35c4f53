// The HTTP transport: /v0.7/config with the Go encoding/json contract (PROTOCOL.md §3), /info, health, status,
// metrics.
export { buildHttpApp } from './app.js';
export { httpListenOptions } from './listen-options.js';
export { maxConnectionsFor, openFileLimit } from './connection-limit.js';
export { decodeClientGetConfigsRequest } from './decode-request.js';
export { createContainerTagSource, ContainerTagsError } from './container-tags.js';
