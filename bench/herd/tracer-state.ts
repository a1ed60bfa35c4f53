// What one emulated tracer lane sends and keeps, computed once and shared: request bodies are templates with the
// tracer's ids spliced in, and a lane's state after a reply is interned per (state, reply bytes) — a herd's replies
// are byte-identical across tracers, so each distinct reply is parsed once per generator, not once per tracer.
import {
  APPLY_STATE,
  buildRequestBody,
  DEFAULT_TRACER_VERSION,
  type RcCachedTargetFile,
  type RcConfigStateEntry,
} from '../../src/client/index.js';

/** Placeholders spliced per tracer; none can occur in a JSON-encoded body otherwise. */
const SLOTS = { clientId: '@@CLIENT_ID@@', runtimeId: '@@RUNTIME_ID@@', service: '@@SERVICE@@' } as const;
export type SlotName = keyof typeof SLOTS;
export type TracerIds = Readonly<Record<SlotName, string>>;
const SLOT_PATTERN = /@@(CLIENT_ID|RUNTIME_ID|SERVICE)@@/;
const SLOT_BY_TOKEN: Readonly<Record<string, SlotName>> = {
  CLIENT_ID: 'clientId',
  RUNTIME_ID: 'runtimeId',
  SERVICE: 'service',
};

/** A body with its per-tracer slots cut out: rendering is a join of constant parts and ids. */
export class BodyTemplate {
  readonly parts: readonly string[];
  readonly slots: readonly SlotName[];
  /** UTF-8 bytes of the constant parts. */
  readonly fixedBytes: number;

  constructor(body: string) {
    const pieces = body.split(SLOT_PATTERN);
    const parts: string[] = [];
    const slots: SlotName[] = [];
    for (let i = 0; i < pieces.length; i++) {
      if (i % 2 === 0) parts.push(pieces[i]!);
      else slots.push(SLOT_BY_TOKEN[pieces[i]!]!);
    }
    this.parts = parts;
    this.slots = slots;
    this.fixedBytes = parts.reduce((sum, p) => sum + Buffer.byteLength(p), 0);
  }

  render(ids: TracerIds): string {
    let out = this.parts[0]!;
    for (let i = 0; i < this.slots.length; i++) out += ids[this.slots[i]!] + this.parts[i + 1]!;
    return out;
  }

  /** Byte length of `render(ids)` (ids are ASCII). */
  byteLength(ids: TracerIds): number {
    let n = this.fixedBytes;
    for (const slot of this.slots) n += ids[slot].length;
    return n;
  }
}

/** What a lane asks for, fixed for a whole herd. */
export interface LaneProfile {
  readonly products: readonly string[];
  /** Padded base64 capabilities, as the client being emulated advertises them. */
  readonly capabilities: string;
  readonly env: string;
  readonly appVersion: string;
}

interface AppliedConfig {
  readonly path: string;
  readonly product: string;
  readonly id: string;
  readonly version: number;
  readonly length: number;
  readonly hashes: ReadonlyArray<readonly [string, string]>;
}

/** A lane's client state (dd-trace-js RemoteConfig): immutable and shared by every tracer in it. */
export class LaneState {
  readonly template: BodyTemplate;
  /** sha256 per held config path. */
  readonly held: ReadonlyMap<string, string>;
  private readonly transitions = new Map<string, LaneState>();

  constructor(
    readonly profile: LaneProfile,
    readonly targetsVersion: number,
    readonly backendClientState: string,
    readonly applied: readonly AppliedConfig[],
  ) {
    this.held = new Map(applied.map((c) => [c.path, hashOf(c, 'sha256') ?? '']));
    this.template = new BodyTemplate(
      buildRequestBody({
        targetsVersion,
        configStates: applied.map((c): RcConfigStateEntry => ({
          id: c.id,
          version: c.version,
          product: c.product,
          // The bench's products are all handled synchronously by dd-trace-js: acknowledged at once.
          applyState: APPLY_STATE.ACKNOWLEDGED,
          applyError: '',
        })),
        hasError: false,
        error: '',
        backendClientState,
        clientId: SLOTS.clientId,
        products: profile.products,
        tracer: {
          runtimeId: SLOTS.runtimeId,
          language: 'node',
          tracerVersion: DEFAULT_TRACER_VERSION,
          service: SLOTS.service,
          env: profile.env,
          appVersion: profile.appVersion,
          extraServices: [],
          tags: [
            `service:${SLOTS.service}`,
            `env:${profile.env}`,
            `version:${profile.appVersion}`,
            `runtime-id:${SLOTS.runtimeId}`,
            `_dd.rc.client_id:${SLOTS.clientId}`,
          ],
          processTags: [],
        },
        capabilities: profile.capabilities,
        cachedTargetFiles: applied.map((c): RcCachedTargetFile => ({
          path: c.path,
          length: c.length,
          hashes: c.hashes.map(([algorithm, hash]) => ({ algorithm, hash })),
        })),
      }),
    );
  }

  static initial(profile: LaneProfile): LaneState {
    return new LaneState(profile, 0, '', []);
  }

