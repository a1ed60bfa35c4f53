// What the RC service needs from a backend: the three calls of the reference's `api.API` (PROTOCOL.md §1).
import type { ILatestConfigsRequest, ILatestConfigsResponse } from '../proto/index.js';

export interface OrgStatus {
  readonly enabled: boolean;
  readonly authorized: boolean;
}

export interface BackendClient {
  /** Identity of the backend for the state store: the base URL, or `local:<dir>` for the local signed source. */
  readonly url: string;
  /** `POST /api/v0.1/configurations`. Throws BackendError. */
  fetchLatestConfigs(req: ILatestConfigsRequest, signal?: AbortSignal): Promise<ILatestConfigsResponse>;
  /** `GET /api/v0.1/org` → `OrgDataResponse.uuid`. Throws BackendError. */
  fetchOrgUuid(signal?: AbortSignal): Promise<string>;
  /** `GET /api/v0.1/status`. Throws BackendError. */
  fetchOrgStatus(signal?: AbortSignal): Promise<OrgStatus>;
  close(): Promise<void>;
}

/** `drip`: a 200 whose body arrives one byte a second and never completes (a fetch timeout must cover the body). */
export type FaultMode = 'none' | '500' | '503' | '504' | 'hang' | 'reset' | 'garbage' | 'drip';
export const FAULT_MODES: readonly FaultMode[] = ['none', '500', '503', '504', 'hang', 'reset', 'garbage', 'drip'];

export type AttackMode =
  | 'none'
  | 'tampered-file'
  | 'tampered-file-same-length'
  | 'rollback'
  | 'expired-timestamp'
  | 'wrong-key'
  | 'director-config-mismatch'
  | 'org-uuid-mismatch'
  | 'org-id-mismatch';
export const ATTACK_MODES: readonly AttackMode[] = [
  'none',
  'tampered-file',
  'tampered-file-same-length',
  'rollback',
  'expired-timestamp',
  'wrong-key',
  'director-config-mismatch',
  'org-uuid-mismatch',
  'org-id-mismatch',
];

export interface PinnedRoots {
  readonly config: Uint8Array;
  readonly director: Uint8Array;
}
