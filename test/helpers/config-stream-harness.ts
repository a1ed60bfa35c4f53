// A config stream served over real gRPC on loopback (TLS + bearer token) with fake time for sessions/reconnects.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { loadConfigWithSources } from '../../src/config/index.js';
import { type ConfigKey } from '../../src/config/schema.js';
import { startConfigStream, type ConfigStreamRuntime } from '../../src/configstream/index.js';
import { createRemoteAgentClient, type RemoteAgentClient } from '../../src/configstream/client.js';
import { type LogLevel } from '../../src/configstream/live-config.js';
import { startGrpcServer, type GrpcServerHandle } from '../../src/grpc/index.js';
import { loadOrCreateCredentials } from '../../src/grpc/credentials.js';
import { silentLogger, type RcService } from '../../src/service/index.js';
import { FakeClock } from './fake-clock.js';
import { FakeService } from './fake-service.js';

export interface StreamHarness {
  readonly dir: string;
  readonly file: string;
  readonly clock: FakeClock;
  readonly runtime: ConfigStreamRuntime;
  readonly server: GrpcServerHandle;
  readonly registry: Registry;
  readonly levels: LogLevel[];
  readonly creds: { token: string; certPem: string };
  /** a client on its own connection */
  client(token?: string): RemoteAgentClient;
  stop(): Promise<void>;
}

interface TestLike {
  teardown(fn: () => unknown): void;
}

export async function startStreamHarness(
  t: TestLike,
  opts: {
    dir: string;
    yaml?: string;
    env?: Record<string, string>;
    overrides?: Partial<Record<ConfigKey, unknown>>;
    clock?: FakeClock;
    service?: Pick<RcService, 'clientGetConfigs'>;
    subscriberBuffer?: number;
    port?: number;
  },
): Promise<StreamHarness> {
  const file = join(opts.dir, 'datadog.yaml');
  if (opts.yaml !== undefined) writeFileSync(file, opts.yaml);
  const load = { file, env: opts.env ?? {}, overrides: { run_path: opts.dir, ...opts.overrides } };
  const { settings } = loadConfigWithSources(load);
  const clock = opts.clock ?? new FakeClock();
  const registry = new Registry();
  const levels: LogLevel[] = [];
  const runtime = startConfigStream({
    load,
    settings,
    runPath: opts.dir,
    service: opts.service,
    agentVersion: 'test',
    log: silentLogger,
    setLogLevel: (l) => levels.push(l),
    metricsRegistry: registry,
    clock,
    watch: false,
    subscriberBuffer: opts.subscriberBuffer,
  });
  const server = await startGrpcServer({
    service: new FakeService(),
    dataDir: opts.dir,
    host: '127.0.0.1',
    port: opts.port ?? 0,
    remoteAgents: runtime.handlers,
  });
  const creds = await loadOrCreateCredentials(opts.dir);
  const clients: RemoteAgentClient[] = [];
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    for (const c of clients) c.close();
    await runtime.stop();
    await server.stop(0);
  };
  t.teardown(stop);
  return {
    dir: opts.dir,
    file,
    clock,
    runtime,
    server,
    registry,
    levels,
    creds,
    client: (token = creds.token) => {
      const c = createRemoteAgentClient(
        server.address,
        { token, certPem: creds.certPem },
        { 'grpc.use_local_subchannel_pool': 1 },
      );
      clients.push(c);
      return c;
    },
    stop,
  };
}

/** Advances fake time step by step until `cond` holds, letting real I/O run between steps. */
export async function advanceUntil(
  clock: { advance(ms: number): Promise<void> },
  cond: () => boolean,
  what: string,
  stepMs = 1000,
  maxSteps = 60,
): Promise<void> {
  for (let i = 0; i < maxSteps; i++) {
    if (cond()) return;
    await clock.advance(stepMs);
    for (let j = 0; j < 20 && !cond(); j++) await new Promise((resolve) => setTimeout(resolve, 5));
  }
  if (!cond()) throw new Error(`timed out waiting for ${what}`);
}
