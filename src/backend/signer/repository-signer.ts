// A signing RC backend for both repositories (PROTOCOL.md §5.8): keys, root chains, timestamp/snapshot/targets,
// per-product delegated roles, director custom fields, and the backend's LatestConfigs answer.
import { randomUUID } from 'node:crypto';
import type {
  IDelegatedMeta,
  IFile,
  ILatestConfigsRequest,
  ILatestConfigsResponse,
  ITopMeta,
} from '../../proto/index.js';
import { canonicalBytes, formatRfc3339Seconds, parseConfigPath, sha256Hex } from '../../uptane/index.js';
import { SignerError } from './error.js';
import { generateKeyPair, signHex, type KeyType, type SignerKeyPair } from './keys.js';

export type RepoName = 'config' | 'director';
export type TopRole = 'root' | 'timestamp' | 'snapshot' | 'targets';

/** One config file to publish. `custom` holds director per-target extras; the signer adds `v` itself. */
export interface SignerFile {
  readonly path: string;
  readonly raw: Uint8Array;
  readonly custom?: Readonly<Record<string, unknown>>;
}

export interface RepoSignerOptions {
  /** org ID of `datadog/<org>/…` paths (informational for the signer). Default 2. */
  orgId?: number;
  /** config snapshot `custom.org_uuid`. Default: a random UUID. */
  orgUuid?: string;
  keyType?: KeyType;
  /** keys per top-level role and their threshold. Default 1 (Datadog prod uses 2). */
  threshold?: number;
  /** lifetime of roots, snapshots and targets. Default 1 year. */
  expiresInMs?: number;
  /** lifetime of timestamps. Default 7 days. */
  timestampExpiresInMs?: number;
  /** director `custom.opaque_backend_state`, a base64 string written verbatim. Default: base64 of a small JSON. */
  opaqueBackendState?: string;
  /** director `custom.agent_refresh_interval` (integer seconds); omitted when unset. */
  agentRefreshIntervalS?: number;
  /** send `File.path` as `<dir>/<sha256>.<base>` instead of the plain path. */
  consistentSnapshotPaths?: boolean;
  /** published generations remembered for delta answers; older clients get a full resend. Default 64. */
  maxGenerations?: number;
}

interface ResolvedOptions {
  readonly orgId: number;
  readonly orgUuid: string;
  readonly keyType: KeyType;
  readonly threshold: number;
  readonly expiresInMs: number;
  readonly timestampExpiresInMs: number;
  readonly opaqueBackendState: string;
  readonly agentRefreshIntervalS: number | undefined;
  readonly consistentSnapshotPaths: boolean;
  readonly maxGenerations: number;
}

const YEAR_MS = 365 * 24 * 3600 * 1000;
const WEEK_MS = 7 * 24 * 3600 * 1000;
const DEFAULT_OPAQUE_BACKEND_STATE = Buffer.from('{"backend":"rc-agent-signer"}').toString('base64');

/** Everything needed to resume a signer (keys, root chains, versions, file versions, the last published files). */
export interface SignerKeysJson {
  readonly format: 1;
  readonly options: ResolvedOptions;
  readonly repos: Readonly<Record<RepoName, RepoKeysJson>>;
  readonly productKeys: Readonly<Record<string, SignerKeyPair>>;
  readonly products: readonly string[];
  readonly versions: {
    readonly configSnapshot: number;
    readonly directorMeta: number;
    readonly directorTargets: number;
  };
  readonly fileVersions: Readonly<Record<string, { readonly v: number; readonly sha256: string }>>;
  readonly files: readonly { readonly path: string; readonly raw: string; readonly custom?: Record<string, unknown> }[];
}

interface RepoKeysJson {
  /** base64 raw roots, v1 first */
  readonly roots: readonly string[];
  readonly keys: Readonly<Record<TopRole, readonly SignerKeyPair[]>>;
}

