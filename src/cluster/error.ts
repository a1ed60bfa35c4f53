// Errors of the cluster layer (Redis shared by replicas). None reaches a tracer: every failure degrades the replica to
// standalone polling or to fetching from the backend itself.
export type ClusterErrorCode =
  /** Redis refused, timed out or is not connected */
  | 'REDIS_UNAVAILABLE'
  /** a record read from Redis is not what a replica writes (Redis is never trusted) */
  | 'BAD_RECORD'
  /** this replica no longer holds the leader lock */
  | 'NOT_LEADER';

export class ClusterError extends Error {
  readonly code: ClusterErrorCode;

  constructor(code: ClusterErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ClusterError';
    this.code = code;
  }
}
