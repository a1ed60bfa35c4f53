// An in-process RC backend for service tests: our repository signer behind the BackendClient interface, with a set
// latency on the injected clock, the protobuf wire round trip, and a record of every request.
import { pb, type ILatestConfigsRequest, type ILatestConfigsResponse } from '../../src/proto/index.js';
import { type BackendClient } from '../../src/backend/index.js';
import { RepositorySigner, type SignerFile } from '../../src/backend/signer/repository-signer.js';
import { type Clock } from '../../src/service/index.js';
import { sleep } from '../../src/clock/index.js';

export class SignedTestBackend implements BackendClient {
  readonly url = 'test:signed-backend';
  readonly signer: RepositorySigner;
  readonly requests: ILatestConfigsRequest[] = [];
  latencyMs: number;
  failWith: Error | undefined;
  /** Rewrites a response before it is sent (attacks, corruption). */
  transform: ((response: ILatestConfigsResponse) => ILatestConfigsResponse) | undefined;

  constructor(
    private readonly clock: Clock,
    files: SignerFile[],
    options: { latencyMs?: number; agentRefreshIntervalS?: number; timestampExpiresInMs?: number } = {},
  ) {
    this.latencyMs = options.latencyMs ?? 0;
    this.signer = RepositorySigner.create(
      { agentRefreshIntervalS: options.agentRefreshIntervalS, timestampExpiresInMs: options.timestampExpiresInMs },
      clock.now(),
    );
    this.signer.publish(files, clock.now());
  }

  get pinnedRoots(): { config: Uint8Array; director: Uint8Array } {
    return { config: this.signer.rootV1('config'), director: this.signer.rootV1('director') };
  }

  publish(files: SignerFile[]): void {
    this.signer.publish(files, this.clock.now());
  }

  async fetchLatestConfigs(req: ILatestConfigsRequest, signal?: AbortSignal): Promise<ILatestConfigsResponse> {
    const wire = pb.LatestConfigsRequest.decode(pb.LatestConfigsRequest.encode(req).finish());
    this.requests.push(wire);
    await sleep(this.clock, this.latencyMs / 2, signal);
    if (this.failWith) throw this.failWith;
    const answer = this.signer.latestConfigs(wire);
    const response = pb.LatestConfigsResponse.encode(this.transform ? this.transform(answer) : answer).finish();
    await sleep(this.clock, this.latencyMs / 2, signal);
    return pb.LatestConfigsResponse.decode(response);
  }

  async fetchOrgUuid(): Promise<string> {
    return this.signer.orgUuid;
  }

  orgStatus = { enabled: true, authorized: true };
  orgStatusError: Error | undefined;
  orgStatusCalls = 0;

  async fetchOrgStatus(): Promise<{ enabled: boolean; authorized: boolean }> {
    this.orgStatusCalls++;
    if (this.orgStatusError) throw this.orgStatusError;
    return { ...this.orgStatus };
  }

  async close(): Promise<void> {}
}

const enc = new TextEncoder();

export function file(product: string, id: string, content: unknown, custom?: Record<string, unknown>): SignerFile {
  return {
    path: `datadog/2/${product}/${id}/config`,
    raw: enc.encode(typeof content === 'string' ? content : JSON.stringify(content)),
    ...(custom ? { custom } : {}),
  };
}

export const FFE_FILE = file('FFE_FLAGS', 'ffe-main', { format: 'SERVER', environment: { name: 'dev' }, flags: {} });
export const APM_FILE = file('APM_TRACING', 'apm-main', { lib_config: { tracing_sampling_rate: 0.5 } });
export const ASM_FILE = file('ASM_FEATURES', 'asm-main', { asm: { enabled: true } });
