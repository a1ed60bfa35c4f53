// The state one RC client id keeps between polls, and how it applies a reply: dd-trace-js 5.132
// RemoteConfig#poll/#parseConfig/#applyChanges/#dispatch (PROTOCOL.md §7). No I/O.
import { RcClientError, wireErrorText } from './error.js';
import { APPLY_STATE, type ApplyState, type RcCachedTargetFile, type RcConfigStateEntry } from './request-body.js';
import type { RcAction, RcConfigChange, RcLaneName } from './types.js';

/** What a handler call settled on: acknowledged now, left unacknowledged, or pending on a promise. */
export type InvokeResult = 'ack' | 'unack' | Promise<void>;
export type Invoke = (change: RcConfigChange) => InvokeResult;

interface AppliedConfig {
  readonly path: string;
  readonly product: string;
  readonly id: string;
  readonly version: number;
  readonly raw: Uint8Array;
  readonly parsed: unknown;
  readonly length: number;
  readonly hashes: Readonly<Record<string, string>>;
  applyState: ApplyState;
  applyError: string;
}

interface Change {
  readonly kind: 'add' | 'update' | 'remove';
  readonly path: string;
  readonly product: string;
  readonly id: string;
  readonly version: number;
  readonly raw: Uint8Array;
  readonly length: number;
  readonly hashes: Readonly<Record<string, string>>;
}

export type ReplyOutcome =
  | { readonly kind: 'no-change' }
  /** `hadTargets`: the reply carried director targets (a full state), so the client now holds a known version. */
  | { readonly kind: 'update'; readonly hadTargets: boolean }
  | { readonly kind: 'error'; readonly error: RcClientError };

const CONFIG_PATH = /^(?:datadog\/\d+|employee)\/([^/]+)\/([^/]+)\/[^/]+$/;

export class LaneState {
  targetsVersion = 0;
  hasError = false;
  error = '';
  backendClientState = '';
  /** Director targets `custom.agent_refresh_interval` (seconds) of the last targets, if any. */
  agentRefreshIntervalS: number | undefined;
  cachedTargetFiles: RcCachedTargetFile[] = [];
  /** Insertion-ordered like dd-trace-js's `appliedConfigs`; that order is the order of `config_states`. */
  readonly applied = new Map<string, AppliedConfig>();

  constructor(
    readonly lane: RcLaneName,
    private readonly parseJson: boolean,
  ) {}

  configStates(): RcConfigStateEntry[] {
    return [...this.applied.values()].map((c) => ({
      id: c.id,
      version: c.version,
      product: c.product,
      applyState: c.applyState,
      applyError: c.applyError,
    }));
  }

  /** A 2xx reply. `{}` (exactly) and an empty body mean no change. */
  handleReply(body: string, invoke: Invoke): ReplyOutcome {
    // dd-trace-js clears the reported error on every 2xx, before looking at the body.
    this.hasError = false;
    this.error = '';
    if (body === '' || body === '{}') return { kind: 'no-change' };
    try {
      return { kind: 'update', hadTargets: this.applyReply(parseJsonText(body, 'reply'), invoke) };
    } catch (err) {
      const error =
        err instanceof RcClientError ? err : new RcClientError('INVALID_REPLY', String(err), { cause: err });
      this.hasError = true;
      this.error = wireErrorText(error);
      return { kind: 'error', error };
    }
  }

  /**
   * Full state from `client_configs`, delta from `target_files`. Throws before touching any state if the reply is
   * inconsistent, so `targets_version` stays and the agent resends (PROTOCOL.md §7).
   */
  private applyReply(reply: unknown, invoke: Invoke): boolean {
    if (typeof reply !== 'object' || reply === null || Array.isArray(reply)) {
      throw new RcClientError('INVALID_REPLY', 'reply is not a JSON object');
    }
    const r = reply as { client_configs?: unknown; targets?: unknown; target_files?: unknown };
    const clientConfigs = Array.isArray(r.client_configs) ? (r.client_configs as unknown[]).map(String) : [];
    const targetFiles = Array.isArray(r.target_files)
      ? (r.target_files as Array<{ path?: unknown; raw?: unknown }>)
      : [];
    const changes: Change[] = [];

    for (const c of this.applied.values()) {
      if (!clientConfigs.includes(c.path)) changes.push({ ...c, kind: 'remove' });
    }

    const targets = typeof r.targets === 'string' && r.targets !== '' ? decodeTargets(r.targets) : undefined;
    if (targets !== undefined) {
      for (const path of clientConfigs) {
        const meta = targets.targets[path];
        if (meta === undefined) throw new RcClientError('MISSING_TARGET', `Unable to find target for path ${path}`);
        const current = this.applied.get(path);
        // dd-trace-js decides "unchanged" from sha256 alone (PROTOCOL.md §7).
        if (current?.hashes.sha256 === meta.hashes.sha256) continue;
        const file = targetFiles.find((f) => f.path === path);
        if (file === undefined) throw new RcClientError('MISSING_FILE', `Unable to find file for path ${path}`);
        const match = CONFIG_PATH.exec(path);
        if (!match?.[1] || !match[2]) throw new RcClientError('INVALID_PATH', `Unable to parse path ${path}`);
        changes.push({
          kind: current === undefined ? 'add' : 'update',
          path,
          product: match[1],
          id: match[2],
          version: meta.version,
          raw: typeof file.raw === 'string' ? Buffer.from(file.raw, 'base64') : new Uint8Array(),
          length: meta.length,
          hashes: meta.hashes,
        });
      }
    }

    if (changes.length > 0) {
      this.applyChanges(changes, invoke);
      this.cachedTargetFiles = [...this.applied.values()].map((c) => ({
        path: c.path,
        length: c.length,
        hashes: Object.entries(c.hashes).map(([algorithm, hash]) => ({ algorithm, hash })),
      }));
    }

    if (targets !== undefined) {
      this.targetsVersion = targets.version;
      this.backendClientState = targets.opaqueBackendState;
      this.agentRefreshIntervalS = targets.agentRefreshIntervalS;
    }
    return targets !== undefined;
  }

