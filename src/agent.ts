// The composition root of `rc-agent run`: components start in dependency order (store → service → poll loop →
// listeners) and stop in reverse under one stop_timeout for the whole agent: both listeners stop accepting at once,
// in-flight requests drain, then the poll loop stops, the store closes and the logs are flushed.
import { chmodSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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
import {
  buildHttpApp,
  createContainerTagSource,
  httpListenOptions,
  maxConnectionsFor,
  openFileLimit,
} from './http/index.js';
import { Cluster } from './cluster/index.js';
import { GrpcSetupError, startGrpcServer, type GrpcServerHandle } from './grpc/index.js';
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
  const log = options.log ?? createLogger(config);
  const announce = options.announce ?? ((line: string) => process.stdout.write(`${line}\n`));
  for (const warning of config.warnings) log.warn(warning);
  ensurePrivateDir(config.runPath, log);
  // Two agents on one run_path would share the store and the signing keys: the second one refuses to start.
  const releaseLock = lockRunPath(config.runPath);

  // components after the listeners, stopped in reverse order once the listeners have drained
  const stops: Array<() => Promise<void>> = [];
  let app: FastifyInstance | undefined;
  let grpc: GrpcServerHandle | undefined;
  let configStream: ConfigStreamRuntime | undefined;
  const stopAll = async (deadlineMs: number): Promise<void> => {
    try {
      await stopComponents(deadlineMs);
    } finally {
      releaseLock();
    }
  };
  const stopComponents = async (deadlineMs: number): Promise<void> => {
    // config streams never end by themselves: end them first, so the gRPC drain does not wait for them
    configStream?.closeStreams();
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
      service.start();
      stops.push(() => service.stop());
      stops.push(logBypassSummary(service, log));
      cluster?.attach(service);
      cluster?.start();
    }

    // Config stream (issue 10): registry + StreamConfigEvents, fed by the live configuration.
    if (options.configStream) {
      const runtime = startConfigStream({
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
      configStream = runtime;
      stops.push(() => runtime.stop());
    }
    const stream = configStream;
    const statusSource: RcService = stream
      ? {
          clientGetConfigs: (request, ctx) => service.clientGetConfigs(request, ctx),
          getConfigState: () => service.getConfigState(),
          resetConfigState: () => service.resetConfigState(),
          isReady: () => service.isReady(),
          readyDetails: () => service.readyDetails(),
          status: () => ({ ...service.status(), configStream: stream.status() }),
        }
      : service;

    const containers = createContainerTagSource({
      file: config.containerTagsFile || undefined,
      cgroupRoot: config.containerCgroupRoot,
    });
    // Each tracer holds a connection (two for a client with a separate fast lane): the cap says how many fit.
    const fileLimit = openFileLimit();
    const maxConnections = maxConnectionsFor(fileLimit);
    app = buildHttpApp({
      service: statusSource,
      logger: log,
      limits: { maxConnections },
      enabled: rc.enabled,
      // without any container tags, requests skip reading the container headers
      ...(containers.empty
        ? {}
        : {
            containerTags: (id) => containers.tags(id),
            containerId: (headers) => containers.containerIdFromHeaders(headers),
          }),
      version: RC_AGENT_VERSION,
      metrics: {
        contentType: metrics.registry.contentType,
        metrics: () => {
          service.collectGauges();
          return metrics.registry.metrics();
        },
      },
    });
    const httpUrl = await app.listen(httpListenOptions(config.bindHost, config.httpPort)).catch((err: unknown) => {
      throw new AgentStartError(
        `cannot listen for HTTP on ${config.bindHost}:${config.httpPort} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): ` +
          'set apm_config.receiver_port (DD_APM_RECEIVER_PORT) or bind_host (DD_BIND_HOST)',
        { cause: err },
      );
    });
    const url = new URL(httpUrl);
    announce(`listening http http://${config.bindHost}:${url.port}`);
    const fileLimitText =
      fileLimit === undefined ? 'unknown' : fileLimit === Infinity ? 'unlimited' : String(fileLimit);
    log.info(
      { maxConnections, openFileLimit: fileLimitText },
      `http: at most ${maxConnections} connections (open-file limit ${fileLimitText})`,
    );

    grpc = await startGrpcServer({
      service,
      log,
      dataDir: config.runPath,
      host: config.bindHost,
      port: config.grpcPort,
      enabled: rc.enabled,
      ...(stream ? { remoteAgents: stream.handlers } : {}),
    });
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

/** Human-readable lines on a terminal (pino-pretty, in a worker thread); JSON otherwise or with log_format_json. */
function createLogger(config: AgentConfig): pino.Logger {
  const level = config.logLevel === 'off' ? 'silent' : config.logLevel;
  if (config.logFormatJson || !process.stderr.isTTY) return pino({ level }, pino.destination(2));
  return pino({ level }, pino.transport({ target: 'pino-pretty', options: { destination: 2, colorize: true } }));
}

/** Every minute at debug: how new clients were answered, per lane (the counters `rc-agent status` shows). */
function logBypassSummary(service: RemoteConfigService, log: pino.Logger): () => Promise<void> {
  const timer = setInterval(() => {
    if (!log.isLevelEnabled('debug')) return;
    const counts = service.status().bypass;
    const line = Object.entries(counts)
      .map(
        ([lane, outcomes]) =>
          `${lane}: ${
            Object.entries(outcomes)
              .filter(([, n]) => n > 0)
              .map(([k, n]) => `${k}=${n}`)
              .join(' ') || 'none'
          }`,
      )
      .join('; ');
    log.debug({ bypass: counts }, `new clients so far — ${line}`);
  }, BYPASS_SUMMARY_INTERVAL_MS);
  timer.unref();
  return async () => clearInterval(timer);
}

const BYPASS_SUMMARY_INTERVAL_MS = 60_000;

/** A start-up failure an operator can fix; its message is the one line `rc-agent run` prints. */
export class AgentStartError extends Error {
  override readonly name = 'AgentStartError';
}

/** The one-line message for a start-up failure an operator can fix, or undefined for an unexpected one. */
export function startupErrorMessage(err: unknown, config: AgentConfig): string | undefined {
  if (err instanceof AgentStartError) return err.message;
  if (err instanceof GrpcSetupError && err.code === 'BIND_FAILED') {
    return `cannot listen for gRPC on ${config.bindHost}:${config.grpcPort} (${(err.cause as Error | undefined)?.message ?? 'bind failed'}): set cmd_port (DD_CMD_PORT) or bind_host (DD_BIND_HOST)`;
  }
  return undefined;
}

const LOCK_FILE = 'rc-agent.pid';

/** Takes run_path for this process (a pid file); a live owner makes this throw, a dead one's file is taken over. */
function lockRunPath(dir: string): () => void {
  const file = join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
      return () => rmSync(file, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number.parseInt(readFileSync(file, 'utf8'), 10);
      if (Number.isInteger(owner) && owner !== process.pid && isAlive(owner)) {
        throw new AgentStartError(
          `run_path ${dir} is in use by another rc-agent (pid ${owner}): give each agent its own run_path (DD_RUN_PATH)`,
        );
      }
      rmSync(file, { force: true }); // left by an agent that died
    }
  }
  throw new AgentStartError(`cannot take ${file}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
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