interface RepoKeys {
  readonly roots: Uint8Array[];
  keys: Record<TopRole, SignerKeyPair[]>;
  rootExpiresMs: number;
}

/** A signed document as served. */
interface SignedDoc {
  readonly version: number;
  readonly raw: Uint8Array;
  readonly expiresMs: number;
  /** what was signed, minus version/expiry, plus signing key ids: equal keys mean the doc can be reused */
  readonly contentKey: string;
}

interface FileEntry {
  readonly path: string;
  readonly raw: Uint8Array;
  readonly sha256: string;
  readonly product: string;
  readonly custom: Readonly<Record<string, unknown>>;
  readonly v: number;
}

interface DirectorView {
  readonly timestamp: SignedDoc;
  readonly snapshot: SignedDoc;
  readonly targets: SignedDoc;
}

interface Generation {
  /** = config snapshot (and timestamp) version */
  readonly id: number;
  readonly nowMs: number;
  readonly timestamp: SignedDoc;
  readonly snapshot: SignedDoc;
  readonly topTargets: SignedDoc;
  readonly delegated: ReadonlyMap<string, SignedDoc>;
  readonly files: ReadonlyMap<string, FileEntry>;
  /** director repo per requested product set, signed lazily */
  readonly views: Map<string, DirectorView>;
}

/** Raw latest documents, for crafting attacks. */
export interface CurrentMetas {
  readonly config: {
    readonly roots: readonly Uint8Array[];
    readonly timestamp?: Uint8Array;
    readonly snapshot?: Uint8Array;
    readonly targets?: Uint8Array;
    readonly delegated: Readonly<Record<string, Uint8Array>>;
  };
  readonly director: {
    readonly roots: readonly Uint8Array[];
    readonly timestamp?: Uint8Array;
    readonly snapshot?: Uint8Array;
    readonly targets?: Uint8Array;
  };
}

export interface SignerVersions {
  readonly configRoot: number;
  readonly configSnapshot: number;
  readonly directorRoot: number;
  /** director targets version of the all-products view (0 before the first publish) */
  readonly directorTargets: number;
}

export class RepositorySigner {
  private readonly opts: ResolvedOptions;
  private readonly repos: Record<RepoName, RepoKeys>;
  private readonly productKeys: Map<string, SignerKeyPair>;
  private readonly products = new Set<string>();
  private readonly fileVersions = new Map<string, { v: number; sha256: string }>();
  private files = new Map<string, FileEntry>();
  private configSnapshotVersion = 0;
  private directorMetaVersion = 0;
  private directorTargetsVersion = 0;
  /** latest director targets per product-set key, reused while unchanged */
  private readonly directorTargetsByView = new Map<string, SignedDoc>();
  private readonly generations = new Map<number, Generation>();
  private current: Generation | undefined;

  private constructor(
    opts: ResolvedOptions,
    repos: Record<RepoName, RepoKeys>,
    productKeys: Map<string, SignerKeyPair>,
  ) {
    this.opts = opts;
    this.repos = repos;
    this.productKeys = productKeys;
  }

  static create(options: RepoSignerOptions, nowMs: number): RepositorySigner {
    const opts = resolveOptions(options);
    const newRepo = (): RepoKeys => ({
      roots: [],
      keys: {
        root: generateKeys(opts.keyType, opts.threshold),
        timestamp: generateKeys(opts.keyType, opts.threshold),
        snapshot: generateKeys(opts.keyType, opts.threshold),
        targets: generateKeys(opts.keyType, opts.threshold),
      },
      rootExpiresMs: 0,
    });
    const signer = new RepositorySigner(opts, { config: newRepo(), director: newRepo() }, new Map());
    for (const repo of REPOS) signer.appendRoot(repo, nowMs, signer.repos[repo].keys.root);
    return signer;
  }

