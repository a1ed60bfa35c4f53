// The composition root of `rc-agent run`: components start in dependency order (store → service → poll loop →
// listeners) and stop in reverse (stop accepting → drain in-flight requests within stop_timeout → stop the poll
// loop → flush logs → close the store).
import { mkdirSync } from 'node:fs';
import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import { embeddedRootsForSite, type AgentConfig } from './config/index.js';
import { createHttpBackendClient, createLocalSource, type BackendClient } from './backend/index.js';
import { RemoteConfigService, StateStore, createServiceMetrics } from './service/index.js';
import { buildHttpApp } from './http/index.js';
import { Cluster } from './cluster/index.js';
import { startGrpcServer } from './grpc/index.js';
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
  mkdirSync(config.runPath, { recursive: true });

  const stops: Array<() => Promise<void>> = [];
  const stopAll = async (): Promise<void> => {
    for (const stop of stops.reverse()) {
      try {
        await stop();
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
    // Replicas on Redis (src/cluster), only when remote_configuration.cluster.redis_url is set: the cluster wraps the
    // backend and supplies fleet-wide bypass budgets; it stops after the service (its poll loop uses it).
    const cluster =
      rc.enabled && rc.cluster.redisUrl !== ''
        ? new Cluster({
            config: rc.cluster,
            apiKey: rc.apiKey,
            backend,
            budgets: {
              fast: rc.fastLane.cacheBypassLimit,
              standard: rc.cacheBypassLimit,
              refillIntervalMs: rc.refreshIntervalMs,
            },
            clientsTtlMs: rc.clientsTtlMs,
            registry: metrics.registry,
            log,
          })
        : undefined;
    if (cluster) stops.push(() => cluster.stop());
    const service = new RemoteConfigService({
      config: rc,
      hostname: config.hostname,
      agentVersion: UPSTREAM_AGENT_VERSION,
      backend: cluster?.backend ?? backend,
      pinnedRoots,
      store,
      metrics,
      log,
      ...(cluster ? { budgets: cluster.budgets, cluster } : {}),
    });
    if (rc.enabled) {
      cluster?.attach(service);
      cluster?.start();
      service.start();
      stops.push(() => service.stop());
    }

    const app: FastifyInstance = buildHttpApp({
      service,
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
    stops.push(() => closeWithin(app.close(), config.stopTimeoutMs));
    const url = new URL(httpUrl);
    announce(`listening http http://${config.bindHost}:${url.port}`);

    const grpc = await startGrpcServer({
      service,
      dataDir: config.runPath,
      host: config.bindHost,
      port: config.grpcPort,
    });
    stops.push(() => grpc.stop(config.stopTimeoutMs));
    announce(`listening grpc ${grpc.address}`);

    return {
      httpUrl: `http://${config.bindHost}:${url.port}`,
      grpcAddress: grpc.address,
      service,
      stop: async () => {
        await stopAll();
        log.flush();
      },
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

async function closeWithin(closing: Promise<unknown>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([closing, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}
