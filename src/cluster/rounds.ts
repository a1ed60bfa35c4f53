// What replicas exchange through Redis, and the pure rules for it. Redis is never trusted: records are parsed
// defensively (a bad record is BAD_RECORD, never a crash), and a response read from Redis is only ever handed to the
// replica's Refresher, which verifies it with TUF/Uptane against its own trusted state before anything is served.
//
// Deltas: the backend answers relative to the requester's versions (config snapshot, roots, backend_client_state,
// has_error) and sends whole files only for new products. A follower may use the leader's response only when its
// request carries the same versions, asks for nothing the round did not ask for, and its state already holds the
// files of every product the round asked for as known (`covered`); otherwise it fetches itself once and is in step.
import { pb, type IClient, type ILatestConfigsRequest, type ILatestConfigsResponse } from '../proto/index.js';
import { ClusterError } from './error.js';

/** The versions a backend answer is relative to. */
export interface RoundBasis {
  readonly configSnapshot: number;
  readonly configRoot: number;
  readonly directorRoot: number;
  /** backend_client_state, base64. */
  readonly clientState: string;
  readonly hasError: boolean;
  readonly orgUuid: string;
}

/** A published round: the leader's request (as far as it matters to others) and the raw backend response. */
export interface RoundRecord {
  readonly fence: number;
  readonly leader: string;
  readonly basis: RoundBasis;
  readonly products: readonly string[];
  readonly newProducts: readonly string[];
  readonly askIds: readonly string[];
  /**
   * The leader's clock (epoch ms) when it sent the backend request: the response holds the backend's state as of
   * then, and a follower dates its freshness from it (never later than when it read the round).
   */
  readonly fetchStartedAtMs: number;
  /** The leader's clock when it published the round (fetch, verification-free encode and fenced publish done). */
  readonly publishedAtMs: number;
  /** LatestConfigsResponse protobuf bytes. */
  readonly payload: Uint8Array;
}

/** A follower's ask for the next round. */
export interface Ask {
  readonly replica: string;
  readonly basis: RoundBasis;
  readonly products: readonly string[];
  readonly newProducts: readonly string[];
  /** Products whose files the follower's state holds in full. */
  readonly covered: readonly string[];
  readonly clients: readonly IClient[];
  /** The follower's clock when it asked (the leader measures how long asks wait for a round). */
  readonly askedAtMs: number;
}

/** A replica's tracked clients and products, refreshed with a TTL. */
export interface Registration {
  readonly products: readonly string[];
  readonly clients: readonly IClient[];
}

export function basisOf(req: ILatestConfigsRequest): RoundBasis {
  return {
    configSnapshot: Number(req.currentConfigSnapshotVersion ?? 0),
    configRoot: Number(req.currentConfigRootVersion ?? 0),
    directorRoot: Number(req.currentDirectorRootVersion ?? 0),
    clientState: Buffer.from(req.backendClientState ?? new Uint8Array()).toString('base64'),
    hasError: req.hasError === true,
    orgUuid: req.orgUuid ?? '',
  };
}

export function sameBasis(a: RoundBasis, b: RoundBasis): boolean {
  return (
    a.configSnapshot === b.configSnapshot &&
    a.configRoot === b.configRoot &&
    a.directorRoot === b.directorRoot &&
    a.clientState === b.clientState &&
    a.hasError === b.hasError &&
    a.orgUuid === b.orgUuid
  );
}

/** True when the request is a full resync (first refresh after a start or a reset): only the backend answers it. */
export function isFullResync(req: ILatestConfigsRequest): boolean {
  const b = basisOf(req);
  return b.configSnapshot === 0 || b.configRoot === 0 || b.directorRoot === 0;
}

/** Can a follower whose state holds `covered` in full use `round` as the answer to `req`? */
export function roundAnswers(round: RoundRecord, req: ILatestConfigsRequest, covered: ReadonlySet<string>): boolean {
  return whyRoundCannotAnswer(round, req, covered) === undefined;
}

