// Errors of the cluster layer (Redis shared by replicas). None reaches a tracer: every failure degrades the replica to
// standalone polling or to fetching from the backend itself.
import { CodedError, type ErrorCodeDocs } from '../errors/index.js';

export const CLUSTER_ERROR_DOCS = {
  REDIS_UNAVAILABLE: 'Redis refused, timed out or is not connected',
  BAD_RECORD: 'a record read from Redis is not what a replica writes (Redis is never trusted)',
  NOT_LEADER: 'this replica no longer holds the leader lock',
} as const satisfies ErrorCodeDocs<string>;

export type ClusterErrorCode = keyof typeof CLUSTER_ERROR_DOCS;

export class ClusterError extends CodedError<ClusterErrorCode> {
  override readonly name = 'ClusterError';
}
