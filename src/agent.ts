// The composition root of `rc-agent run`: components start in dependency order (store → service → poll loop →
// listeners) and stop in reverse (stop accepting → drain in-flight requests within stop_timeout → stop the poll
// loop → flush logs → close the store).
import { mkdirSync } from 'node:fs';
import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import {
  embeddedRootsForSite,
  type AgentConfig,
  type LoadConfigOptions,
  type ResolvedSetting,
} from './config/index.js';
import { startConfigStream, type ConfigStreamRuntime } from './configstream/index.js';
import { createHttpBackendClient, createLocalSource, type BackendClient } from './backend/index.js';
import { RemoteConfigService, StateStore, createServiceMetrics, type RcService } from './service/index.js';
import { buildHttpApp } from './http/index.js';
import { startGrpcServer } from './grpc/index.js';
import { RC_AGENT_VERSION, UPSTREAM_AGENT_VERSION } from './version.js';

export interface RunningAgent {
  readonly httpUrl: string;
  readonly grpcAddress: string;
  readonly service: RemoteConfigService;
  readonly configStream: ConfigStreamRuntime | undefined;
  stop(): Promise<void>;
}

export interface StartAgentOptions {
  readonly config: AgentConfig;
  /** Where `listening …` lines go (stdout for the CLI). */
  readonly announce?: (line: string) => void;
  readonly log?: pino.Logger;
  /** Config stream: how the config was loaded (reloaded on SIGHUP / file change) and each setting's source. */
  readonly configStream?: {
    readonly load: Omit<LoadConfigOptions, 'onResolved' | 'onFileDocument'>;
    readonly settings: ReadonlyMap<string, ResolvedSetting>;
    /** SIGHUP handler and file watch (default true) */
    readonly watch?: boolean;
  };
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

    // --- config stream (issue 10): registry + StreamConfigEvents, fed by the live configuration ---
    let configStream: ConfigStreamRuntime | undefined;
    if (options.configStream) {
      configStream = startConfigStream({
        load: options.configStream.load,
        settings: options.configStream.settings,
        runPath: config.runPath,
        service: rc.enabled ? service : undefined,
        agentVersion: RC_AGENT_VERSION,
        log,
        setLogLevel: (level) => {
          log.info({ level }, 'changing the log level');
          log.level = level === 'off' ? 'silent' : level;
        },
        metricsRegistry: metrics.registry,
        watch: options.configStream.watch,
      });
      const runtime = configStream;
      stops.push(() => runtime.stop());
    }
    const stream = configStream;
    const statusSource: RcService = stream
      ? {
          clientGetConfigs: (request, ctx) => service.clientGetConfigs(request, ctx),
          getConfigState: () => service.getConfigState(),
          resetConfigState: () => service.resetConfigState(),
          isReady: () => service.isReady(),
          status: () => ({ ...service.status(), configStream: stream.status() }),
        }
      : service;
    // --- end config stream ---

    const app: FastifyInstance = buildHttpApp({
      service: statusSource,
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
      ...(configStream ? { remoteAgents: configStream.handlers } : {}),
    });
    stops.push(() => grpc.stop(config.stopTimeoutMs));
    // config stream: streams never end by themselves; end them before the graceful gRPC stop (stops run reversed)
    if (stream) stops.push(async () => stream.closeStreams());
    announce(`listening grpc ${grpc.address}`);

    return {
      httpUrl: `http://${config.bindHost}:${url.port}`,
      grpcAddress: grpc.address,
      service,
      configStream,
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
