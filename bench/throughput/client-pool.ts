// The request bodies of the throughput bench: distinct tracer clients that already polled the agent (so they are
// known and active: no bypass), each in its steady state, plus the same clients with no cached files.
import { Agent } from 'undici';
import { RcClient } from '../../src/client/index.js';
import { BenchError } from '../error.js';
import type { Variant } from './throughput-types.js';

export interface ClientPool {
  readonly bodies: Readonly<Record<Variant, readonly string[]>>;
}

const WARM_CONCURRENCY = 64;
const WARM_ROUNDS = 3;

/** A steady-state body with its cache emptied: targets_version 0, no config states, no cached files. */
export function withoutCache(steadyBody: string): string {
  const body = JSON.parse(steadyBody) as {
    client: { state: { targets_version: number; config_states: unknown[]; backend_client_state: string } };
    cached_target_files: unknown[];
  };
  body.client.state.targets_version = 0;
  body.client.state.config_states = [];
  body.client.state.backend_client_state = '';
  body.cached_target_files = [];
  return JSON.stringify(body);
}

export async function buildClientPool(opts: {
  agentUrl: string;
  clients: number;
  products: readonly string[];
  expectedPaths: readonly string[];
}): Promise<ClientPool> {
  const dispatcher = new Agent({ connections: WARM_CONCURRENCY });
  try {
    const clients = Array.from(
      { length: opts.clients },
      (_v, i) =>
        new RcClient({
          agentUrl: opts.agentUrl,
          products: opts.products,
          service: `bench-svc-${i % 100}`,
          env: 'bench',
          appVersion: '1.0.0',
          dispatcher,
          // Generous: warm-up polls of new clients may wait for a bypass refresh.
          requestTimeoutMs: 10_000,
        }),
    );
    const held = clients.map(() => new Set<string>());
    clients.forEach((c, i) => c.on('apply', (change) => held[i]!.add(change.path)));
    const complete = (i: number): boolean => opts.expectedPaths.every((p) => held[i]!.has(p));
    // A client that polled before the agent fetched its products gets them on a later poll.
    for (let round = 0; round < WARM_ROUNDS; round++) {
      const pending = clients.map((_c, i) => i).filter((i) => round === 0 || !complete(i));
      if (pending.length === 0) break;
      let next = 0;
      await Promise.all(
        Array.from({ length: WARM_CONCURRENCY }, async () => {
          while (next < pending.length) await clients[pending[next++]!]!.pollOnce();
        }),
      );
    }
    const missing = clients.filter((_c, i) => !complete(i)).length;
    if (missing > 0) {
      throw new BenchError('LOAD_GENERATOR', `${missing}/${opts.clients} warm-up clients never got every config`);
    }
    const steady = clients.map((c) => c.requestBody('main'));
    return { bodies: { steady, full: steady.map(withoutCache) } };
  } finally {
    await dispatcher.close();
  }
}
