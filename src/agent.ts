// The composition root of `rc-agent run`: components start in dependency order (store → service → poll loop →
// listeners) and stop in reverse (stop accepting → drain in-flight requests within stop_timeout → stop the poll
// loop → flush logs → close the store).
import { mkdirSync } from 'node:fs';
import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import {
  embeddedRootsForSite,
  watchConfigFile,
  type AgentConfig,
  type LoadConfigOptions,
  type ResolvedSetting,
} from './config/index.js';
import { startConfigStream, type ConfigStreamRuntime } from './configstream/index.js';
import {
  createHttpBackendClient,
  createLocalSource,
  loadOrCreateAgentUuid,
  type BackendClient,
  type HttpBackendClient,
} from './backend/index.js';
import {
  RemoteConfigService,
  StateStore,
  createServiceMetrics,
  upstreamIdentityFromConfig,
  type RcService,
} from './service/index.js';
import { buildHttpApp, createContainerTagSource, httpListenOptions } from './http/index.js';
import { Cluster } from './cluster/index.js';
import { startGrpcServer } from './grpc/index.js';
import { RC_AGENT_VERSION } from './version.js';

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
  /** How to read the configuration again: a changed api_key (file edit or SIGHUP) is used without a restart. */
  readonly reload?: {
    /** datadog.yaml, watched for changes; absent = SIGHUP only */
    readonly file?: string;
    readonly load: () => AgentConfig;
    /** reload on SIGHUP (the CLI); default false so embedding processes keep their own handlers */
    readonly sighup?: boolean;
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
    let httpBackend: HttpBackendClient | undefined;
    let pinnedRoots: { config: Uint8Array; director: Uint8Array };
    // An edit of the local source's directory is published at once, not at the next poll.
    const created: { service?: RemoteConfigService } = {};
    let sourceWarnings: (() => readonly string[]) | undefined;
    if (rc.useLocalSource) {
      const local = await createLocalSource({
        dir: rc.localDir,
        orgId: rc.localOrgId,
        dataDir: config.runPath,
        log: (line) => log.info(line),
        onChange: () => created.service?.refreshSoon(),
      });
      sourceWarnings = () => local.warnings();
      stops.push(() => local.close());
      backend = local.client;
      pinnedRoots = local.pinnedRoots;
      log.info({ dir: rc.localDir }, 'no api_key: serving the local signed source');
    } else {
      httpBackend = createHttpBackendClient({
        baseUrl: rc.backendUrl,
        apiKey: rc.apiKey,
        appKey: rc.rcKey?.appKey,
        noTls: rc.noTls,
        fetchTimeoutMs: rc.fetchTimeoutMs,
        proxy: rc.proxy,
        tls: rc.tls,
      });
      backend = httpBackend;
      stops.push(() => backend.close());
      log.info(
        {
          backend: rc.backendUrl,
          proxy: httpBackend.proxyUrl ?? 'none',
          agentVersion: rc.upstreamAgentVersion,
          rcKeyOrgId: rc.rcKey?.orgId,
        },
        'polling the Datadog backend',
      );
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
      agentUuid: loadOrCreateAgentUuid(config.runPath),
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
      agentVersion: rc.upstreamAgentVersion,
      // hostname, agent version, trace_agent_env and host tags as the reference fills them
      identity: upstreamIdentityFromConfig(config),
      backend: cluster?.backend ?? backend,
      pinnedRoots,
      store,
      metrics,
      log,
      ...(sourceWarnings ? { sourceWarnings } : {}),
      ...(cluster ? { budgets: cluster.budgets, cluster } : {}),
    });
    created.service = service;
    if (rc.enabled) {
      cluster?.attach(service);
      cluster?.start();
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

    const containers = createContainerTagSource({
      file: config.containerTagsFile || undefined,
      cgroupRoot: config.containerCgroupRoot,
    });
    const app: FastifyInstance = buildHttpApp({
      service: statusSource,
      enabled: rc.enabled,
      containerTags: (id) => containers.tags(id),
      containerId: (headers) => containers.containerIdFromHeaders(headers),
      version: RC_AGENT_VERSION,
      metrics: {
        contentType: metrics.registry.contentType,
        metrics: () => {
          service.collectGauges();
          return metrics.registry.metrics();
        },
      },
    });
    const httpUrl = await app.listen(httpListenOptions(config.bindHost, config.httpPort));
    stops.push(() => closeWithin(app.close(), config.stopTimeoutMs));
    const url = new URL(httpUrl);
    announce(`listening http http://${config.bindHost}:${url.port}`);

    const grpc = await startGrpcServer({
      service,
      dataDir: config.runPath,
      host: config.bindHost,
      port: config.grpcPort,
      enabled: rc.enabled,
      ...(configStream ? { remoteAgents: configStream.handlers } : {}),
    });
    stops.push(() => grpc.stop(config.stopTimeoutMs));
    // config stream: streams never end by themselves; end them before the graceful gRPC stop (stops run reversed)
    if (stream) stops.push(async () => stream.closeStreams());
    announce(`listening grpc ${grpc.address}`);

    if (options.reload) {
      stops.push(startApiKeyRotation({ reload: options.reload, initial: config, httpBackend, store, service, log }));
    }

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

/**
 * API key rotation without restart (reference `apiKeyUpdateCallback`): the backend client uses the new key from its
 * next request and serving goes on from the verified snapshot. The store is not rebuilt now; like the reference,
 * it is rebuilt at the next start because the stored key hash differs. The org behind the new key is checked.
 */
function startApiKeyRotation(opts: {
  readonly reload: NonNullable<StartAgentOptions['reload']>;
  readonly initial: AgentConfig;
  readonly httpBackend: HttpBackendClient | undefined;
  readonly store: StateStore;
  readonly service: RemoteConfigService;
  readonly log: pino.Logger;
}): () => Promise<void> {
  const { httpBackend, log } = opts;
  let currentKey = opts.initial.remoteConfiguration.apiKey;
  const onReload = async (next: AgentConfig): Promise<void> => {
    const key = next.remoteConfiguration.apiKey;
    if (key === currentKey) return;
    if (httpBackend === undefined || key === '') {
      log.warn('api_key changed between the local signed source and a backend: restart rc-agent to switch');
      return;
    }
    httpBackend.setApiKey(key);
    currentKey = key;
    log.info('api_key changed: used from the next backend request');
    const stored = opts.store.orgUuid(opts.service.status().versions.configRoot);
    if (stored === undefined) return;
    try {
      const uuid = await httpBackend.fetchOrgUuid();
      if (uuid !== stored) log.error('Error switching API key: new API key is from a different organization');
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'could not get the org UUID of the new api_key');
    }
  };
  const watcher = watchConfigFile({
    file: opts.reload.file,
    load: opts.reload.load,
    onReload,
    onError: (err) => log.warn({ err: (err as Error).message }, 'configuration not reloaded'),
  });
  const onHangup = (): void => {
    log.info('SIGHUP: reloading the configuration');
    void watcher.reload();
  };
  if (opts.reload.sighup === true) process.on('SIGHUP', onHangup);
  return async () => {
    process.off('SIGHUP', onHangup);
    watcher.close();
  };
}
