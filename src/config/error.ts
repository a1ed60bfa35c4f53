// Configuration errors: always name the key (and the env var when it came from one) and the offending value.
export type ConfigErrorCode = 'INVALID_VALUE' | 'UNREADABLE_FILE' | 'INVALID_YAML';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly code: ConfigErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
