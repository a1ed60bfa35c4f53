// Request classification (DESIGN.md "Fast lane"): fast lane when the fast lane is enabled and every product the
// request asks for is a fast-lane product. Agent clients and requests with no products are standard.
import type { IClient } from '../proto/index.js';

export type Lane = 'fast' | 'standard';
export const LANES: readonly Lane[] = ['fast', 'standard'];

export interface LaneClassifier {
  classify(client: IClient): Lane;
}

export function createLaneClassifier(options: { enabled: boolean; products: readonly string[] }): LaneClassifier {
  const fastProducts = new Set(options.products);
  return {
    classify(client) {
      if (!options.enabled || client.isAgent) return 'standard';
      const products = client.products ?? [];
      if (products.length === 0) return 'standard';
      for (const p of products) if (!fastProducts.has(p)) return 'standard';
      return 'fast';
    },
  };
}
