// The `/v0.7/config` request body exactly as dd-trace-js 5.132 serialises it (PROTOCOL.md §3.3, §7): the same keys
// in the same order, `bytes` fields as padded base64, `root_version` always 1.

/** `apply_state` values of `config_states` (PROTOCOL.md §7). */
export const APPLY_STATE = { UNACKNOWLEDGED: 1, ACKNOWLEDGED: 2, ERROR: 3 } as const;
export type ApplyState = (typeof APPLY_STATE)[keyof typeof APPLY_STATE];

export interface RcConfigStateEntry {
  readonly id: string;
  readonly version: number;
  readonly product: string;
  readonly applyState: ApplyState;
  readonly applyError: string;
}

export interface RcCachedTargetFile {
  readonly path: string;
  readonly length: number;
  readonly hashes: ReadonlyArray<{ readonly algorithm: string; readonly hash: string }>;
}

export interface RcTracerInfo {
  readonly runtimeId: string;
  readonly language: string;
  readonly tracerVersion: string;
  /** Omitted from the body when undefined, as dd-trace-js's JSON.stringify does. */
  readonly service?: string;
  readonly env?: string;
  readonly appVersion?: string;
  readonly extraServices: readonly string[];
  readonly tags: readonly string[];
  readonly processTags?: readonly string[];
}

/** Everything one RC client id sends on one poll. */
export interface RcRequestState {
  readonly targetsVersion: number;
  readonly configStates: readonly RcConfigStateEntry[];
  readonly hasError: boolean;
  readonly error: string;
  /** `signed.custom.opaque_backend_state` of the last targets, echoed verbatim. */
  readonly backendClientState: string;
  readonly clientId: string;
  readonly products: readonly string[];
  readonly tracer: RcTracerInfo;
  /** Padded base64, see {@link encodeCapabilities}. */
  readonly capabilities: string;
  readonly cachedTargetFiles: readonly RcCachedTargetFile[];
}

/** dd-trace-js ignores `roots` and always reports the base director root (PROTOCOL.md §7). */
const ROOT_VERSION = 1;

export function buildRequestBody(state: RcRequestState): string {
  const t = state.tracer;
  return JSON.stringify({
    client: {
      state: {
        root_version: ROOT_VERSION,
        targets_version: state.targetsVersion,
        config_states: state.configStates.map((c) => ({
          id: c.id,
          version: c.version,
          product: c.product,
          apply_state: c.applyState,
          apply_error: c.applyError,
        })),
        has_error: state.hasError,
        error: state.error,
        backend_client_state: state.backendClientState,
      },
      id: state.clientId,
      products: state.products,
      is_tracer: true,
      client_tracer: {
        runtime_id: t.runtimeId,
        language: t.language,
        tracer_version: t.tracerVersion,
        service: t.service,
        env: t.env,
        app_version: t.appVersion,
        extra_services: t.extraServices,
        tags: t.tags,
        process_tags: t.processTags,
      },
      capabilities: state.capabilities,
    },
    cached_target_files: state.cachedTargetFiles.map((f) => ({
      path: f.path,
      length: f.length,
      hashes: f.hashes.map((h) => ({ algorithm: h.algorithm, hash: h.hash })),
    })),
  });
}

/**
 * Capabilities as dd-trace-js encodes them: the bigint's big-endian bytes without leading zero bytes (one zero byte
 * for 0), base64. A byte array is taken as already encoded.
 */
export function encodeCapabilities(capabilities: bigint | Uint8Array): string {
  if (typeof capabilities !== 'bigint') return Buffer.from(capabilities).toString('base64');
  if (capabilities < 0n) throw new RangeError(`capabilities must be >= 0, got ${capabilities}`);
  let hex = capabilities.toString(16);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  return Buffer.from(hex, 'hex').toString('base64');
}
