// The backend simulator (`rc-agent backend`): the RC backend's HTTP protocol (PROTOCOL.md §1) over a signed
// repository built from a config directory, with latency, a request-rate limit, faults and attack modes.
import { setMaxListeners } from 'node:events';
import { join } from 'node:path';
import type { Socket } from 'node:net';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import semver from 'semver';
import { pb } from '../proto/index.js';
import { MIN_UPSTREAM_AGENT_VERSION } from '../version.js';
import type { ILatestConfigsRequest } from '../proto/index.js';
import { applyAttack } from './attacks.js';
import { decodeLatestConfigsRequest } from './decode-request.js';
import { DEFAULT_POLL_INTERVAL_MS } from './config-dir-watcher.js';
import { BackendError } from './error.js';
import { RequestRateLimiter } from './request-rate-limiter.js';
import { SignedConfigSource, writePrivateFileAtomic } from './signed-source.js';
import { ATTACK_MODES, FAULT_MODES, type AttackMode, type FaultMode, type PinnedRoots } from './types.js';

export interface BackendSimulatorOptions {
  /** 0 (default) picks a free port. */
  readonly port?: number;
  /** Default 127.0.0.1. */
  readonly host?: string;
  readonly configsDir: string;
  /** Keeps the signer keys across runs (`signer.json`) and writes the v1 roots (`config-root.json`, `director-root.json`). */
  readonly stateDir?: string;
  /** When set, every request must carry it as `DD-Api-Key` (else 401). */
  readonly apiKey?: string;
  /** Delay before every answer. */
  readonly rttMs?: number;
  /** Requests per second over all endpoints; beyond it 429 with Retry-After. */
  readonly rateLimitPerS?: number;
  readonly fault?: FaultMode;
  readonly attack?: AttackMode;
  /** Org ID in target paths (`datadog/<org_id>/…`), default 2. */
  readonly orgId?: number;
  /** Director `custom.agent_refresh_interval` (PROTOCOL.md §4.6 override). */
  readonly agentRefreshIntervalS?: number;
  /** Periodic rescan of `configsDir` besides fs.watch; default 2000, 0 disables it. */
  readonly pollIntervalMs?: number;
  readonly now?: () => number;
  /** Waits `rttMs`; tests inject it to hold answers deterministically. */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly log?: (line: string) => void;
}

export interface BackendSimulatorStats {
  /** `POST /api/v0.1/configurations` received, whatever the answer. */
  configurationsRequests: number;
  lastRequest?: ILatestConfigsRequest;
  /** The last 1000 decoded requests, oldest first. */
  requests: ILatestConfigsRequest[];
  /** Answers by HTTP status (or `hang`/`reset`), all endpoints. */
  responses: Record<string, number>;
}

export interface BackendSimulator {
  readonly url: string;
  readonly pinnedRoots: PinnedRoots;
  readonly orgUuid: string;
  readonly stats: BackendSimulatorStats;
  setFault(fault: FaultMode): void;
  setAttack(attack: AttackMode): void;
  setRttMs(ms: number): void;
  /** The key every request must carry from now on (a key rotated at the backend); undefined accepts any. */
  setApiKey(apiKey: string | undefined): void;
  /** Re-reads `configsDir` now; resolves once every edit made before the call is published. */
  rescan(): Promise<void>;
  close(): Promise<void>;
}

export const SIGNER_STATE_FILE = 'signer.json';
export const CONFIG_ROOT_FILE = 'config-root.json';
export const DIRECTOR_ROOT_FILE = 'director-root.json';
const MAX_RECORDED_REQUESTS = 1000;
const MAX_BODY_BYTES = 16 * 1024 * 1024;
/** What a misbehaving proxy might return with a 200: not protobuf (it fails to decode as any of the messages). */
const GARBAGE = Buffer.from('<html><body>502 Bad Gateway</body></html>\n');
const PROTOBUF = 'application/x-protobuf';
const DRIP_BODY_BYTES = 1024 * 1024;
const DRIP_BYTE_INTERVAL_MS = 1_000;
const DRIP_BYTE = Buffer.from([0x0a]);