  static fromJSON(json: SignerKeysJson, nowMs: number): RepositorySigner {
    if (json.format !== 1)
      throw new SignerError('INVALID_STATE', `unsupported signer state format ${String(json.format)}`);
    try {
      const opts = resolveOptions(json.options);
      const repos = {} as Record<RepoName, RepoKeys>;
      for (const repo of REPOS) {
        const r = json.repos[repo];
        const roots = r.roots.map((b64) => new Uint8Array(Buffer.from(b64, 'base64')));
        const last = roots.at(-1);
        if (last === undefined) throw new Error(`no ${repo} root`);
        const lastSigned = (JSON.parse(Buffer.from(last).toString('utf8')) as { signed: { expires: string } }).signed;
        repos[repo] = {
          roots,
          keys: {
            root: [...r.keys.root],
            timestamp: [...r.keys.timestamp],
            snapshot: [...r.keys.snapshot],
            targets: [...r.keys.targets],
          },
          rootExpiresMs: Date.parse(lastSigned.expires),
        };
      }
      const signer = new RepositorySigner(opts, repos, new Map(Object.entries(json.productKeys)));
      for (const p of json.products) signer.products.add(p);
      for (const [path, fv] of Object.entries(json.fileVersions)) signer.fileVersions.set(path, { ...fv });
      signer.configSnapshotVersion = json.versions.configSnapshot;
      signer.directorMetaVersion = json.versions.directorMeta;
      signer.directorTargetsVersion = json.versions.directorTargets;
      if (json.versions.configSnapshot > 0) {
        // Resume with a fresh generation: versions keep increasing, file versions are kept.
        signer.files = signer.buildFileEntries(
          json.files.map((f) => ({
            path: f.path,
            raw: new Uint8Array(Buffer.from(f.raw, 'base64')),
            custom: f.custom,
          })),
        );
        signer.newGeneration(nowMs, true);
      }
      return signer;
    } catch (err) {
      if (err instanceof SignerError) throw err;
      throw new SignerError('INVALID_STATE', 'signer state cannot be resumed', { cause: err });
    }
  }

  toJSON(): SignerKeysJson {
    const repos = {} as Record<RepoName, RepoKeysJson>;
    for (const repo of REPOS) {
      const r = this.repos[repo];
      repos[repo] = { roots: r.roots.map((raw) => Buffer.from(raw).toString('base64')), keys: { ...r.keys } };
    }
    return {
      format: 1,
      options: { ...this.opts },
      repos,
      productKeys: Object.fromEntries(this.productKeys),
      products: [...this.products].sort(),
      versions: {
        configSnapshot: this.configSnapshotVersion,
        directorMeta: this.directorMetaVersion,
        directorTargets: this.directorTargetsVersion,
      },
      fileVersions: Object.fromEntries([...this.fileVersions].map(([p, fv]) => [p, { ...fv }])),
      files: [...this.files.values()].map((f) => ({
        path: f.path,
        raw: Buffer.from(f.raw).toString('base64'),
        ...(Object.keys(f.custom).length > 0 ? { custom: { ...f.custom } } : {}),
      })),
    };
  }

  get orgUuid(): string {
    return this.opts.orgUuid;
  }

  get orgId(): number {
    return this.opts.orgId;
  }

  /** The pinned v1 root bytes. */
  rootV1(repo: RepoName): Uint8Array {
    return this.repos[repo].roots[0]!;
  }

  /** Every root of `repo`, v1 first. */
  roots(repo: RepoName): readonly Uint8Array[] {
    return [...this.repos[repo].roots];
  }

  /** The highest versions issued so far: a change means the persisted state is behind what was served. */
  issuedVersionsKey(): string {
    return `${this.configSnapshotVersion}/${this.directorMetaVersion}/${this.directorTargetsVersion}`;
  }

  versions(): SignerVersions {
    const full = this.current === undefined ? undefined : this.view(this.current, [...this.products].sort());
    return {
      configRoot: this.repos.config.roots.length,
      configSnapshot: this.configSnapshotVersion,
      directorRoot: this.repos.director.roots.length,
      directorTargets: full?.targets.version ?? 0,
    };
  }

