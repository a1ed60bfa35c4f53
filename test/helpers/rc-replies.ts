// A scriptable fake agent for /v0.7/config and builders for its replies (PROTOCOL.md §3.3). Tracers verify no
// signatures (PROTOCOL.md §7), so the targets here carry a placeholder one.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

// The tests' own copy of the example configs: users are invited to edit examples/configs/.
const EXAMPLES_DIR = new URL('../fixtures/configs/', import.meta.url);

/** An example config file: test/fixtures/configs/<product>/<id>/<name>. */
export function exampleConfig(product: string, id: string, name = 'config'): Buffer {
  return readFileSync(new URL(`${product}/${id}/${name}`, EXAMPLES_DIR));
}

export interface ReplyFile {
  readonly path: string;
  readonly raw: Uint8Array | string;
  /** Director target `custom.v`. Default 1. */
  readonly v?: number;
}

export interface TargetsOptions {
  readonly version: number;
  readonly files: readonly ReplyFile[];
  readonly opaqueBackendState?: string;
  readonly agentRefreshIntervalS?: number;
}

/** A director targets.json listing `files`. */
export function targetsJson(opts: TargetsOptions): string {
  const targets: Record<string, unknown> = {};
  for (const f of opts.files) {
    const raw = Buffer.from(f.raw);
    targets[f.path] = {
      length: raw.length,
      hashes: { sha256: createHash('sha256').update(raw).digest('hex') },
      custom: { v: f.v ?? 1 },
    };
  }
  const custom: Record<string, unknown> = { opaque_backend_state: opts.opaqueBackendState ?? 'eyJmb28iOiJiYXIifQ==' };
  if (opts.agentRefreshIntervalS !== undefined) custom.agent_refresh_interval = opts.agentRefreshIntervalS;
  return JSON.stringify({
    signatures: [{ keyid: 'fake', sig: 'fake' }],
    signed: {
      _type: 'targets',
      spec_version: '1.0.0',
      version: opts.version,
      expires: '2099-01-01T00:00:00Z',
      targets,
      custom,
    },
  });
}

export interface ReplyOptions extends TargetsOptions {
  /** Paths whose bytes go in `target_files`. Default every file. */
  readonly send?: readonly string[];
  /** Default every file's path. */
  readonly clientConfigs?: readonly string[];
}

/** A non-empty `/v0.7/config` reply: full state in `client_configs`, delta in `target_files`. */
export function buildReply(opts: ReplyOptions): string {
  const send = opts.send ?? opts.files.map((f) => f.path);
  return JSON.stringify({
    targets: Buffer.from(targetsJson(opts)).toString('base64'),
    target_files: opts.files
      .filter((f) => send.includes(f.path))
      .map((f) => ({ path: f.path, raw: Buffer.from(f.raw).toString('base64') })),
    client_configs: opts.clientConfigs ?? opts.files.map((f) => f.path),
  });
}

export interface FakeReply {
  readonly status?: number;
  readonly body?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Hold the reply back this long (real time). */
  readonly delayMs?: number;
}

export interface CapturedRequest {
  readonly method: string;
  readonly headers: IncomingHttpHeaders;
  /** The exact body bytes, as text. */
  readonly raw: string;
  /** `JSON.parse(raw)`. */
  readonly body: RcRequestBody;
}

/** The parts of a /v0.7/config request body tests look at. */
export interface RcRequestBody {
  client: {
    state: {
      root_version: number;
      targets_version: number;
      config_states: Array<{ id: string; version: number; product: string; apply_state: number; apply_error: string }>;
      has_error: boolean;
      error: string;
      backend_client_state: string;
    };
    id: string;
    products: string[];
    is_tracer: boolean;
    client_tracer: {
      runtime_id: string;
      language: string;
      tracer_version: string;
      service?: string;
      env?: string;
      app_version?: string;
      extra_services: string[];
      tags: string[];
      process_tags?: string[];
    };
    capabilities: string;
  };
  cached_target_files: Array<{ path: string; length: number; hashes: Array<{ algorithm: string; hash: string }> }>;
}

export interface FakeAgent {
  readonly url: string;
  /** Every /v0.7/config request, in arrival order. */
  readonly requests: CapturedRequest[];
  /** Paths other than /v0.7/config that were requested (answered 404). */
  readonly otherPaths: string[];
  setHandler(handler: (req: CapturedRequest) => FakeReply): void;
  close(): Promise<void>;
}

/** An HTTP server on 127.0.0.1 (ephemeral port) answering /v0.7/config with `handler` and 404 elsewhere. */
export async function startFakeAgent(handler: (req: CapturedRequest) => FakeReply): Promise<FakeAgent> {
  let current = handler;
  const requests: CapturedRequest[] = [];
  const otherPaths: string[] = [];
  const pending = new Set<NodeJS.Timeout>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url !== '/v0.7/config') {
        otherPaths.push(`${req.method} ${req.url}`);
        res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('404 page not found\n');
        return;
      }
      const raw = Buffer.concat(chunks).toString();
      const captured: CapturedRequest = {
        method: req.method ?? '',
        headers: req.headers,
        raw,
        body: JSON.parse(raw) as RcRequestBody,
      };
      requests.push(captured);
      const reply = current(captured);
      const send = (): void => {
        if (res.destroyed) return;
        res.writeHead(reply.status ?? 200, { 'content-type': 'text/plain; charset=utf-8', ...reply.headers });
        res.end(reply.body ?? '{}');
      };
      if (reply.delayMs === undefined) return send();
      const timer = setTimeout(() => {
        pending.delete(timer);
        send();
      }, reply.delayMs);
      pending.add(timer);
    });
  });
  // dd-trace-js reuses one keep-alive socket for all agent traffic (PROTOCOL.md §7).
  server.keepAliveTimeout = 10_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    otherPaths,
    setHandler(h) {
      current = h;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of pending) clearTimeout(timer);
        pending.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