export async function startBackendSimulator(opts: BackendSimulatorOptions): Promise<BackendSimulator> {
  const now = opts.now ?? Date.now;
  const log = opts.log ?? (() => undefined);
  const sleep = opts.sleep ?? defaultSleep;
  let fault = checkMode(opts.fault ?? 'none', FAULT_MODES, 'fault');
  let attack = checkMode(opts.attack ?? 'none', ATTACK_MODES, 'attack');
  let rttMs = checkNonNegative(opts.rttMs ?? 0, 'rttMs');
  let requiredApiKey = opts.apiKey;
  const limiter =
    opts.rateLimitPerS === undefined || opts.rateLimitPerS === 0
      ? undefined
      : new RequestRateLimiter(opts.rateLimitPerS, now());

  const source = await SignedConfigSource.open({
    dir: opts.configsDir,
    orgId: opts.orgId ?? 2,
    ...(opts.stateDir === undefined ? {} : { stateFile: join(opts.stateDir, SIGNER_STATE_FILE) }),
    ...(opts.agentRefreshIntervalS === undefined ? {} : { agentRefreshIntervalS: opts.agentRefreshIntervalS }),
    pollIntervalMs: opts.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS,
    now,
    log,
  });
  if (opts.stateDir !== undefined) {
    writePrivateFileAtomic(join(opts.stateDir, CONFIG_ROOT_FILE), source.pinnedRoots.config);
    writePrivateFileAtomic(join(opts.stateDir, DIRECTOR_ROOT_FILE), source.pinnedRoots.director);
  }

  const stats: BackendSimulatorStats = { configurationsRequests: 0, requests: [], responses: {} };
  const closing = new AbortController();
  // every connection held by a hang or drip fault waits on it (each removes its listener when it goes)
  setMaxListeners(0, closing.signal);
  const count = (outcome: string): void => {
    stats.responses[outcome] = (stats.responses[outcome] ?? 0) + 1;
  };

  // keepAliveTimeout above the agent's 30 s idle timeout, so the agent closes first (reference http.go).
  const app = Fastify({
    logger: false,
    forceCloseConnections: true,
    keepAliveTimeout: 35_000,
    bodyLimit: MAX_BODY_BYTES,
  });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  /** The common front of every endpoint; returns false when it already answered. */
  async function admit(request: FastifyRequest, reply: FastifyReply): Promise<boolean> {
    if (rttMs > 0) await sleep(rttMs);
    switch (fault) {
      case 'none':
        break;
      case '500':
      case '503':
      case '504':
        count(fault);
        await reply.code(Number(fault)).type('text/plain').send(`simulated fault ${fault}\n`);
        return false;
      case 'hang':
        count('hang');
        await holdUntilGone(request.raw.socket, closing.signal);
        reply.hijack();
        request.raw.socket.destroy();
        return false;
      case 'reset':
        count('reset');
        reply.hijack();
        // TCP RST rather than a clean FIN, like a crashing load balancer.
        request.raw.socket.resetAndDestroy();
        return false;
      case 'garbage':
        count('200');
        await reply.code(200).type(PROTOBUF).send(GARBAGE);
        return false;
      case 'drip':
        count('drip');
        reply.hijack();
        await dripUntilGone(request.raw.socket, closing.signal);
        return false;
    }
    if (requiredApiKey !== undefined && request.headers['dd-api-key'] !== requiredApiKey) {
      count('401');
      await reply.code(401).type('application/json').send('{"errors":["Unauthorized"]}');
      return false;
    }
    const waitMs = limiter?.take(now()) ?? 0;
    if (waitMs > 0) {
      count('429');
      await reply
        .code(429)
        .header('retry-after', String(Math.max(1, Math.ceil(waitMs / 1000))))
        .type('application/json')
        .send('{"errors":["Too many requests"]}');
      return false;
    }
    return true;
  }

  async function sendProtobuf(reply: FastifyReply, bytes: Uint8Array): Promise<void> {
    count('200');
    await reply
      .code(200)
      .type(PROTOBUF)
      .send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  }

  async function badRequest(reply: FastifyReply, message: string): Promise<void> {
    count('400');
    await reply.code(400).type('text/plain').send(`${message}\n`);
  }

  app.post('/api/v0.1/configurations', async (request, reply) => {
    stats.configurationsRequests++;
    if (!(await admit(request, reply))) return;
    const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    let req: ILatestConfigsRequest;
    try {
      req = decodeLatestConfigsRequest(body);
    } catch (err) {
      await badRequest(reply, `cannot decode LatestConfigsRequest: ${(err as Error).message}`);
      return;
    }
    stats.lastRequest = req;
    stats.requests.push(req);
    if (stats.requests.length > MAX_RECORDED_REQUESTS) stats.requests.shift();
    // PROTOCOL.md §1: the backend rejects an empty or old agentVersion.
    if (!req.agentVersion) {
      await badRequest(reply, 'agentVersion is required');
      return;
    }
    if (semver.valid(req.agentVersion) === null || semver.lt(req.agentVersion, MIN_UPSTREAM_AGENT_VERSION)) {
      await badRequest(reply, `agentVersion ${req.agentVersion} is below ${MIN_UPSTREAM_AGENT_VERSION}`);
      return;
    }
    const honest = source.latestConfigs(req);
    const response = attack === 'none' ? honest : applyAttack(attack, source.signer, req, honest, now());
    await sendProtobuf(reply, pb.LatestConfigsResponse.encode(response).finish());
  });

  app.get('/api/v0.1/org', async (request, reply) => {
    if (!(await admit(request, reply))) return;
    await sendProtobuf(reply, pb.OrgDataResponse.encode({ uuid: source.signer.orgUuid }).finish());
  });

  app.get('/api/v0.1/status', async (request, reply) => {
    if (!(await admit(request, reply))) return;
    await sendProtobuf(reply, pb.OrgStatusResponse.encode({ enabled: true, authorized: true }).finish());
  });

  let address: string;
  try {
    address = await app.listen({ port: opts.port ?? 0, host: opts.host ?? '127.0.0.1' });
  } catch (err) {
    await source.close();
    throw new BackendError('INVALID_CONFIG', `backend simulator cannot listen: ${(err as Error).message}`, {
      cause: err,
    });
  }
  let closed: Promise<void> | undefined;

  return {
    url: address,
    pinnedRoots: source.pinnedRoots,
    orgUuid: source.signer.orgUuid,
    stats,
    setFault(f) {
      fault = checkMode(f, FAULT_MODES, 'fault');
    },
    setAttack(a) {
      attack = checkMode(a, ATTACK_MODES, 'attack');
    },
    setRttMs(ms) {
      rttMs = checkNonNegative(ms, 'rttMs');
    },
    setApiKey(apiKey) {
      requiredApiKey = apiKey;
    },
    rescan: () => source.rescan(),
    close() {
      closed ??= (async () => {
        closing.abort();
        await app.close();
        await source.close();
      })();
      return closed;
    },
  };
}

