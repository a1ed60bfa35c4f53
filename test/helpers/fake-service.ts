// A scriptable RcService for transport tests (src/http, src/grpc): records what it receives and answers with
// whatever the test sets.
import type {
  IClientGetConfigsRequest,
  IClientGetConfigsResponse,
  IGetStateConfigResponse,
} from '../../src/proto/index.js';
import type { RcService, RequestContext, StatusReport } from '../../src/service/index.js';

export type ClientGetConfigsImpl = (
  request: IClientGetConfigsRequest,
  ctx: RequestContext,
) => Promise<IClientGetConfigsResponse>;

export const FAKE_STATUS: StatusReport = {
  enabled: true,
  policy: 'fastlane',
  ready: true,
  backend: 'http://127.0.0.1:1',
  versions: { directorRoot: 1, directorTargets: 1795344487, configRoot: 1, configSnapshot: 3 },
  refreshIntervalMs: 60_000,
  fetchedProducts: ['APM_TRACING'],
  configs: [
    { path: 'datadog/2/FFE_FLAGS/ffe-bench/config', product: 'FFE_FLAGS', id: 'ffe-bench', version: 1, length: 59 },
  ],
  activeClients: [],
  activeClientsByProduct: {},
  bypass: { fast: { granted: 1 } },
  refreshes: { scheduled: 1 },
};

export class FakeService implements RcService {
  readonly calls: Array<{ request: IClientGetConfigsRequest; ctx: RequestContext }> = [];
  resets = 0;
  ready = true;
  /** default: every client is up to date */
  clientGetConfigsImpl: ClientGetConfigsImpl = async () => ({});
  state: IGetStateConfigResponse = {
    configState: { root: { version: 1, hash: 'ab' } },
    directorState: { 'targets.json': { version: 1795344487, hash: 'cd' } },
    targetFilenames: { 'datadog/2/FFE_FLAGS/ffe-bench/config': 'datadog/2/FFE_FLAGS/ffe-bench/config' },
    activeClients: [],
  };
  getConfigStateError?: Error;
  resetError?: Error;

  constructor(impl?: ClientGetConfigsImpl) {
    if (impl) this.clientGetConfigsImpl = impl;
  }

  clientGetConfigs(request: IClientGetConfigsRequest, ctx: RequestContext): Promise<IClientGetConfigsResponse> {
    this.calls.push({ request, ctx });
    return this.clientGetConfigsImpl(request, ctx);
  }

  getConfigState(): IGetStateConfigResponse {
    if (this.getConfigStateError) throw this.getConfigStateError;
    return this.state;
  }

  async resetConfigState(): Promise<void> {
    if (this.resetError) throw this.resetError;
    this.resets++;
  }

  isReady(): boolean {
    return this.ready;
  }

  status(): StatusReport {
    return FAKE_STATUS;
  }
}

/** Resolves when the signal aborts (no timers). */
export function aborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}
