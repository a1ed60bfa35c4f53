// Config stream and registry metrics, on the service's registry (DESIGN.md "Metrics"; issue 10).
import { Counter, Gauge, type Registry } from 'prom-client';

export interface ConfigStreamMetrics {
  readonly subscribers: Gauge;
  readonly snapshotsSent: Counter;
  readonly updatesSent: Counter;
  readonly resyncs: Counter<'reason'>;
  readonly remoteAgents: Gauge;
}

export function createConfigStreamMetrics(registry: Registry): ConfigStreamMetrics {
  const registers = [registry];
  return {
    subscribers: new Gauge({
      name: 'rc_config_stream_subscribers',
      help: 'Open StreamConfigEvents streams',
      registers,
    }),
    snapshotsSent: new Counter({
      name: 'rc_config_stream_snapshots_sent_total',
      help: 'Config snapshots sent (first event of a stream, and resyncs)',
      registers,
    }),
    updatesSent: new Counter({
      name: 'rc_config_stream_updates_sent_total',
      help: 'Config updates sent, one per changed setting per subscriber',
      registers,
    }),
    resyncs: new Counter({
      name: 'rc_config_stream_resyncs_total',
      help: 'Subscribers sent a fresh snapshot instead of updates, by reason',
      labelNames: ['reason'],
      registers,
    }),
    remoteAgents: new Gauge({
      name: 'rc_remote_agents_registered',
      help: 'Remote agents with a live registry session',
      registers,
    }),
  };
}