/** Why a follower cannot use `round` for `req` (undefined when it can). */
export function whyRoundCannotAnswer(
  round: RoundRecord,
  req: ILatestConfigsRequest,
  covered: ReadonlySet<string>,
): string | undefined {
  if (!sameBasis(round.basis, basisOf(req))) return 'other versions';
  if (round.basis.hasError) return 'the round was a full resync after an error';
  const asked = new Set([...round.products, ...round.newProducts]);
  for (const p of [...(req.products ?? []), ...(req.newProducts ?? [])]) {
    if (!asked.has(p)) return `the round did not ask for ${p}`;
  }
  // Products the round asked for as known get only changed files: the follower must hold the others already.
  for (const p of round.products) if (!covered.has(p)) return `the files of ${p} are not held here`;
  return undefined;
}

/** Can the follower that sent `ask` use `round`? (The leader's check for asks that arrived during the round.) */
export function roundAnswersAsk(round: RoundRecord, ask: Ask): boolean {
  const req: ILatestConfigsRequest = {
    currentConfigSnapshotVersion: ask.basis.configSnapshot,
    currentConfigRootVersion: ask.basis.configRoot,
    currentDirectorRootVersion: ask.basis.directorRoot,
    backendClientState: Buffer.from(ask.basis.clientState, 'base64'),
    hasError: ask.basis.hasError,
    orgUuid: ask.basis.orgUuid,
    products: [...ask.products],
    newProducts: [...ask.newProducts],
  };
  return roundAnswers(round, req, new Set(ask.covered));
}

/**
 * The leader's upstream request for a round: its own request, with the fleet's products and active clients. Products
 * an asker at the same versions does not hold in full, and products the leader itself does not hold, are asked as new
 * (whole files) so that every replica at these versions can use the answer.
 */
export function composeRoundRequest(
  own: ILatestConfigsRequest,
  ownCovered: ReadonlySet<string>,
  asks: readonly Ask[],
  registrations: readonly Registration[],
  maxClients: number,
): ILatestConfigsRequest {
  const basis = basisOf(own);
  const all = new Set<string>([...(own.products ?? []), ...(own.newProducts ?? [])]);
  const fresh = new Set<string>(own.newProducts ?? []);
  for (const r of registrations) for (const p of r.products) all.add(p);
  for (const a of asks) {
    for (const p of [...a.products, ...a.newProducts]) all.add(p);
    for (const p of a.newProducts) fresh.add(p);
  }
  for (const a of asks) {
    if (!sameBasis(a.basis, basis)) continue;
    const covered = new Set(a.covered);
    for (const p of all) if (!covered.has(p)) fresh.add(p);
  }
  for (const p of all) if (!ownCovered.has(p) && !(own.products ?? []).includes(p)) fresh.add(p);
  const clients = new Map<string, IClient>();
  const add = (c: IClient): void => {
    const prev = clients.get(c.id ?? '');
    if (!prev || Number(prev.lastSeen ?? 0) <= Number(c.lastSeen ?? 0)) clients.set(c.id ?? '', c);
  };
  for (const r of registrations) r.clients.forEach(add);
  for (const a of asks) a.clients.forEach(add);
  (own.activeClients ?? []).forEach(add);
  // Least recently seen first: over the bound, the most recent are sent.
  const sorted = [...clients.values()].sort((x, y) => Number(x.lastSeen ?? 0) - Number(y.lastSeen ?? 0));
  return {
    ...own,
    products: [...all].filter((p) => !fresh.has(p)).sort(),
    newProducts: [...fresh].sort(),
    activeClients: sorted.length > maxClients ? sorted.slice(-maxClients) : sorted,
  };
}

export function encodeRound(round: RoundRecord): string {
  return JSON.stringify({ ...round, payload: Buffer.from(round.payload).toString('base64') });
}

export function encodeResponse(response: ILatestConfigsResponse): Uint8Array {
  return pb.LatestConfigsResponse.encode(response).finish();
}

