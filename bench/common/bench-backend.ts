// The backend side of a bench: a generated config directory (one FFE_FLAGS config plus standard products) served by
// the backend simulator in this process, with a set round-trip latency.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startBackendSimulator, type BackendSimulator } from '../../src/backend/index.js';
import { BenchError } from '../error.js';

export const BENCH_ORG_ID = 2;
export const FFE_PRODUCT = 'FFE_FLAGS';

/** What dd-trace-js 5.132 asks for with FFE over RC (PROTOCOL.md §3.3). */
export const TRACER_PRODUCTS: readonly string[] = [
  'APM_TRACING',
  'AGENT_CONFIG',
  'AGENT_TASK',
  'ASM_FEATURES',
  'FFE_FLAGS',
];

/** Benign for a real dd-trace process: sampling stays 1, AppSec stays off, flags are plain. */
const BENCH_CONFIGS: ReadonlyArray<{ product: string; id: string; body: unknown }> = [
  {
    product: 'FFE_FLAGS',
    id: 'ffe-bench',
    body: {
      createdAt: '2026-01-01T00:00:00.000Z',
      format: 'SERVER',
      environment: { name: 'bench' },
      flags: {
        'bench-flag': {
          key: 'bench-flag',
          enabled: true,
          variationType: 'BOOLEAN',
          variations: { on: { key: 'on', value: true }, off: { key: 'off', value: false } },
          allocations: [{ key: 'everyone', splits: [{ variationKey: 'on', shards: [] }], doLog: false }],
        },
      },
    },
  },
  {
    product: 'APM_TRACING',
    id: 'bench-sampling',
    body: {
      id: 'bench-sampling',
      revision: 1,
      schema_version: 'v1.0.0',
      action: 'enable',
      service_target: { service: '*', env: '*' },
      lib_config: {
        library_language: 'all',
        library_version: 'latest',
        service_name: '*',
        env: '*',
        tracing_sampling_rate: 1,
      },
      sdk_config: { config: { DD_TRACE_SAMPLE_RATE: '1' } },
    },
  },
  { product: 'ASM_FEATURES', id: 'bench-asm', body: { asm: { enabled: false } } },
];

export interface BenchConfigs {
  readonly dir: string;
  /** RC paths of every config, `datadog/2/<PRODUCT>/<id>/config`. */
  readonly paths: readonly string[];
}

export function writeBenchConfigs(dir: string): BenchConfigs {
  const paths: string[] = [];
  for (const c of BENCH_CONFIGS) {
    const configDir = join(dir, c.product, c.id);
    mkdirSync(configDir, { recursive: true });
    writeFileSync(join(configDir, 'config'), JSON.stringify(c.body));
    paths.push(`datadog/${BENCH_ORG_ID}/${c.product}/${c.id}/config`);
  }
  return { dir, paths };
}

/** The configs a tracer asking for `products` should end up with (the bench configs carry no predicates). */
export function expectedPaths(configs: BenchConfigs, products: readonly string[]): string[] {
  return configs.paths.filter((p) => products.includes(p.split('/')[2] ?? ''));
}

export async function startBenchBackend(opts: {
  configsDir: string;
  stateDir: string;
  rttMs: number;
}): Promise<BackendSimulator> {
  try {
    return await startBackendSimulator({
      configsDir: opts.configsDir,
      stateDir: opts.stateDir,
      rttMs: opts.rttMs,
      orgId: BENCH_ORG_ID,
      // The configs do not change during a bench: no periodic rescans competing with the load.
      pollIntervalMs: 0,
    });
  } catch (err) {
    throw new BenchError('BACKEND_START', 'the backend simulator failed to start', { cause: err });
  }
}
