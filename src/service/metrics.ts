// Prometheus metrics (DESIGN.md "Metrics"), on a registry per service so tests and benches can read them.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface ServiceMetrics {
  readonly registry: Registry;
  readonly bypassRequests: Counter<'lane' | 'outcome'>;
  readonly bypassWait: Histogram<'lane'>;
  readonly backendRefreshes: Counter<'reason' | 'result'>;
  readonly backendRefreshSeconds: Histogram;
  readonly stateLockHold: Histogram;
  readonly clientGetConfigs: Counter<'lane' | 'transport' | 'code'>;
  readonly clientGetConfigsSeconds: Histogram<'lane'>;
  readonly activeClients: Gauge<'product'>;
  readonly verificationFailures: Counter<'reason'>;
  readonly snapshotVersion: Gauge<'repo' | 'role'>;
}

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 2.5, 5];
const LOCK_BUCKETS = [0.000005, 0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.005, 0.01, 0.1];

export function createServiceMetrics(options: { defaultMetrics?: boolean } = {}): ServiceMetrics {
  const registry = new Registry();
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    bypassRequests: new Counter({
      name: 'rc_bypass_requests_total',
      help: 'Cache bypass requests by lane and outcome (granted, rate_limited, coalesced, timeout, aborted)',
      labelNames: ['lane', 'outcome'],
      registers,
    }),
    bypassWait: new Histogram({
      name: 'rc_bypass_wait_seconds',
      help: 'Time a bypassing request waited for its refresh',
      labelNames: ['lane'],
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    backendRefreshes: new Counter({
      name: 'rc_backend_refreshes_total',
      help: 'Backend refreshes by reason (scheduled, bypass_fast, bypass_standard) and result',
      labelNames: ['reason', 'result'],
      registers,
    }),
    backendRefreshSeconds: new Histogram({
      name: 'rc_backend_refresh_seconds',
      help: 'Duration of a backend refresh (request, verification, persistence, publication)',
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    stateLockHold: new Histogram({
      name: 'rc_state_lock_hold_seconds',
      help: 'How long the state lock was held',
      buckets: LOCK_BUCKETS,
      registers,
    }),
    clientGetConfigs: new Counter({
      name: 'rc_client_get_configs_total',
      help: 'ClientGetConfigs calls by lane, transport and result code',
      labelNames: ['lane', 'transport', 'code'],
      registers,
    }),
    clientGetConfigsSeconds: new Histogram({
      name: 'rc_client_get_configs_seconds',
      help: 'ClientGetConfigs latency by lane',
      labelNames: ['lane'],
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    activeClients: new Gauge({
      name: 'rc_active_clients',
      help: 'Active clients by product',
      labelNames: ['product'],
      registers,
    }),
    verificationFailures: new Counter({
      name: 'rc_verification_failures_total',
      help: 'Backend updates rejected by TUF/Uptane verification, by error code',
      labelNames: ['reason'],
      registers,
    }),
    snapshotVersion: new Gauge({
      name: 'rc_snapshot_version',
      help: 'Versions of the published verified metadata',
      labelNames: ['repo', 'role'],
      registers,
    }),
  };
}
