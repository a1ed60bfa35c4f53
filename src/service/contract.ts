// The contract between the RC service and its transports (src/http, src/grpc): everything an adapter needs, so it
// imports `../service/index.js` and nothing deeper (docs/DESIGN.md "Boundaries").
import type { IClientGetConfigsRequest, IClientGetConfigsResponse, IGetStateConfigResponse } from '../proto/index.js';

export { ServiceError, isInternalFailure, type ServiceErrorCode } from './error.js';

export type Transport = 'http' | 'grpc';

export interface RequestContext {
  /** Aborted when the caller goes away; an aborted request does no further work. */
  readonly signal: AbortSignal;
  readonly transport: Transport;
}

/** A replica's place in a fleet sharing Redis (src/cluster); absent when no cluster is configured. */
export interface ClusterStatus {
  readonly mode: 'standalone' | 'leader' | 'follower';
  readonly name: string;
  readonly replicaId: string;
  /** Why the replica runs standalone (Redis unreachable, slow, …). */
  readonly reason?: string;
  readonly fencingToken?: number;
  readonly roundsPublished: number;
  readonly roundsUsed: number;
  /** Refreshes this replica fetched from the backend itself while a follower (no usable round). */
  readonly fallbackFetches: number;
  /** Rounds read from Redis that failed TUF/Uptane verification here. */
  readonly roundsRejected: number;
}

/** What `rc-agent status` and `GET /status` show (what `datadog-agent remote-config` prints). */
export interface StatusReport {
  readonly enabled: boolean;
  readonly policy: 'fastlane' | 'legacy';
  readonly ready: boolean;
  readonly backend: string;
  readonly orgUuid?: string;
  /** Last `GET /api/v0.1/status` answer (PROTOCOL.md §4.7); absent until one succeeded. */
  readonly orgStatus?: { readonly enabled: boolean; readonly authorized: boolean };
  readonly versions: {
    readonly directorRoot: number;
    readonly directorTargets: number;
    readonly configRoot: number;
    readonly configSnapshot: number;
  };
  readonly lastUpdate?: string;
  readonly lastError?: string;
  readonly refreshIntervalMs: number;
  /** Products the last successful refresh asked the backend for. */
  readonly fetchedProducts: readonly string[];
  /** Start of the last successful refresh: the snapshot holds the backend's state as of then. */
  readonly freshAsOf?: string;
  readonly configs: ReadonlyArray<{
    readonly path: string;
    readonly product: string;
    readonly id: string;
    readonly version: number;
    readonly length: number;
    readonly expires?: number;
  }>;
  readonly activeClients: ReadonlyArray<{
    readonly id: string;
    readonly products: readonly string[];
    readonly kind: 'tracer' | 'agent' | 'updater';
    readonly service?: string;
    readonly lastSeen: string;
    /** How its last wait for fresh data ended (new client, or a product the agent did not fetch yet). */
    readonly lastBypass?: { readonly outcome: string; readonly waitedMs: number; readonly at: string };
  }>;
  readonly activeClientsByProduct: Readonly<Record<string, number>>;
  readonly bypass: Readonly<Record<string, Readonly<Record<string, number>>>>;
  readonly refreshes: Readonly<Record<string, number>>;
  /** Files of the config source that were skipped, and why (local signed source). */
  readonly sourceWarnings?: readonly string[];
  readonly cluster?: ClusterStatus;
}

export interface RcService {
  /** PROTOCOL.md §4.3. An up-to-date client gets an empty response (encoded `{}`). Throws ServiceError. */
  clientGetConfigs(request: IClientGetConfigsRequest, ctx: RequestContext): Promise<IClientGetConfigsResponse>;
  getConfigState(): IGetStateConfigResponse;
  resetConfigState(): Promise<void>;
  /** True once a verified state exists (loaded from the store or fetched). */
  isReady(): boolean;
  status(): StatusReport;
  /** Extra lines for `/readyz` (the cluster mode); none when standalone by configuration. */
  readyDetails?(): readonly string[];
}