  private applyChanges(changes: readonly Change[], invoke: Invoke): void {
    const toUnapply: AppliedConfig[] = [];
    const toApply: AppliedConfig[] = [];
    const toModify: AppliedConfig[] = [];
    const seen = new Set<string>();
    // Parse every file first: one bad file fails the whole batch before anything is dispatched.
    for (const change of changes) {
      if (seen.has(change.path)) continue;
      seen.add(change.path);
      const current = this.applied.get(change.path);
      if (change.kind === 'remove') {
        if (current !== undefined) toUnapply.push(current);
        continue;
      }
      const parsed = this.parseJson
        ? change.raw.length === 0
          ? null
          : parseJsonText(Buffer.from(change.raw).toString(), change.path)
        : undefined;
      const config: AppliedConfig = {
        path: change.path,
        product: change.product,
        id: change.id,
        version: change.version,
        raw: change.raw,
        parsed,
        length: change.length,
        hashes: change.hashes,
        applyState: APPLY_STATE.UNACKNOWLEDGED,
        applyError: '',
      };
      if (change.kind === 'update' && current !== undefined) toModify.push(config);
      else toApply.push(config);
    }
    this.dispatch(toUnapply, 'unapply', invoke);
    this.dispatch(toApply, 'apply', invoke);
    this.dispatch(toModify, 'modify', invoke);
  }

  private dispatch(list: readonly AppliedConfig[], action: RcAction, invoke: Invoke): void {
    for (const item of list) {
      if (action !== 'unapply') this.applied.set(item.path, item);
      this.callHandler(item, action, invoke);
      if (action === 'unapply') this.applied.delete(item.path);
    }
  }

  private callHandler(item: AppliedConfig, action: RcAction, invoke: Invoke): void {
    const change: RcConfigChange = {
      action,
      lane: this.lane,
      path: item.path,
      product: item.product,
      id: item.id,
      version: item.version,
      raw: item.raw,
      ...(this.parseJson ? { parsed: item.parsed } : {}),
    };
    let result: InvokeResult;
    try {
      result = invoke(change);
    } catch (err) {
      this.setApplyState(item, action, APPLY_STATE.ERROR, String(err));
      return;
    }
    if (result === 'ack') this.setApplyState(item, action, APPLY_STATE.ACKNOWLEDGED, '');
    else if (result !== 'unack') {
      result.then(
        () => this.setApplyState(item, action, APPLY_STATE.ACKNOWLEDGED, ''),
        (err: unknown) => this.setApplyState(item, action, APPLY_STATE.ERROR, String(err)),
      );
    }
  }

  /** A late settlement only counts if the config it was for is still the applied one. */
  private setApplyState(item: AppliedConfig, action: RcAction, state: ApplyState, error: string): void {
    const current = this.applied.get(item.path);
    if (current !== item && (action !== 'unapply' || current !== undefined)) return;
    item.applyState = state;
    item.applyError = error;
  }
}

interface DecodedTargets {
  readonly version: number;
  readonly opaqueBackendState: string;
  readonly agentRefreshIntervalS: number | undefined;
  readonly targets: Readonly<
    Record<
      string,
      { readonly length: number; readonly hashes: Readonly<Record<string, string>>; readonly version: number }
    >
  >;
}

/** The base64 director `targets.json`. Like every tracer, no signature is checked (PROTOCOL.md §7). */
function decodeTargets(base64: string): DecodedTargets {
  const doc = parseJsonText(Buffer.from(base64, 'base64').toString(), 'targets') as {
    signed?: {
      version?: unknown;
      targets?: unknown;
      custom?: { opaque_backend_state?: unknown; agent_refresh_interval?: unknown };
    };
  } | null;
  const signed = doc?.signed;
  const rawTargets = (typeof signed?.targets === 'object' && signed.targets !== null ? signed.targets : {}) as Record<
    string,
    { length?: unknown; hashes?: unknown; custom?: { v?: unknown } } | undefined
  >;
  const targets: Record<string, DecodedTargets['targets'][string]> = {};
  for (const [path, meta] of Object.entries(rawTargets)) {
    if (typeof meta !== 'object' || meta === null) continue;
    targets[path] = {
      length: typeof meta.length === 'number' ? meta.length : 0,
      hashes: (typeof meta.hashes === 'object' && meta.hashes !== null ? meta.hashes : {}) as Record<string, string>,
      version: typeof meta.custom?.v === 'number' ? meta.custom.v : 0,
    };
  }
  const custom = signed?.custom;
  const refresh = custom?.agent_refresh_interval;
  return {
    version: typeof signed?.version === 'number' ? signed.version : 0,
    opaqueBackendState: typeof custom?.opaque_backend_state === 'string' ? custom.opaque_backend_state : '',
    agentRefreshIntervalS: typeof refresh === 'number' && Number.isFinite(refresh) ? refresh : undefined,
    targets,
  };
}

function parseJsonText(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new RcClientError('INVALID_JSON', `${what} is not valid JSON`, { cause: err });
  }
}