  /**
   * Root rotation (§5.8 item 2): version N+1 with new root keys, signed by the old and the new root keys.
   * With `rotateRoles`, timestamp/snapshot/targets keys change too and everything is re-signed.
   */
  rotateRoot(repo: RepoName, nowMs: number, opts: { rotateRoles?: boolean } = {}): void {
    const r = this.repos[repo];
    const oldRootKeys = r.keys.root;
    r.keys.root = generateKeys(this.opts.keyType, this.opts.threshold);
    if (opts.rotateRoles === true) {
      r.keys.timestamp = generateKeys(this.opts.keyType, this.opts.threshold);
      r.keys.snapshot = generateKeys(this.opts.keyType, this.opts.threshold);
      r.keys.targets = generateKeys(this.opts.keyType, this.opts.threshold);
    }
    this.appendRoot(repo, nowMs, [...oldRootKeys, ...r.keys.root]);
    if (opts.rotateRoles === true && this.current !== undefined) this.newGeneration(nowMs, false);
  }

  /**
   * Set the full target set and re-sign what changed. Returns false when nothing changed.
   * Director targets version = max(epoch seconds, previous + 1).
   */
  publish(files: readonly SignerFile[], nowMs: number): boolean {
    const entries = this.buildFileEntries(files);
    if (this.current !== undefined && sameFiles(this.files, entries)) return false;
    this.files = entries;
    this.newGeneration(nowMs, false);
    return true;
  }

  /**
   * Re-sign what expires within half its lifetime (timestamps, and snapshots/targets/roles and roots likewise),
   * bumping versions. Returns true if anything was re-signed.
   */
  refreshTimestamps(nowMs: number): boolean {
    let changed = false;
    for (const repo of REPOS) {
      const r = this.repos[repo];
      if (nearExpiry(r.rootExpiresMs, this.opts.expiresInMs, nowMs)) {
        this.appendRoot(repo, nowMs, r.keys.root);
        changed = true;
      }
    }
    const g = this.current;
    if (g === undefined) return changed;
    const full = this.view(g, [...this.products].sort());
    const stale =
      nearExpiry(g.timestamp.expiresMs, this.opts.timestampExpiresInMs, nowMs) ||
      nearExpiry(full.timestamp.expiresMs, this.opts.timestampExpiresInMs, nowMs) ||
      [g.snapshot, g.topTargets, ...g.delegated.values(), full.snapshot, full.targets].some((d) =>
        nearExpiry(d.expiresMs, this.opts.expiresInMs, nowMs),
      );
    if (!stale) return changed;
    this.newGeneration(nowMs, false);
    return true;
  }

