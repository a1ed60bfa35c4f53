// Redis keys of one fleet: namespaced by the cluster name and a hash of the API key, so that two fleets, or two orgs,
// sharing one Redis never read each other's rounds, asks, clients or budgets.
import { createHash } from 'node:crypto';

export interface ClusterKeys {
  /** The leader lock: `<replicaId>:<fencing token>`, with a TTL. */
  readonly leader: string;
  /** Fencing tokens: incremented on every acquisition. */
  readonly fence: string;
  /** Round IDs: incremented on every published round. */
  readonly roundSeq: string;
  /** Prefix of round records (`<roundPrefix><id>`). */
  readonly roundPrefix: string;
  /** Hash of pending asks (askId → ask). */
  readonly asks: string;
  /** Prefix of replica registrations (`<registrationPrefix><replicaId>`, with a TTL). */
  readonly registrationPrefix: string;
  /** Prefix of the fleet's bypass budgets (`<budgetPrefix><lane>`). */
  readonly budgetPrefix: string;
  /** Channel: a round was published (message: its ID). */
  readonly roundsChannel: string;
  /** Channel: a follower asked for a round (message: the ask ID). */
  readonly asksChannel: string;
}

export function clusterKeys(name: string, apiKey: string): ClusterKeys {
  const org = createHash('sha256').update(apiKey).digest('hex').slice(0, 16);
  const ns = `rc-agent:${name}:${org}:`;
  return {
    leader: `${ns}leader`,
    fence: `${ns}fence`,
    roundSeq: `${ns}round-seq`,
    roundPrefix: `${ns}round:`,
    asks: `${ns}asks`,
    registrationPrefix: `${ns}replica:`,
    budgetPrefix: `${ns}budget:`,
    roundsChannel: `${ns}rounds`,
    asksChannel: `${ns}asks-channel`,
  };
}
