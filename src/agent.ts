// The composition root of `rc-agent run`: components start in dependency order (store → service → poll loop →
// listeners) and stop in reverse under one stop_timeout for the whole agent: both listeners stop accepting at once,
// in-flight requests drain, then the poll loop stops, the store closes and the logs are flushed.
import { chmodSync, mkdirSync, statSync } from 'node:fs';
import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import { embeddedRootsForSite, type AgentConfig } from './config/index.js';
import { createHttpBackendClient, createLocalSource, type BackendClient } from './backend/index.js';
import { RemoteConfigService, StateStore, createServiceMetrics } from './service/index.js';
import { buildHttpApp } from './http/index.js';
import { startGrpcServer, type GrpcServerHandle } from './grpc/index.js';
import { RC_AGENT_VERSION, UPSTREAM_AGENT_VERSION } from './version.js';

export interface RunningAgent {
  readonly httpUrl: string;
  readonly grpcAddress: string;
  readonly service: RemoteConfigService;
  stop(): Promise<void>;
}

export interface StartAgentOptions {
  readonly config: AgentConfig;
  /** Where `listening …` lines go (stdout for the CLI). */
  readonly announce?: (line: string) => void;
  readonly log?: pino.Logger;
}

export async function startAgent(options: StartAgentOptions): Promise<RunningAgent> {
  const { config } = options;
  const rc = config.remoteConfiguration;
  const log =
    options.log ?? pino({ level: config.logLevel === 'off' ? 'silent' : config.logLevel }, pino.destination(2));
  const announce = options.announce ?? ((line: string) => process.stdout.write(`${line}\n`));
  for (const warning of config.warnings) log.warn(warning);
  ensurePrivateDir(config.runPath, log);

  // components after the listeners, stopped in reverse order once the listeners have drained
  const stops: Array<() => Promise<void>> = [];
  let app: FastifyInstance | undefined;
  let grpc: GrpcServerHandle | undefined;
  const stopAll = async (deadlineMs: number): Promise<void> => {
    await drainListeners(app, grpc, deadlineMs, log);
    for (const stop of stops.reverse()) {
      try {
        await closeWithin(stop(), Math.max(0, deadlineMs - Date.now()));
      } catch (err) {
        log.error({ err }, 'error while stopping');
      }
    }
  };
  try {
    let backend: BackendClient;
    let pinnedRoots: { config: Uint8Array; director: Uint8Array };
    if (rc.useLocalSource) {
      const local = await createLocalSource({ dir: rc.localDir, orgId: rc.localOrgId, dataDir: config.runPath });
      stops.push(() => local.close());
      backend = local.client;
      pinnedRoots = local.pinnedRoots;
      log.info({ dir: rc.localDir }, 'no api_key: serving the local signed source');
    } else {
      backend = createHttpBackendClient({
        baseUrl: rc.backendUrl,
        apiKey: rc.apiKey,
        noTls: rc.noTls,
        fetchTimeoutMs: rc.fetchTimeoutMs,
      });
      stops.push(() => backend.close());
      const embedded = embeddedRootsForSite(rc.site);
      pinnedRoots = {
        config: rc.configRoot ? Buffer.from(rc.configRoot) : embedded.config,
        director: rc.directorRoot ? Buffer.from(rc.directorRoot) : embedded.director,
      };
    }

    const { store, recreated } = await StateStore.open(config.runPath, {
      agentVersion: RC_AGENT_VERSION,
      apiKey: rc.apiKey,
      backendUrl: backend.url,
    });
    stops.push(() => store.close());
    if (recreated) log.warn({ reason: recreated }, 'state store recreated');

    const metrics = createServiceMetrics({ defaultMetrics: true });
    const service = new RemoteConfigService({
      config: rc,
      hostname: config.hostname,
      agentVersion: UPSTREAM_AGENT_VERSION,
      backend,
      pinnedRoots,
      store,
      metrics,
      log,
    });
    if (rc.enabled) {
      service.start();
      stops.push(() => service.stop());
    }

    app = buildHttpApp({
      service,
      logger: log,
      enabled: rc.enabled,
      version: RC_AGENT_VERSION,
      metrics: {
        contentType: metrics.registry.contentType,
        metrics: () => {
          service.collectGauges();
          return metrics.registry.metrics();
        },
      },
    });
    const httpUrl = await app.listen({ host: config.bindHost, port: config.httpPort });
    const url = new URL(httpUrl);
    announce(`listening http http://${config.bindHost}:${url.port}`);

    grpc = await startGrpcServer({
      service,
      log,
      dataDir: config.runPath,
      host: config.bindHost,
      port: config.grpcPort,
    });
    announce(`listening grpc ${grpc.address}`);

    return {
      httpUrl: `http://${config.bindHost}:${url.port}`,
      grpcAddress: grpc.address,
      service,
      stop: async () => {
        await stopAll(Date.now() + config.stopTimeoutMs);
        log.info('stopped');
        log.flush();
      },
    };
  } catch (err) {
    await stopAll(Date.now() + config.stopTimeoutMs);
    throw err;
  }
}

/**
 * Both listeners stop accepting in the same tick and drain against one deadline; what is still open then is cut
 * (gRPC's stop forces its own at the same deadline).
 */
async function drainListeners(
  app: FastifyInstance | undefined,
  grpc: GrpcServerHandle | undefined,
  deadlineMs: number,
  log: pino.Logger,
): Promise<void> {
  const graceMs = Math.max(0, deadlineMs - Date.now());
  const closing = Promise.allSettled([app?.close(), grpc?.stop(graceMs)]);
  if (!(await closeWithin(closing, graceMs))) {
    log.warn({ stopTimeoutMs: graceMs }, 'stop_timeout reached: closing the connections still open');
    app?.server.closeAllConnections();
    await closeWithin(closing, 100);
  }
}

/** run_path holds the auth token, the IPC key and the store: owner only. */
function ensurePrivateDir(dir: string, log: pino.Logger): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const mode = statSync(dir).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    chmodSync(dir, 0o700);
    log.warn({ dir, mode: mode.toString(8) }, 'run_path was accessible to other users: changed to 0700');
  }
}

/** True if `closing` settled within `ms`; the timer never keeps the process alive. */
async function closeWithin(closing: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const finished = await Promise.race([
    closing.then(() => true),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
      timer.unref();
    }),
  ]);
  clearTimeout(timer);
  return finished;
}