  /** The backend's answer to one `LatestConfigsRequest` (§5.8 items 2, 6, 8). */
  latestConfigs(req: ILatestConfigsRequest): ILatestConfigsResponse {
    const configRootVersion = Number(req.currentConfigRootVersion ?? 0);
    const directorRootVersion = Number(req.currentDirectorRootVersion ?? 0);
    const snapshotVersion = Number(req.currentConfigSnapshotVersion ?? 0);
    const newProducts = new Set(req.newProducts ?? []);
    const products = [...new Set([...(req.products ?? []), ...newProducts])].sort();
    const full = req.hasError === true || configRootVersion === 0 || directorRootVersion === 0 || snapshotVersion === 0;

    const configRoots = this.rootsAbove('config', configRootVersion);
    const directorRoots = this.rootsAbove('director', directorRootVersion);
    const g = this.current;
    if (g === undefined) {
      return { configMetas: { roots: configRoots }, directorMetas: { roots: directorRoots }, targetFiles: [] };
    }
    const known = full ? undefined : this.generations.get(snapshotVersion);

    const configMetas: {
      roots: ITopMeta[];
      timestamp?: ITopMeta;
      snapshot?: ITopMeta;
      topTargets?: ITopMeta;
      delegatedTargets: IDelegatedMeta[];
    } = {
      roots: configRoots,
      delegatedTargets: [],
    };
    if (known !== g) {
      configMetas.timestamp = topMeta(g.timestamp);
      configMetas.snapshot = topMeta(g.snapshot);
      // The backend re-sends top-level targets and roles only when their version changed (§1).
      if (known?.topTargets.version !== g.topTargets.version) configMetas.topTargets = topMeta(g.topTargets);
      for (const [role, doc] of g.delegated) {
        if (known?.delegated.get(role)?.version !== doc.version) {
          configMetas.delegatedTargets.push({ version: doc.version, role, raw: doc.raw });
        }
      }
    }
    const directorMetas: { roots: ITopMeta[]; timestamp?: ITopMeta; snapshot?: ITopMeta; targets?: ITopMeta } = {
      roots: directorRoots,
    };
    if (known !== g || newProducts.size > 0) {
      // Views of different product sets share one version sequence: serve the latest signed one, so a client moving
      // between views never sees a version go down.
      const view = this.view(g, products, true);
      directorMetas.timestamp = topMeta(view.timestamp);
      directorMetas.snapshot = topMeta(view.snapshot);
      directorMetas.targets = topMeta(view.targets);
    }

    const productSet = new Set(products);
    const targetFiles: IFile[] = [];
    for (const f of g.files.values()) {
      if (!productSet.has(f.product)) continue;
      // Send only files new or changed since the client's generation; new products get everything (§5.8 item 6).
      const unchanged =
        known !== undefined && !newProducts.has(f.product) && known.files.get(f.path)?.sha256 === f.sha256;
      if (unchanged) continue;
      targetFiles.push({ path: this.servedPath(f), raw: f.raw });
    }
    return { configMetas, directorMetas, targetFiles };
  }

  /** Sign `signed` as `role` of `repo` (delegated roles by product name); `wrongKey` signs with fresh unknown keys. */
  signRaw(
    repo: RepoName,
    role: string,
    signed: Record<string, unknown>,
    opts: { wrongKey?: boolean } = {},
  ): Uint8Array {
    let keys: readonly SignerKeyPair[];
    if (role === 'root' || role === 'timestamp' || role === 'snapshot' || role === 'targets') {
      keys = this.repos[repo].keys[role];
    } else {
      const k = repo === 'config' ? this.productKeys.get(role) : undefined;
      if (k === undefined) throw new SignerError('UNKNOWN_ROLE', `no ${repo} role ${role}`);
      keys = [k];
    }
    if (opts.wrongKey === true) keys = generateKeys(this.opts.keyType, keys.length);
    return envelope(signed, keys);
  }

  /** Latest raw documents; the director ones are the all-products view. */
  currentMetas(): CurrentMetas {
    const g = this.current;
    const full = g === undefined ? undefined : this.view(g, [...this.products].sort());
    return {
      config: {
        roots: this.roots('config'),
        timestamp: g?.timestamp.raw,
        snapshot: g?.snapshot.raw,
        targets: g?.topTargets.raw,
        delegated: Object.fromEntries([...(g?.delegated ?? new Map<string, SignedDoc>())].map(([k, d]) => [k, d.raw])),
      },
      director: {
        roots: this.roots('director'),
        timestamp: full?.timestamp.raw,
        snapshot: full?.snapshot.raw,
        targets: full?.targets.raw,
      },
    };
  }

  private rootsAbove(repo: RepoName, version: number): ITopMeta[] {
    return this.repos[repo].roots.slice(Math.max(0, version)).map((raw, i) => ({ version: version + i + 1, raw }));
  }

  private servedPath(f: FileEntry): string {
    if (!this.opts.consistentSnapshotPaths) return f.path;
    const slash = f.path.lastIndexOf('/');
    return `${f.path.slice(0, slash)}/${f.sha256}.${f.path.slice(slash + 1)}`;
  }

