// The validated, frozen configuration. Each component receives only its slice; every time and size carries its unit.
import type { DatadogSettings } from './datadog-settings.js';
import type { LogLevel, Policy } from './schema.js';

export type { Policy };

export interface FastLaneConfig {
  readonly enabled: boolean;
  readonly products: readonly string[];
  readonly cacheBypassLimit: number;
  readonly blockTtlMs: number;
  /** Fetch the fast-lane products from the first refresh on (before any client asks for them). */
  readonly prefetch: boolean;
}

/** Replicas on Redis (src/cluster); `redisUrl` empty = standalone. */
export interface ClusterConfig {
  readonly redisUrl: string;
  readonly name: string;
  readonly lockTtlMs: number;
  readonly connectTimeoutMs: number;
  readonly commandTimeoutMs: number;
}

export interface RemoteConfigConfig extends DatadogSettings {
  readonly enabled: boolean;
  readonly apiKey: string;
  /** true when no API key is set: configs come from the local signed source. */
  readonly useLocalSource: boolean;
  readonly backendUrl: string;
  readonly noTls: boolean;
  /** Pinned roots as JSON text (already read from a file when a path was given); empty = embedded/local. */
  readonly configRoot: string;
  readonly directorRoot: string;
  readonly site: string;
  readonly refreshIntervalMs: number;
  /** False when the user fixed refresh_interval (≥ 5 s): the backend override is then ignored. */
  readonly refreshIntervalOverridable: boolean;
  readonly maxBackoffIntervalMs: number;
  readonly fetchTimeoutMs: number;
  readonly orgStatusRefreshIntervalMs: number;
  readonly clientsTtlMs: number;
  readonly cacheBypassLimit: number;
  readonly policy: Policy;
  readonly localDir: string;
  readonly localOrgId: number;
  readonly fastLane: FastLaneConfig;
  readonly cluster: ClusterConfig;
}

export interface AgentConfig {
  readonly hostname: string;
  readonly bindHost: string;
  readonly runPath: string;
  readonly httpPort: number;
  readonly grpcPort: number;
  readonly stopTimeoutMs: number;
  readonly logLevel: LogLevel;
  /** JSON logs on a terminal too (log_format_json). */
  readonly logFormatJson: boolean;
  readonly remoteConfiguration: RemoteConfigConfig;
  /** `container_tags_file`: container ID → tags appended to tracer tags; empty = none */
  readonly containerTagsFile: string;
  /** `container_cgroup_root`: where `Datadog-Entity-ID: in-<inode>` is resolved */
  readonly containerCgroupRoot: string;
  /** Values replaced the way the reference agent replaces them (out of range), for the start-up log. */
  readonly warnings: readonly string[];
}