export function decodeResponse(payload: Uint8Array): ILatestConfigsResponse {
  try {
    return pb.LatestConfigsResponse.decode(payload);
  } catch (cause) {
    throw new ClusterError('BAD_RECORD', 'round payload is not a LatestConfigsResponse', { cause });
  }
}

export function decodeRound(text: string): RoundRecord {
  const o = parseObject(text, 'round');
  return {
    fence: num(o.fence, 'round.fence'),
    leader: str(o.leader, 'round.leader'),
    basis: decodeBasis(o.basis),
    products: strings(o.products, 'round.products'),
    newProducts: strings(o.newProducts, 'round.newProducts'),
    askIds: strings(o.askIds, 'round.askIds'),
    fetchStartedAtMs: num(o.fetchStartedAtMs, 'round.fetchStartedAtMs'),
    publishedAtMs: num(o.publishedAtMs, 'round.publishedAtMs'),
    payload: Buffer.from(str(o.payload, 'round.payload'), 'base64'),
  };
}

export function encodeAsk(ask: Ask): string {
  return JSON.stringify({ ...ask, clients: encodeClients(ask.clients) });
}

export function decodeAsk(text: string): Ask {
  const o = parseObject(text, 'ask');
  return {
    replica: str(o.replica, 'ask.replica'),
    basis: decodeBasis(o.basis),
    products: strings(o.products, 'ask.products'),
    newProducts: strings(o.newProducts, 'ask.newProducts'),
    covered: strings(o.covered, 'ask.covered'),
    clients: decodeClients(o.clients, 'ask.clients'),
    askedAtMs: num(o.askedAtMs, 'ask.askedAtMs'),
  };
}

export function encodeRegistration(r: Registration): string {
  return JSON.stringify({ products: r.products, clients: encodeClients(r.clients) });
}

export function decodeRegistration(text: string): Registration {
  const o = parseObject(text, 'registration');
  return {
    products: strings(o.products, 'registration.products'),
    clients: decodeClients(o.clients, 'registration.clients'),
  };
}

function encodeClients(clients: readonly IClient[]): string[] {
  return clients.map((c) => Buffer.from(pb.Client.encode(c).finish()).toString('base64'));
}

function decodeClients(v: unknown, what: string): IClient[] {
  return strings(v, what).map((s) => {
    try {
      return pb.Client.decode(Buffer.from(s, 'base64'));
    } catch (cause) {
      throw new ClusterError('BAD_RECORD', `${what}: not a Client`, { cause });
    }
  });
}

function decodeBasis(v: unknown): RoundBasis {
  const o = (typeof v === 'object' && v !== null ? v : {}) as Record<string, unknown>;
  if (typeof o.hasError !== 'boolean') throw new ClusterError('BAD_RECORD', 'basis.hasError: not a boolean');
  return {
    configSnapshot: num(o.configSnapshot, 'basis.configSnapshot'),
    configRoot: num(o.configRoot, 'basis.configRoot'),
    directorRoot: num(o.directorRoot, 'basis.directorRoot'),
    clientState: str(o.clientState, 'basis.clientState'),
    hasError: o.hasError,
    orgUuid: str(o.orgUuid, 'basis.orgUuid'),
  };
}

function parseObject(text: string, what: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (cause) {
    throw new ClusterError('BAD_RECORD', `${what}: not JSON`, { cause });
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new ClusterError('BAD_RECORD', `${what}: not an object`);
  }
  return v as Record<string, unknown>;
}

function num(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    throw new ClusterError('BAD_RECORD', `${what}: not a non-negative integer`);
  }
  return v;
}

function str(v: unknown, what: string): string {
  if (typeof v !== 'string') throw new ClusterError('BAD_RECORD', `${what}: not a string`);
  return v;
}

function strings(v: unknown, what: string): string[] {
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) {
    throw new ClusterError('BAD_RECORD', `${what}: not a list of strings`);
  }
  return v;
}
