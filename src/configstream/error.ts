// Errors of the config stream, its registry and its consumer library.
export type ConfigStreamErrorCode =
  /** the first snapshot did not arrive within the ready timeout */
  | 'READY_TIMEOUT'
  /** waitReady or a session provider was aborted by its signal */
  | 'ABORTED'
  /** the consumer was closed */
  | 'CLOSED'
  /** registering or refreshing a remote agent session failed */
  | 'REGISTRATION_FAILED'
  /** an AGENT_CONFIG document could not be used */
  | 'INVALID_AGENT_CONFIG';

export class ConfigStreamError extends Error {
  override readonly name = 'ConfigStreamError';
  constructor(
    readonly code: ConfigStreamErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
