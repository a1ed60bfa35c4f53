// RC config paths (PROTOCOL.md §4.1, reference `rdata.ParseConfigPath`).
import { UptaneError } from './error.js';

export interface ConfigPath {
  readonly source: 'datadog' | 'employee';
  /** only for `datadog/<org>/…` paths */
  readonly orgId?: number;
  readonly product: string;
  readonly configId: string;
  readonly name: string;
}

const DATADOG_PATH = /^datadog\/(\d+)\/([^/]+)\/([^/]+)\/([^/]+)$/;
const EMPLOYEE_PATH = /^employee\/([^/]+)\/([^/]+)\/([^/]+)$/;

/** Parse a config path or throw E29 (`config path '…' has unknown source` / `… has wrong format`). */
export function parseConfigPath(path: string): ConfigPath {
  if (path.startsWith('datadog/')) {
    const m = DATADOG_PATH.exec(path);
    if (m === null) throw new UptaneError('CONFIG_PATH', `config file path '${path}' has wrong format`);
    const [, rawOrgId, product, configId, name] = m as unknown as [string, string, string, string, string];
    const orgId = Number(rawOrgId);
    if (!Number.isSafeInteger(orgId)) {
      throw new UptaneError(
        'CONFIG_PATH',
        `could not parse orgID '${rawOrgId}' in config file path: value out of range`,
      );
    }
    return { source: 'datadog', orgId, product, configId, name };
  }
  if (path.startsWith('employee/')) {
    const m = EMPLOYEE_PATH.exec(path);
    if (m === null) throw new UptaneError('CONFIG_PATH', `config file path '${path}' has wrong format`);
    const [, product, configId, name] = m as unknown as [string, string, string, string];
    return { source: 'employee', product, configId, name };
  }
  throw new UptaneError('CONFIG_PATH', `config path '${path}' has unknown source`);
}
