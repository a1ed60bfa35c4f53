// Errors of the benchmarks. Codes say which part of a run failed; `cause` keeps the original error.
export type BenchErrorCode =
  /** a command-line option is out of range or inconsistent */
  | 'INVALID_OPTION'
  /** the agent child did not print its `listening …` lines, or exited early */
  | 'AGENT_START'
  /** the agent never reported ready (`/readyz`) */
  | 'AGENT_NOT_READY'
  /** the backend simulator failed to start */
  | 'BACKEND_START'
  /** the Redis a replica fleet shares (`bench herd --replicas N`) did not start */
  | 'REDIS_START'
  /** a load-generator worker or child failed */
  | 'LOAD_GENERATOR'
  /** `/metrics` could not be read or parsed */
  | 'METRICS'
  /** writing results or the report failed */
  | 'REPORT';

export const BENCH_ERROR_CODES: readonly BenchErrorCode[] = [
  'INVALID_OPTION',
  'AGENT_START',
  'AGENT_NOT_READY',
  'BACKEND_START',
  'REDIS_START',
  'LOAD_GENERATOR',
  'METRICS',
  'REPORT',
];

export class BenchError extends Error {
  override readonly name = 'BenchError';
  constructor(
    readonly code: BenchErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
