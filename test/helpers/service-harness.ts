// Builds a RemoteConfigService on fake time, a real lmdb store in a temp dir and the in-process signed backend.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/index.js';
import { type ConfigKey } from '../../src/config/schema.js';
import { RemoteConfigService, StateStore, type RequestContext } from '../../src/service/index.js';
import type { RemoteConfigServiceOptions } from '../../src/service/rc-service.js';
import type { IClientGetConfigsRequest, IClientGetConfigsResponse, ITargetFileMeta } from '../../src/proto/index.js';
import type { SignerFile } from '../../src/backend/signer/repository-signer.js';
import { FakeClock } from './fake-clock.js';
import { SignedTestBackend } from './signed-backend.js';

export interface Harness {
  readonly clock: FakeClock;
  readonly backend: SignedTestBackend;
  readonly service: RemoteConfigService;
  readonly store: StateStore;
  readonly dataDir: string;
  close(): Promise<void>;
}

export interface HarnessOptions {
  readonly files: SignerFile[];
  readonly latencyMs?: number;
  readonly config?: Partial<Record<ConfigKey, unknown>>;
  readonly dataDir?: string;
  readonly clock?: FakeClock;
  readonly backend?: SignedTestBackend;
  /** Start the poll loop and let the initial refresh finish (default true). */
  readonly start?: boolean;
  /** A cluster replica's view (status, and how old the rounds it uses are), as src/cluster gives it. */
  readonly cluster?: RemoteConfigServiceOptions['cluster'];
}

export async function createHarness(
  t: { teardown(fn: () => unknown): void },
  options: HarnessOptions,
): Promise<Harness> {
  const clock = options.clock ?? new FakeClock();
  const backend = options.backend ?? new SignedTestBackend(clock, options.files, { latencyMs: options.latencyMs });
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'rc-agent-test-'));
  const config = loadConfig({ env: {}, overrides: { run_path: dataDir, ...options.config } });
  const { store } = await StateStore.open(dataDir, { agentVersion: 'test', apiKey: '', backendUrl: backend.url });
  clock.trackMethods(store); // lmdb writes are real I/O: fake time waits for them
  const service = new RemoteConfigService({
    config: config.remoteConfiguration,
    hostname: 'test-host',
    agentVersion: '7.72.0',
    backend,
    pinnedRoots: backend.pinnedRoots,
    store,
    clock,
    random: () => 0.5,
    ...(options.cluster ? { cluster: options.cluster } : {}),
  });
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await service.stop();
    await store.close();
    if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
  };
  t.teardown(close);
  if (options.start !== false) {
    service.start();
    // The first refresh also writes the org UUID and the state to lmdb (real I/O): step until it published.
    for (let i = 0; i < 20 && !service.isReady(); i++) await clock.advance((options.latencyMs ?? 0) + 1);
    if (!service.isReady()) throw new Error('harness: the service was not ready after its first refresh (20 steps)');
  }
  return { clock, backend, service, store, dataDir, close };
}

let seq = 0;

export function tracerRequest(options: {
  id?: string;
  products: string[];
  service?: string;
  env?: string;
  tracerVersion?: string;
  targetsVersion?: number;
  rootVersion?: number;
  cached?: ITargetFileMeta[];
}): IClientGetConfigsRequest {
  const n = ++seq;
  return {
    client: {
      state: { rootVersion: options.rootVersion ?? 1, targetsVersion: options.targetsVersion ?? 0 },
      id: options.id ?? `client-${n}`,
      products: options.products,
      isTracer: true,
      clientTracer: {
        runtimeId: `runtime-${options.id ?? n}`,
        language: 'node',
        tracerVersion: options.tracerVersion ?? '5.132.0',
        service: options.service ?? 'checkout',
        env: options.env ?? 'dev',
      },
    },
    cachedTargetFiles: options.cached ?? [],
  };
}

export function ctx(signal: AbortSignal = new AbortController().signal): RequestContext {
  return { signal, transport: 'http' };
}

/** The paths of a reply's target files. */
export const paths = (r: IClientGetConfigsResponse): string[] => (r.targetFiles ?? []).map((f) => f.path ?? '');

/** Starts a request and records when (on the fake clock) it was answered. */
export function timed(h: Harness, promise: Promise<IClientGetConfigsResponse>) {
  const start = h.clock.now();
  const out: { reply?: IClientGetConfigsResponse; error?: unknown; ms?: number } = {};
  promise.then(
    (reply) => Object.assign(out, { reply, ms: h.clock.now() - start }),
    (error: unknown) => Object.assign(out, { error, ms: h.clock.now() - start }),
  );
  return out;
}
