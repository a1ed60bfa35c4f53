// Types of the verified TUF/Uptane state. Everything here is immutable once built.

/** One verified metadata document: the exact bytes received and its parsed `signed` part. */
export interface VerifiedMeta {
  readonly version: number;
  /** Exact bytes as received from the backend (forwarded verbatim to clients). */
  readonly raw: Uint8Array;
  /** `JSON.parse(raw).signed`, deep-frozen. */
  readonly signed: Readonly<Record<string, unknown>>;
  /** `signed.expires` as epoch milliseconds. */
  readonly expiresMs: number;
}

/** A target as listed in director targets (or a config delegated role). */
export interface TargetMeta {
  readonly length: number;
  /** algorithm → lower-case hex digest */
  readonly hashes: Readonly<Record<string, string>>;
  readonly custom?: Readonly<Record<string, unknown>>;
}

export interface RepoState {
  /** Every accepted root, by version, exact bytes (v1 = the pinned root). Used for client root catch-up. */
  readonly roots: ReadonlyMap<number, Uint8Array>;
  readonly root: VerifiedMeta;
  readonly timestamp?: VerifiedMeta;
  readonly snapshot?: VerifiedMeta;
  readonly targets?: VerifiedMeta;
}

export interface ConfigRepoState extends RepoState {
  /** Delegated targets roles (one per product), by role name. */
  readonly delegated: ReadonlyMap<string, VerifiedMeta>;
}

export interface TrustedState {
  readonly director: RepoState;
  readonly config: ConfigRepoState;
  /** Director targets (path → meta), empty before the first update. */
  readonly directorTargets: ReadonlyMap<string, TargetMeta>;
  /** Target file bytes by target path (consistent-snapshot hash prefix removed). Only director targets. */
  readonly files: ReadonlyMap<string, Uint8Array>;
  /** Director `targets.signed.custom.opaque_backend_state`, decoded from base64 (empty if absent). */
  readonly opaqueBackendState: Uint8Array;
  /** Director `targets.signed.custom.agent_refresh_interval` in seconds, if present and an integer. */
  readonly agentRefreshIntervalS?: number;
  /** Config snapshot `custom.org_uuid`, if present. */
  readonly configOrgUuid?: string;
  /**
   * Documents whose expiry every read re-checks (§5.6), in the reference's order: config snapshot, config targets,
   * the delegated roles used, director snapshot, director targets. Empty when the director has no targets.
   */
  readonly readExpiries?: readonly ReadExpiry[];
  /**
   * Delegated documents received from the backend, verified or not: the reference's in-memory config remote store,
   * from which roles are loaded lazily when a director target first needs them. Not persisted.
   */
  readonly remoteDelegated?: ReadonlyMap<string, { readonly version: number; readonly raw: Uint8Array }>;
}

/** One metadata expiry checked at read time. */
export interface ReadExpiry {
  /** file name as the reference prints it (`snapshot.json`, `APM_TRACING.json`) */
  readonly name: string;
  readonly expiresMs: number;
  /** `signed.expires` as written, for the error message */
  readonly expires: string;
}

/** Versions reported upstream and to status (0 when absent). */
export interface TufVersions {
  readonly directorRoot: number;
  readonly directorTargets: number;
  readonly configRoot: number;
  readonly configSnapshot: number;
}

/** A JSON-serialisable copy of a TrustedState's raw bytes, for the persistent store. */
export interface PersistedState {
  readonly format: 1;
  readonly director: PersistedRepo;
  readonly config: PersistedRepo & { readonly delegated: Readonly<Record<string, string>> };
  /** path → base64 bytes */
  readonly files: Readonly<Record<string, string>>;
}
export interface PersistedRepo {
  /** version → base64 raw root */
  readonly roots: Readonly<Record<string, string>>;
  readonly timestamp?: string;
  readonly snapshot?: string;
  readonly targets?: string;
}