  private appendRoot(repo: RepoName, nowMs: number, signingKeys: readonly SignerKeyPair[]): void {
    const r = this.repos[repo];
    const version = r.roots.length + 1;
    const expiresMs = nowMs + this.opts.expiresInMs;
    const keys: Record<string, unknown> = {};
    const roles: Record<string, unknown> = {};
    for (const role of ['root', 'snapshot', 'targets', 'timestamp'] as const) {
      for (const k of r.keys[role]) keys[k.keyId] = k.publicKey;
      roles[role] = { keyids: r.keys[role].map((k) => k.keyId), threshold: this.opts.threshold };
    }
    const signed = {
      _type: 'root',
      spec_version: '1.0',
      version,
      expires: formatRfc3339Seconds(expiresMs),
      keys,
      roles,
      consistent_snapshot: true,
    };
    r.roots.push(envelope(signed, signingKeys));
    r.rootExpiresMs = Math.floor(expiresMs / 1000) * 1000;
  }

  private buildFileEntries(files: readonly SignerFile[]): Map<string, FileEntry> {
    const entries = new Map<string, FileEntry>();
    for (const f of [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
      let product: string;
      try {
        product = parseConfigPath(f.path).product;
      } catch (err) {
        throw new SignerError('INVALID_PATH', `cannot publish '${f.path}': not a config path`, { cause: err });
      }
      if (entries.has(f.path)) throw new SignerError('INVALID_PATH', `duplicate path '${f.path}'`);
      const sha256 = sha256Hex(f.raw);
      const prev = this.fileVersions.get(f.path);
      const v = prev === undefined ? 1 : prev.sha256 === sha256 ? prev.v : prev.v + 1;
      this.fileVersions.set(f.path, { v, sha256 });
      const custom: Record<string, unknown> = { ...(f.custom ?? {}) };
      delete custom.v;
      entries.set(f.path, { path: f.path, raw: new Uint8Array(f.raw), sha256, product, custom, v });
    }
    return entries;
  }

  /** Sign a new config generation (timestamp and snapshot move in tandem) and the all-products director view. */
  private newGeneration(nowMs: number, resignAll: boolean): void {
    const prev = this.current;
    const id = ++this.configSnapshotVersion;
    for (const f of this.files.values()) this.products.add(f.product);
    const products = [...this.products].sort();
    const reuse = (old: SignedDoc | undefined, contentKey: string): old is SignedDoc =>
      !resignAll &&
      old !== undefined &&
      old.contentKey === contentKey &&
      !nearExpiry(old.expiresMs, this.opts.expiresInMs, nowMs);

    const delegated = new Map<string, SignedDoc>();
    for (const product of products) {
      let key = this.productKeys.get(product);
      if (key === undefined) {
        key = generateKeyPair(this.opts.keyType);
        this.productKeys.set(product, key);
      }
      const targets: Record<string, unknown> = {};
      for (const f of this.files.values()) {
        if (f.product === product)
          targets[f.path] = { length: f.raw.length, hashes: { sha256: f.sha256 }, custom: { v: f.v } };
      }
      const contentKey = contentKeyOf({ targets }, [key]);
      const old = prev?.delegated.get(product);
      delegated.set(
        product,
        reuse(old, contentKey)
          ? old
          : this.sign(id, nowMs, this.opts.expiresInMs, { _type: 'targets', targets }, [key], contentKey),
      );
    }

    const r = this.repos.config;
    const delegations = {
      keys: Object.fromEntries(
        products.map((p) => [this.productKeys.get(p)!.keyId, this.productKeys.get(p)!.publicKey]),
      ),
      roles: products.map((p) => ({
        name: p,
        keyids: [this.productKeys.get(p)!.keyId],
        threshold: 1,
        terminating: false,
        paths: [`datadog/*/${p}/*/*`, `employee/${p}/*/*`],
      })),
    };
    const topContent = { targets: {}, delegations };
    const topKey = contentKeyOf(topContent, r.keys.targets);
    const topTargets = reuse(prev?.topTargets, topKey)
      ? prev.topTargets
      : this.sign(id, nowMs, this.opts.expiresInMs, { _type: 'targets', ...topContent }, r.keys.targets, topKey);

    const meta: Record<string, { version: number }> = { 'targets.json': { version: topTargets.version } };
    for (const [role, doc] of delegated) meta[`${role}.json`] = { version: doc.version };
    const snapshotContent = { meta, custom: { org_uuid: this.opts.orgUuid } };
    const snapshot = this.sign(
      id,
      nowMs,
      this.opts.expiresInMs,
      { _type: 'snapshot', ...snapshotContent },
      r.keys.snapshot,
      '',
    );
    const timestamp = this.sign(
      id,
      nowMs,
      this.opts.timestampExpiresInMs,
      { _type: 'timestamp', meta: snapshotMetaOf(snapshot) },
      r.keys.timestamp,
      '',
    );

    const g: Generation = {
      id,
      nowMs,
      timestamp,
      snapshot,
      topTargets,
      delegated,
      files: this.files,
      views: new Map(),
    };
    this.generations.set(id, g);
    for (const old of this.generations.keys()) {
      if (this.generations.size <= this.opts.maxGenerations) break;
      this.generations.delete(old);
    }
    this.current = g;
    this.view(g, products);
  }

  /**
   * The director repo for one product set in generation `g`, signed once per generation and set; with `latest`,
   * re-signed unless its versions are the highest issued.
   */
  private view(g: Generation, products: readonly string[], latest = false): DirectorView {
    const viewKey = products.join(',');
    const isLatest = (v: DirectorView): boolean =>
      v.timestamp.version === this.directorMetaVersion && v.targets.version === this.directorTargetsVersion;
    const cached = g.views.get(viewKey);
    if (cached !== undefined && (!latest || isLatest(cached))) return cached;
    const r = this.repos.director;
    const productSet = new Set(products);
    const targets: Record<string, unknown> = {};
    for (const f of g.files.values()) {
      if (productSet.has(f.product)) {
        targets[f.path] = { length: f.raw.length, hashes: { sha256: f.sha256 }, custom: { ...f.custom, v: f.v } };
      }
    }
    const custom: Record<string, unknown> = { opaque_backend_state: this.opts.opaqueBackendState };
    if (this.opts.agentRefreshIntervalS !== undefined) custom.agent_refresh_interval = this.opts.agentRefreshIntervalS;
    const content = { targets, custom };
    const contentKey = contentKeyOf(content, r.keys.targets);
    const old = this.directorTargetsByView.get(viewKey);
    let targetsDoc: SignedDoc;
    if (
      old !== undefined &&
      old.contentKey === contentKey &&
      !nearExpiry(old.expiresMs, this.opts.expiresInMs, g.nowMs) &&
      (!latest || old.version === this.directorTargetsVersion)
    ) {
      targetsDoc = old;
    } else {
      // Director targets versions are epoch seconds, strictly increasing (§5.7).
      this.directorTargetsVersion = Math.max(Math.floor(g.nowMs / 1000), this.directorTargetsVersion + 1);
      targetsDoc = this.sign(
        this.directorTargetsVersion,
        g.nowMs,
        this.opts.expiresInMs,
        { _type: 'targets', ...content },
        r.keys.targets,
        contentKey,
      );
      this.directorTargetsByView.set(viewKey, targetsDoc);
    }
    const metaVersion = ++this.directorMetaVersion;
    const snapshot = this.sign(
      metaVersion,
      g.nowMs,
      this.opts.expiresInMs,
      { _type: 'snapshot', meta: { 'targets.json': { version: targetsDoc.version } } },
      r.keys.snapshot,
      '',
    );
    const timestamp = this.sign(
      metaVersion,
      g.nowMs,
      this.opts.timestampExpiresInMs,
      { _type: 'timestamp', meta: snapshotMetaOf(snapshot) },
      r.keys.timestamp,
      '',
    );
    const view = { timestamp, snapshot, targets: targetsDoc };
    g.views.set(viewKey, view);
    return view;
  }

  private sign(
    version: number,
    nowMs: number,
    lifetimeMs: number,
    body: { _type: string } & Record<string, unknown>,
    keys: readonly SignerKeyPair[],
    contentKey: string,
  ): SignedDoc {
    const expiresMs = Math.floor((nowMs + lifetimeMs) / 1000) * 1000;
    const { _type, ...rest } = body;
    const signed = { _type, spec_version: '1.0', version, expires: formatRfc3339Seconds(expiresMs), ...rest };
    return { version, raw: envelope(signed, keys), expiresMs, contentKey };
  }
}

const REPOS: readonly RepoName[] = ['config', 'director'];

function resolveOptions(o: RepoSignerOptions): ResolvedOptions {
  const threshold = o.threshold ?? 1;
  if (!Number.isInteger(threshold) || threshold < 1)
    throw new RangeError(`threshold must be an integer >= 1, got ${threshold}`);
  return {
    orgId: o.orgId ?? 2,
    orgUuid: o.orgUuid ?? randomUUID(),
    keyType: o.keyType ?? 'ed25519',
    threshold,
    expiresInMs: o.expiresInMs ?? YEAR_MS,
    timestampExpiresInMs: o.timestampExpiresInMs ?? WEEK_MS,
    opaqueBackendState: o.opaqueBackendState ?? DEFAULT_OPAQUE_BACKEND_STATE,
    agentRefreshIntervalS: o.agentRefreshIntervalS,
    consistentSnapshotPaths: o.consistentSnapshotPaths ?? false,
    maxGenerations: o.maxGenerations ?? 64,
  };
}

function generateKeys(type: KeyType, count: number): SignerKeyPair[] {
  return Array.from({ length: count }, () => generateKeyPair(type));
}

/** `{"signatures":[…],"signed":{…}}`, each signature over canonical(signed) (§5.3, §5.8 item 10). */
function envelope(signed: Record<string, unknown>, keys: readonly SignerKeyPair[]): Uint8Array {
  const message = canonicalBytes(signed);
  const signatures = keys.map((k) => ({ keyid: k.keyId, sig: signHex(k, message) }));
  return new Uint8Array(Buffer.from(JSON.stringify({ signatures, signed })));
}

/** Timestamp meta over the exact snapshot bytes served (§5.2). */
function snapshotMetaOf(snapshot: SignedDoc): Record<string, unknown> {
  return {
    'snapshot.json': {
      version: snapshot.version,
      length: snapshot.raw.length,
      hashes: { sha256: sha256Hex(snapshot.raw) },
    },
  };
}

function topMeta(doc: SignedDoc): ITopMeta {
  return { version: doc.version, raw: doc.raw };
}

function contentKeyOf(content: unknown, keys: readonly SignerKeyPair[]): string {
  return sha256Hex(canonicalBytes({ content, keys: keys.map((k) => k.keyId) }));
}

function nearExpiry(expiresMs: number, lifetimeMs: number, nowMs: number): boolean {
  return nowMs >= expiresMs - lifetimeMs / 2;
}

function sameFiles(a: ReadonlyMap<string, FileEntry>, b: ReadonlyMap<string, FileEntry>): boolean {
  if (a.size !== b.size) return false;
  for (const [path, fa] of a) {
    const fb = b.get(path);
    if (fb === undefined || fb.sha256 !== fa.sha256) return false;
    if (!canonicalBytes(fa.custom).equals(canonicalBytes(fb.custom))) return false;
  }
  return true;
}
