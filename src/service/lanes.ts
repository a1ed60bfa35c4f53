// Request classification (DESIGN.md "Fast lane"): a request gets fast-lane rules when the fast lane is enabled and it
// asks for at least one fast-lane product — including the bundled requests every tracer sends today, so unchanged
// tracers benefit. Its fast-lane products decide its wait (rc-service.ts). Agent clients and requests with no
// fast-lane product are standard.
import type { IClient } from '../proto/index.js';

export type Lane = 'fast' | 'standard';

export interface LaneClassifier {
  classify(client: IClient): Lane;
}

export function createLaneClassifier(options: { enabled: boolean; products: readonly string[] }): LaneClassifier {
  const fastProducts = new Set(options.products);
  return {
    classify(client) {
      if (!options.enabled || client.isAgent) return 'standard';
      for (const p of client.products ?? []) if (fastProducts.has(p)) return 'fast';
      return 'standard';
    },
  };
}
