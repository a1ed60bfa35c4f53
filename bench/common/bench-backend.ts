// The backend side of a bench: a generated config directory (one FFE_FLAGS config plus standard products) served by
// the backend simulator in this process, with a set round-trip latency.
import { createHash } from 'node:crypto';
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
/** The bench's FFE_FLAGS document; each revision differs (the herd's `changed` timing swaps revisions). */
export function ffeDocument(revision: number): string {
  return JSON.stringify({
    createdAt: new Date(Date.UTC(2026, 0, 1) + revision * 1000).toISOString(),
    format: 'SERVER',
    environment: { name: 'bench' },
    flags: {
      'bench-flag': {
        key: 'bench-flag',
        enabled: true,
        variationType: 'BOOLEAN',
        variations: { on: { key: 'on', value: true }, off: { key: 'off', value: false } },
        allocations: [
          { key: 'everyone', splits: [{ variationKey: revision % 2 === 0 ? 'on' : 'off', shards: [] }], doLog: false },
        ],
      },
    },
  });
}

const FFE_CONFIG_ID = 'ffe-bench';

const BENCH_CONFIGS: ReadonlyArray<{ product: string; id: string; body: unknown }> = [
  { product: FFE_PRODUCT, id: FFE_CONFIG_ID, body: JSON.parse(ffeDocument(0)) },
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
  /** RC path of the FFE_FLAGS config. */
  readonly ffePath: string;
  /** sha256 (hex) of the FFE_FLAGS file as written. */
  readonly ffeSha256: string;
}

/** Replaces the FFE_FLAGS document with `revision`; returns its sha256. The backend publishes it on rescan. */
export function writeFfeRevision(configs: BenchConfigs, revision: number): string {
  const text = ffeDocument(revision);
  writeFileSync(join(configs.dir, FFE_PRODUCT, FFE_CONFIG_ID, 'config'), text);
  return sha256Hex(text);
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export function writeBenchConfigs(dir: string): BenchConfigs {
  const paths: string[] = [];
  let ffeSha256 = '';
  for (const c of BENCH_CONFIGS) {
    const configDir = join(dir, c.product, c.id);
    mkdirSync(configDir, { recursive: true });
    const text = JSON.stringify(c.body);
    writeFileSync(join(configDir, 'config'), text);
    paths.push(`datadog/${BENCH_ORG_ID}/${c.product}/${c.id}/config`);
    if (c.product === FFE_PRODUCT) ffeSha256 = sha256Hex(text);
  }
  return { dir, paths, ffePath: `datadog/${BENCH_ORG_ID}/${FFE_PRODUCT}/${FFE_CONFIG_ID}/config`, ffeSha256 };
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
