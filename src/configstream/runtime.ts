// Assembles the config stream inside `rc-agent run`: registry, hub (sequence IDs kept in run_path), the live
// configuration (SIGHUP, file watch), the AGENT_CONFIG client, the gRPC handlers and the status section.
import { basename } from 'node:path';
import type { Registry } from 'prom-client';
import type { LoadConfigOptions, ResolvedSetting } from '../config/index.js';
import type { RemoteAgentHandlers } from '../grpc/index.js';
import { systemClock, type Clock, type Logger, type RcService } from '../service/index.js';
import { AgentConfigClient } from './agent-config-client.js';
import { toLogLevel } from './agent-config.js';
import { ConfigStreamHub } from './hub.js';
import { LiveConfig, type LogLevel, type PendingRestart } from './live-config.js';
import { createConfigStreamMetrics } from './metrics.js';
import { RemoteAgentRegistry } from './registry.js';
import { createRemoteAgentHandlers } from './server-handlers.js';
import { SequenceCounter } from './sequence.js';

export interface ConfigStreamStatus {
  readonly sequenceId: number;
  readonly origin: string;
  readonly remoteAgents: ReadonlyArray<{
    readonly flavor: string;
    readonly displayName: string;
    readonly pid: string;
    readonly sessionId: string;
    readonly lastSeen: string;
  }>;
  readonly subscribers: ReadonlyArray<{
    readonly name: string;
    readonly snapshots: number;
    readonly updates: number;
    readonly resyncs: number;
  }>;
  readonly pendingRestart: readonly PendingRestart[];
  readonly remoteLogLevel?: string;
  readonly lastReloadError?: string;
}

export interface ConfigStreamRuntime {
  readonly handlers: RemoteAgentHandlers;
  readonly hub: ConfigStreamHub;
  readonly registry: RemoteAgentRegistry;
  readonly live: LiveConfig;
  readonly agentConfig: AgentConfigClient | undefined;
  status(): ConfigStreamStatus;
  /** ends the open streams (before the gRPC server's graceful stop, which would wait for them) */
  closeStreams(): void;
  stop(): Promise<void>;
}

export interface StartConfigStreamOptions {
  readonly load: Omit<LoadConfigOptions, 'onResolved' | 'onFileDocument'>;
  readonly settings: ReadonlyMap<string, ResolvedSetting>;
  readonly runPath: string;
  /** the RC service, for AGENT_CONFIG; absent = no remote log level */
  readonly service?: Pick<RcService, 'clientGetConfigs'>;
  readonly agentVersion: string;
  readonly log: Logger;
  readonly setLogLevel: (level: LogLevel) => void;
  readonly metricsRegistry?: Registry;
  readonly clock?: Clock;
  readonly agentConfigPollMs?: number;
  readonly subscriberBuffer?: number;
  /** install the SIGHUP handler and the file watch (default true) */
  readonly watch?: boolean;
  readonly sessionTtlMs?: number;
  readonly refreshIntervalS?: number;
}

export function startConfigStream(opts: StartConfigStreamOptions): ConfigStreamRuntime {
  const clock = opts.clock ?? systemClock;
  const metrics = opts.metricsRegistry ? createConfigStreamMetrics(opts.metricsRegistry) : undefined;
  const hub = new ConfigStreamHub({
    origin: opts.load.file ? basename(opts.load.file) : 'rc-agent',
    sequence: new SequenceCounter(opts.runPath),
    metrics,
    bufferLimit: opts.subscriberBuffer,
  });
  const registry = new RemoteAgentRegistry({
    clock,
    sessionTtlMs: opts.sessionTtlMs,
    refreshIntervalS: opts.refreshIntervalS,
  });
  const live = new LiveConfig(opts.settings, {
    load: opts.load,
    hub,
    setLogLevel: opts.setLogLevel,
    log: opts.log,
    clock,
  });
  if (opts.watch !== false) live.watch();
  let remoteLogLevel: string | undefined;
  let agentConfig: AgentConfigClient | undefined;
  if (opts.service) {
    agentConfig = new AgentConfigClient({
      service: opts.service,
      clock,
      log: opts.log,
      agentVersion: opts.agentVersion,
      pollIntervalMs: opts.agentConfigPollMs,
      onChange: ({ logLevel }) => {
        if (logLevel === '') {
          remoteLogLevel = undefined;
          live.setRemote('log_level', undefined);
          return;
        }
        const level = toLogLevel(logLevel);
        if (level === undefined) {
          opts.log.warn({ logLevel }, 'AGENT_CONFIG log_level is not a known level; ignored');
          return;
        }
        remoteLogLevel = level;
        live.setRemote('log_level', level);
      },
    });
    agentConfig.start();
  }
  const handlers = createRemoteAgentHandlers({ registry, hub, metrics });
  return {
    handlers,
    hub,
    registry,
    live,
    agentConfig,
    status: () => ({
      sequenceId: hub.sequenceId,
      origin: hub.origin,
      remoteAgents: registry.list().map((s) => ({
        flavor: s.flavor,
        displayName: s.displayName,
        pid: s.pid,
        sessionId: s.sessionId,
        lastSeen: new Date(s.lastSeenMs).toISOString(),
      })),
      subscribers: hub.list().map((s) => ({
        name: s.name,
        snapshots: s.sentSnapshots,
        updates: s.sentUpdates,
        resyncs: s.resyncs,
      })),
      pendingRestart: live.pendingRestart(),
      ...(remoteLogLevel ? { remoteLogLevel } : {}),
      ...(live.lastReloadError ? { lastReloadError: live.lastReloadError } : {}),
    }),
    closeStreams: () => hub.closeAll('agent stopping'),
    stop: async () => {
      live.close();
      await agentConfig?.stop();
      hub.closeAll('agent stopping');
      registry.close();
    },
  };
}
