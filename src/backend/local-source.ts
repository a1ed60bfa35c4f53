// The local signed source: what `rc-agent run` uses without an API key. The same signer and protocol as the
// simulator, in process: requests and responses still go through protobuf bytes, so the agent exercises the same
// wire and verification path as with a real backend.
import { join, resolve } from 'node:path';
import { pb } from '../proto/index.js';
import type { ILatestConfigsRequest, ILatestConfigsResponse } from '../proto/index.js';
import { DEFAULT_POLL_INTERVAL_MS } from './config-dir-watcher.js';
import { BackendError } from './error.js';
import { SignedConfigSource } from './signed-source.js';
import type { BackendClient, OrgStatus, PinnedRoots } from './types.js';

export interface LocalSourceOptions {
  /** `remote_configuration.local.dir`. */
  readonly dir: string;
  /** `remote_configuration.local.org_id`. */
  readonly orgId: number;
  /** `run_path`: the keys live in `<dataDir>/local-source.json`, created on first start. */
  readonly dataDir: string;
  /** Periodic rescan besides fs.watch; default 2000, 0 disables it. */
  readonly pollIntervalMs?: number;
  readonly now?: () => number;
  readonly log?: (line: string) => void;
  /** Called when an edit of the directory was signed: the agent refreshes at once instead of at its next poll. */
  readonly onChange?: () => void;
}

export interface LocalSource {
  readonly client: BackendClient;
  /** The signer's v1 roots: the agent pins them instead of Datadog's embedded roots. */
  readonly pinnedRoots: PinnedRoots;
  /** Files skipped or ignored at the last scan, and why (shown by `rc-agent status`). */
  warnings(): readonly string[];
  /** Re-reads the directory now (tests; the watcher does it on its own). */
  rescan(): Promise<void>;
  close(): Promise<void>;
}

export const LOCAL_SOURCE_STATE_FILE = 'local-source.json';

export async function createLocalSource(opts: LocalSourceOptions): Promise<LocalSource> {
  const dir = resolve(opts.dir);
  const source = await SignedConfigSource.open({
    dir,
    orgId: opts.orgId,
    stateFile: join(opts.dataDir, LOCAL_SOURCE_STATE_FILE),
    pollIntervalMs: opts.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS,
    now: opts.now ?? Date.now,
    log: opts.log ?? (() => undefined),
    ...(opts.onChange ? { onPublish: opts.onChange } : {}),
  });
  let closed = false;

  function check(signal: AbortSignal | undefined): void {
    if (closed) throw new BackendError('NETWORK', 'failed to issue request: local source closed');
    if (signal?.aborted) throw new BackendError('ABORTED', 'request aborted', { cause: signal.reason });
  }

  const client: BackendClient = {
    url: `local:${dir}`,
    async fetchLatestConfigs(req: ILatestConfigsRequest, signal?: AbortSignal): Promise<ILatestConfigsResponse> {
      check(signal);
      const wireReq = pb.LatestConfigsRequest.decode(pb.LatestConfigsRequest.encode(req).finish());
      const bytes = pb.LatestConfigsResponse.encode(source.latestConfigs(wireReq)).finish();
      return pb.LatestConfigsResponse.decode(bytes);
    },
    async fetchOrgUuid(signal?: AbortSignal): Promise<string> {
      check(signal);
      return source.signer.orgUuid;
    },
    async fetchOrgStatus(signal?: AbortSignal): Promise<OrgStatus> {
      check(signal);
      return { enabled: true, authorized: true };
    },
    async close(): Promise<void> {
      closed = true;
    },
  };

  return {
    client,
    pinnedRoots: source.pinnedRoots,
    warnings: () => source.warnings,
    rescan: () => source.rescan(),
    async close() {
      closed = true;
      await source.close();
    },
  };
}
