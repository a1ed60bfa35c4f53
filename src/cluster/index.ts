// Several rc-agent replicas as one through Redis (README "Replicas on Redis"): leader election, one backend call per
// round, fleet-wide bypass budgets, and every byte read from Redis verified by each replica before it is served.
export { Cluster } from './cluster.js';