function checkMode<T extends string>(value: T, allowed: readonly T[], what: string): T {
  if (!allowed.includes(value)) {
    throw new BackendError(
      'INVALID_CONFIG',
      `unknown ${what} mode ${JSON.stringify(value)}; expected one of ${allowed.join(', ')}`,
    );
  }
  return value;
}

function checkNonNegative(value: number, what: string): number {
  if (!Number.isFinite(value) || value < 0)
    throw new BackendError('INVALID_CONFIG', `${what} must be >= 0, got ${value}`);
  return value;
}

function defaultSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** A hung backend: nothing is sent until the client gives up or the simulator closes. */
/** Headers of a large 200, then one body byte per DRIP_BYTE_INTERVAL_MS until the client gives up. */
async function dripUntilGone(socket: Socket, closing: AbortSignal): Promise<void> {
  socket.write(`HTTP/1.1 200 OK\r\nContent-Type: ${PROTOBUF}\r\nContent-Length: ${DRIP_BODY_BYTES}\r\n\r\n`);
  const timer = setInterval(() => socket.write(DRIP_BYTE), DRIP_BYTE_INTERVAL_MS);
  await holdUntilGone(socket, closing);
  clearInterval(timer);
  socket.destroy();
}

function holdUntilGone(socket: Socket, closing: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed || closing.aborted) return resolve();
    const done = (): void => {
      socket.off('close', done);
      closing.removeEventListener('abort', done);
      resolve();
    };
    socket.once('close', done);
    closing.addEventListener('abort', done, { once: true });
  });
}
