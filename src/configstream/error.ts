// Errors of the config stream, its registry and its consumer library.
import { CodedError, type ErrorCodeDocs } from '../errors/index.js';

export const CONFIG_STREAM_ERROR_DOCS = {
  READY_TIMEOUT: 'the first snapshot did not arrive within the ready timeout',
  ABORTED: 'waitReady or a session provider was aborted by its signal',
  CLOSED: 'the consumer was closed',
  REGISTRATION_FAILED: 'registering or refreshing a remote agent session failed',
  INVALID_AGENT_CONFIG: 'an AGENT_CONFIG document could not be used',
} as const satisfies ErrorCodeDocs<string>;

export type ConfigStreamErrorCode = keyof typeof CONFIG_STREAM_ERROR_DOCS;

export class ConfigStreamError extends CodedError<ConfigStreamErrorCode> {
  override readonly name = 'ConfigStreamError';
}
