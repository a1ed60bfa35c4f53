// rc-agent as its own RC client for AGENT_CONFIG: an in-process agent client of the service's public
// clientGetConfigs API (the service has already verified everything; target files are still checked against the
// targets' sha256), polling on the injected clock, reporting apply states back as agent clients do.
import { createHash, randomUUID } from 'node:crypto';
import type { Clock, Logger, RcService, RequestContext } from '../service/index.js';
import type { IClientGetConfigsRequest, IConfigState, ITargetFileMeta } from '../proto/index.js';
import { AGENT_CONFIG_PRODUCT, mergeAgentConfig, type MergedAgentConfig } from './agent-config.js';

export const DEFAULT_AGENT_CONFIG_POLL_MS = 5000;
const APPLY_ACKNOWLEDGED = 2;
const APPLY_ERROR = 3;

interface TargetMeta {
  readonly length: number;
  readonly hashes: Record<string, string>;
  readonly custom?: { readonly v?: number };
}

interface TargetsDoc {
  readonly signed: {
    readonly version: number;
    readonly targets: Record<string, TargetMeta>;
    readonly custom?: { readonly opaque_backend_state?: string };
  };
}

export interface AgentConfigClientOptions {
  readonly service: Pick<RcService, 'clientGetConfigs'>;
  readonly clock: Clock;
  readonly log: Logger;
  readonly agentVersion: string;
  readonly pollIntervalMs?: number;
  /** called with each new merge result (also when the remote log level went away: logLevel '') */
  readonly onChange: (merged: MergedAgentConfig) => void;
}

export class AgentConfigClient {
  readonly id = randomUUID();
  private rootVersion = 1;
  private targetsVersion = 0;
  private backendState: Uint8Array = new Uint8Array();
  private configStates: IConfigState[] = [];
  private readonly files = new Map<string, { raw: Uint8Array; meta: ITargetFileMeta }>();
  private lastError = '';
  private lastMerged: string | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private controller = new AbortController();
  private stopped = false;
  private inFlight: Promise<void> | undefined;
  polls = 0;

  constructor(private readonly options: AgentConfigClientOptions) {}

  start(): void {
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) this.options.clock.clearTimeout(this.timer);
    this.controller.abort();
    await this.inFlight;
  }

  /** One poll now (tests; the timer calls it too). */
  async poll(): Promise<void> {
    const ctx: RequestContext = { signal: this.controller.signal, transport: 'grpc' };
    this.polls++;
    try {
      const res = await this.options.service.clientGetConfigs(this.request(), ctx);
      for (const root of res.roots ?? []) {
        const version = (JSON.parse(Buffer.from(root).toString('utf8')) as { signed?: { version?: number } }).signed
          ?.version;
        if (typeof version === 'number') this.rootVersion = Math.max(this.rootVersion, version);
      }
      if (!res.targets || res.targets.length === 0) return;
      const targets = JSON.parse(Buffer.from(res.targets).toString('utf8')) as TargetsDoc;
      const received = new Map<string, Uint8Array>();
      for (const f of res.targetFiles ?? []) if (f.path && f.raw) received.set(f.path, f.raw);
      const current = new Map<string, { raw: Uint8Array; meta: ITargetFileMeta }>();
      for (const path of res.clientConfigs ?? []) {
        const meta = targets.signed.targets[path];
        if (meta === undefined) throw new Error(`client config ${path} is not in the targets`);
        const raw = received.get(path) ?? this.files.get(path)?.raw;
        if (raw === undefined) throw new Error(`target file ${path} was not sent`);
        const sha256 = createHash('sha256').update(raw).digest('hex');
        if (raw.length !== meta.length || sha256 !== meta.hashes.sha256) {
          throw new Error(`target file ${path} does not match its targets entry`);
        }
        current.set(path, {
          raw,
          meta: { path, length: meta.length, hashes: [{ algorithm: 'sha256', hash: sha256 }] },
        });
      }
      this.files.clear();
      for (const [p, f] of current) this.files.set(p, f);
      this.targetsVersion = targets.signed.version;
      const opaque = targets.signed.custom?.opaque_backend_state;
      this.backendState = opaque ? Buffer.from(opaque, 'base64') : new Uint8Array();
      this.lastError = '';
      this.apply(targets);
    } catch (err) {
      if (this.controller.signal.aborted) return;
      this.lastError = (err as Error).message;
      this.options.log.warn({ err }, 'AGENT_CONFIG poll failed');
    }
  }

  private apply(targets: TargetsDoc): void {
    const raws = new Map([...this.files].map(([p, f]) => [p, f.raw] as const));
    const { merged, errors } = mergeAgentConfig(raws);
    const failed = new Map(errors.map((e) => [e.path, e.message]));
    this.configStates = [...this.files.keys()].map((path) => {
      const parts = path.split('/');
      const error = failed.get(path);
      return {
        id: parts[3] ?? path,
        version: targets.signed.targets[path]?.custom?.v ?? 0,
        product: AGENT_CONFIG_PRODUCT,
        applyState: error === undefined ? APPLY_ACKNOWLEDGED : APPLY_ERROR,
        applyError: error ?? '',
      };
    });
    for (const e of errors) this.options.log.warn({ path: e.path }, e.message);
    // an empty product (all files deleted) removes the remote layer; an invalid one changes nothing
    const next = merged ?? (this.files.size === 0 ? { logLevel: '' } : undefined);
    if (next === undefined) return;
    const key = JSON.stringify(next);
    if (key === this.lastMerged) return;
    this.lastMerged = key;
    this.options.onChange(next);
  }

  private request(): IClientGetConfigsRequest {
    return {
      client: {
        id: this.id,
        products: [AGENT_CONFIG_PRODUCT],
        isAgent: true,
        clientAgent: { name: 'rc-agent', version: this.options.agentVersion },
        state: {
          rootVersion: this.rootVersion,
          targetsVersion: this.targetsVersion,
          configStates: this.configStates,
          hasError: this.lastError !== '',
          error: this.lastError,
          backendClientState: this.backendState,
        },
      },
      cachedTargetFiles: [...this.files.values()].map((f) => f.meta),
    };
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = this.options.clock.setTimeout(() => {
      this.timer = undefined;
      this.inFlight = this.poll().finally(() => {
        this.inFlight = undefined;
        this.schedule(this.options.pollIntervalMs ?? DEFAULT_AGENT_CONFIG_POLL_MS);
      });
    }, ms);
  }
}
