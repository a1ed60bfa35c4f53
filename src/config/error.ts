// Configuration errors: always name the key (and the env var when it came from one) and the offending value.
import { CodedError, type ErrorCodeDocs } from '../errors/index.js';

export const CONFIG_ERROR_DOCS = {
  INVALID_VALUE: 'a key has a value rc-agent cannot use (wrong type, out of range, inconsistent with another key)',
  UNREADABLE_FILE: 'the config file, or a file a key points to, cannot be read',
  INVALID_YAML: 'the config file is not YAML, or does not hold a mapping',
} as const satisfies ErrorCodeDocs<string>;

export type ConfigErrorCode = keyof typeof CONFIG_ERROR_DOCS;

export class ConfigError extends CodedError<ConfigErrorCode> {
  override readonly name = 'ConfigError';
}
