// The LatestConfigsRequest the agent sends upstream (PROTOCOL.md §4.6 / the reference's newUpdateRequest): pure, so
// the exact bytes for a given input can be tested without a backend.
import type { AgentConfig } from '../config/index.js';
import type { IClient, ILatestConfigsRequest } from '../proto/index.js';
import type { TufVersions } from '../uptane/index.js';

/** Who the agent says it is; fixed for the life of a service. */
export interface UpstreamIdentity {
  readonly hostname: string;
  /** `remote_configuration.agent_version`: the backend refuses an empty or old one */
  readonly agentVersion: string;
  /** reference GetTraceAgentDefaultEnv: `apm_config.env`, else `env`, else the first `env:` host tag */
  readonly traceAgentEnv?: string;
  /** reference host tags: `tags` + `extra_tags` + `env:<env>`, sorted, de-duplicated */
  readonly tags?: readonly string[];
}

/** The identity a loaded configuration sends upstream. */
export function upstreamIdentityFromConfig(config: AgentConfig): UpstreamIdentity {
  const rc = config.remoteConfiguration;
  return {
    hostname: config.hostname,
    agentVersion: rc.upstreamAgentVersion,
    traceAgentEnv: rc.traceAgentEnv,
    tags: rc.hostTags,
  };
}

export interface LatestConfigsRequestInput {
  readonly identity: UpstreamIdentity;
  readonly agentUuid: string;
  /** Zeros on the first refresh after every start: a full resync despite the persistent store. */
  readonly versions: Pick<TufVersions, 'directorRoot' | 'configRoot' | 'configSnapshot'>;
  /** Products already fetched. */
  readonly products: ReadonlySet<string>;
  /** Products asked for the first time by this request. */
  readonly newProducts: ReadonlySet<string>;
  readonly activeClients: IClient[];
  readonly backendClientState?: Uint8Array;
  readonly lastError: string | undefined;
  readonly orgUuid: string;
}

export function buildLatestConfigsRequest(input: LatestConfigsRequestInput): ILatestConfigsRequest {
  return {
    hostname: input.identity.hostname,
    agentVersion: input.identity.agentVersion,
    agentUuid: input.agentUuid,
    currentConfigSnapshotVersion: input.versions.configSnapshot,
    currentConfigRootVersion: input.versions.configRoot,
    currentDirectorRootVersion: input.versions.directorRoot,
    products: [...input.products].sort(),
    newProducts: [...input.newProducts].sort(),
    activeClients: input.activeClients,
    backendClientState: input.backendClientState,
    hasError: input.lastError !== undefined,
    error: input.lastError ?? '',
    orgUuid: input.orgUuid,
    traceAgentEnv: input.identity.traceAgentEnv ?? '',
    tags: [...(input.identity.tags ?? [])],
  };
}