  /**
   * The state after a 2xx reply (`{}` and empty: unchanged). Interned: the same reply to the same state gives the
   * same object. Throws `ReplyError` on a reply dd-trace-js would reject (state then stays as it was).
   */
  after(reply: string): LaneState {
    if (reply === '' || reply === '{}') return this;
    const cached = this.transitions.get(reply);
    if (cached !== undefined) return cached;
    const next = this.apply(reply);
    // Replies are shared across tracers; a bound keeps a misbehaving agent from growing this without limit.
    if (this.transitions.size < MAX_TRANSITIONS) this.transitions.set(reply, next);
    return next;
  }

  private apply(text: string): LaneState {
    let reply: { targets?: unknown; target_files?: unknown; client_configs?: unknown };
    try {
      reply = JSON.parse(text) as typeof reply;
    } catch (err) {
      throw new ReplyError('reply is not JSON', { cause: err });
    }
    if (typeof reply !== 'object' || reply === null) throw new ReplyError('reply is not a JSON object');
    const clientConfigs = Array.isArray(reply.client_configs) ? reply.client_configs.map(String) : [];
    const files = Array.isArray(reply.target_files) ? (reply.target_files as Array<{ path?: unknown }>) : [];
    if (typeof reply.targets !== 'string' || reply.targets === '') {
      // No targets: dd-trace-js only removes configs no longer listed.
      const kept = this.applied.filter((c) => clientConfigs.includes(c.path));
      return kept.length === this.applied.length
        ? this
        : new LaneState(this.profile, this.targetsVersion, this.backendClientState, kept);
    }
    const targets = decodeTargets(reply.targets);
    const byPath = new Map(this.applied.map((c) => [c.path, c]));
    // Unchanged configs keep their place (dd-trace-js's Map order); new ones follow in client_configs order.
    const next: AppliedConfig[] = this.applied.filter((c) => clientConfigs.includes(c.path));
    for (const path of clientConfigs) {
      const meta = targets.targets[path];
      if (meta === undefined) throw new ReplyError(`no target for ${path}`);
      const current = byPath.get(path);
      const sha = meta.hashes.find(([a]) => a === 'sha256')?.[1];
      if (current !== undefined && hashOf(current, 'sha256') === sha) continue;
      if (!files.some((f) => f.path === path)) throw new ReplyError(`no file for ${path}`);
      const [, product, id] = /^(?:datadog\/\d+|employee)\/([^/]+)\/([^/]+)\/[^/]+$/.exec(path) ?? [];
      if (product === undefined || id === undefined) throw new ReplyError(`unparsable path ${path}`);
      const config: AppliedConfig = {
        path,
        product,
        id,
        version: meta.version,
        length: meta.length,
        hashes: meta.hashes,
      };
      const at = next.findIndex((c) => c.path === path);
      if (at >= 0) next[at] = config;
      else next.push(config);
    }
    return new LaneState(this.profile, targets.version, targets.opaqueBackendState, next);
  }
}

const MAX_TRANSITIONS = 256;

function hashOf(c: AppliedConfig, algorithm: string): string | undefined {
  return c.hashes.find(([a]) => a === algorithm)?.[1];
}

export class ReplyError extends Error {
  override readonly name = 'ReplyError';
}

interface DecodedTargets {
  readonly version: number;
  readonly opaqueBackendState: string;
  readonly targets: Readonly<
    Record<string, { length: number; version: number; hashes: ReadonlyArray<readonly [string, string]> }>
  >;
}

/** The base64 director targets.json the agent forwards (tracers check no signature, PROTOCOL.md §7). */
function decodeTargets(base64: string): DecodedTargets {
  let doc: { signed?: { version?: unknown; targets?: unknown; custom?: { opaque_backend_state?: unknown } } };
  try {
    doc = JSON.parse(Buffer.from(base64, 'base64').toString()) as typeof doc;
  } catch (err) {
    throw new ReplyError('targets is not JSON', { cause: err });
  }
  const signed = doc.signed ?? {};
  const raw = (typeof signed.targets === 'object' && signed.targets !== null ? signed.targets : {}) as Record<
    string,
    { length?: unknown; hashes?: unknown; custom?: { v?: unknown } } | null
  >;
  const targets: Record<string, DecodedTargets['targets'][string]> = {};
  for (const [path, meta] of Object.entries(raw)) {
    if (typeof meta !== 'object' || meta === null) continue;
    const hashes = typeof meta.hashes === 'object' && meta.hashes !== null ? meta.hashes : {};
    targets[path] = {
      length: typeof meta.length === 'number' ? meta.length : 0,
      version: typeof meta.custom?.v === 'number' ? meta.custom.v : 0,
      hashes: Object.entries(hashes).map(([a, h]) => [a, String(h)] as const),
    };
  }
  const custom = signed.custom;
  return {
    version: typeof signed.version === 'number' ? signed.version : 0,
    opaqueBackendState: typeof custom?.opaque_backend_state === 'string' ? custom.opaque_backend_state : '',
    targets,
  };
}
