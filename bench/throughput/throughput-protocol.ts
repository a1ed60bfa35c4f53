// Messages between the throughput orchestrator and its load children (autocannon for HTTP, a gRPC client loop).
export interface LatencySummary {
  /** Milliseconds. */
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

export interface LoadResult {
  readonly requests: number;
  readonly requestsPerS: number;
  readonly latencyMs: LatencySummary;
  /** Non-2xx answers (HTTP) or failed calls (gRPC). */
  readonly errors: number;
  /** Transport errors and timeouts. */
  readonly transportErrors: number;
  readonly durationS: number;
}

export interface HttpLoadData {
  readonly kind: 'http';
  readonly url: string;
  readonly path: string;
  readonly bodies: readonly string[];
  readonly connections: number;
  readonly durationS: number;
  readonly warmupS: number;
}

export interface GrpcLoadData {
  readonly kind: 'grpc';
  readonly address: string;
  readonly token: string;
  readonly certPem: string;
  /** JSON request bodies; the worker decodes them to protobuf requests once, up front. */
  readonly bodies: readonly string[];
  readonly concurrency: number;
  readonly durationS: number;
  readonly warmupS: number;
}

export type LoadData = HttpLoadData | GrpcLoadData;

export type LoadWorkerMessage =
  { readonly type: 'result'; readonly result: LoadResult } | { readonly type: 'error'; readonly message: string };
