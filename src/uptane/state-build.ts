// Assembling an immutable TrustedState and the values derived from its verified documents.
import type { ConfigRepoState, ReadExpiry, RepoState, TargetMeta, TrustedState } from './types.js';
import { targetsOf } from './verified-meta.js';

export interface StateParts {
  readonly director: RepoState;
  readonly config: ConfigRepoState;
  readonly files: ReadonlyMap<string, Uint8Array>;
  readonly readExpiries: readonly ReadExpiry[];
  readonly remoteDelegated?: TrustedState['remoteDelegated'];
}

export function buildState(parts: StateParts): TrustedState {
  const directorTargets: ReadonlyMap<string, TargetMeta> =
    parts.director.targets === undefined ? new Map() : targetsOf(parts.director.targets);
  const custom = parts.director.targets?.signed.custom as Record<string, unknown> | undefined;
  const opaque = custom?.opaque_backend_state;
  const refresh = custom?.agent_refresh_interval;
  const snapshotCustom = parts.config.snapshot?.signed.custom as Record<string, unknown> | undefined;
  const orgUuid = snapshotCustom?.org_uuid;
  return Object.freeze({
    director: Object.freeze({ ...parts.director }),
    config: Object.freeze({ ...parts.config }),
    directorTargets,
    files: parts.files,
    // Go decodes the `[]byte` field from standard base64.
    opaqueBackendState: new Uint8Array(typeof opaque === 'string' ? Buffer.from(opaque, 'base64') : []),
    ...(typeof refresh === 'number' && Number.isInteger(refresh) ? { agentRefreshIntervalS: refresh } : {}),
    ...(typeof orgUuid === 'string' ? { configOrgUuid: orgUuid } : {}),
    readExpiries: Object.freeze([...parts.readExpiries]),
    ...(parts.remoteDelegated === undefined ? {} : { remoteDelegated: parts.remoteDelegated }),
  });
}
