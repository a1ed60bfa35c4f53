import t from 'tap';
import {
  credentials as grpcCredentials,
  makeGenericClientConstructor,
  Metadata,
  status,
  type ServiceError as GrpcCallError,
} from '@grpc/grpc-js';
import {
  DEFAULT_GRPC_LIMITS,
  grpcServerOptions,
  startGrpcServer,
  type GrpcServerHandle,
} from '../../src/grpc/index.js';
import { AGENT_SECURE_DEFINITION } from '../../src/grpc/service-definition.js';
import { createAgentSecureClient } from '../../src/grpc/client.js';
import { loadOrCreateCredentials, type IpcCredentials } from '../../src/grpc/credentials.js';
import { type GrpcRequestDoneInfo } from '../../src/grpc/server.js';
import { ServiceError, type ServiceErrorCode } from '../../src/service/index.js';
import { SERVICE_ERROR_CODES } from '../../src/service/error.js';
import { validateRequest } from '../../src/service/validate.js';
import type { IClientGetConfigsRequest } from '../../src/proto/index.js';
import { aborted, FakeService } from '../helpers/fake-service.js';

const REQUEST: IClientGetConfigsRequest = {
  client: {
    id: 'agent-client',
    products: ['FFE_FLAGS'],
    isAgent: true,
    clientAgent: { name: 'system-probe', version: '7.60.0' },
    state: { rootVersion: 1, targetsVersion: 0 },
    capabilities: Buffer.from([1, 2]),
  },
  cachedTargetFiles: [
    { path: 'datadog/2/FFE_FLAGS/a/config', length: 3, hashes: [{ algorithm: 'sha256', hash: 'ab' }] },
  ],
};

/** What the helpers need of a tap test. */
interface TestLike {
  testdir(): string;
  teardown(fn: () => unknown): void;
}

interface Harness {
  service: FakeService;
  server: GrpcServerHandle;
  creds: IpcCredentials;
  done: GrpcRequestDoneInfo[];
}

interface LoggedError {
  obj: { err?: unknown; errorId?: string };
  msg: string;
}

async function harness(t: TestLike, enabled = true, logged: LoggedError[] = []): Promise<Harness> {
  const service = new FakeService();
  const dataDir = t.testdir();
  const done: GrpcRequestDoneInfo[] = [];
  const server = await startGrpcServer({
    service,
    dataDir,
    host: '127.0.0.1',
    port: 0,
    enabled,
    onRequestDone: (info) => done.push(info),
    log: { error: (obj, msg) => logged.push({ obj, msg }), warn: () => undefined },
  });
  t.teardown(() => server.stop(0));
  const creds = await loadOrCreateCredentials(dataDir);
  return { service, server, creds, done };
}

function client(t: TestLike, address: string, creds: { token: string; certPem: string }) {
  const c = createAgentSecureClient(address, creds);
  t.teardown(() => c.close());
  return c;
}

const grpcCode = (e: unknown): number | undefined => (e as GrpcCallError).code;

t.test('ClientGetConfigs over TLS with the right token', async (t) => {
  const h = await harness(t);
  t.match(h.server.address, /^127\.0\.0\.1:\d+$/);
  t.ok(h.server.port > 0);
  h.service.clientGetConfigsImpl = async () => ({
    roots: [Buffer.from('r2')],
    targets: Buffer.from('{"signed":{}}'),
    targetFiles: [{ path: 'datadog/2/FFE_FLAGS/a/config', raw: Buffer.from('abc') }],
    clientConfigs: ['datadog/2/FFE_FLAGS/a/config'],
    configStatus: 1,
  });
  const c = client(t, h.server.address, h.creds);
  const res = await c.clientGetConfigs(REQUEST);
  t.equal(Buffer.from(res.targets!).toString(), '{"signed":{}}');
  t.equal(Buffer.from(res.roots![0]!).toString(), 'r2');
  t.equal(res.targetFiles![0]!.path, 'datadog/2/FFE_FLAGS/a/config');
  t.same(res.clientConfigs, ['datadog/2/FFE_FLAGS/a/config']);
  t.equal(res.configStatus, 1);
  // the service got the decoded request and a grpc context
  const call = h.service.calls[0]!;
  t.equal(call.ctx.transport, 'grpc');
  t.equal(call.request.client!.id, 'agent-client');
  t.equal(call.request.client!.clientAgent!.name, 'system-probe');
  t.equal(call.request.client!.state!.rootVersion, 1);
  t.same([...call.request.client!.capabilities!], [1, 2]);
  t.equal(call.request.cachedTargetFiles![0]!.hashes![0]!.algorithm, 'sha256');
  t.equal(call.ctx.signal.aborted, false);
  t.same(
    h.done.map((d) => d.code),
    ['OK'],
  );
});

t.test('an up-to-date client gets an empty response', async (t) => {
  const h = await harness(t);
  const res = await client(t, h.server.address, h.creds).clientGetConfigs(REQUEST);
  t.same(res.roots, []);
  t.same(res.targetFiles, []);
  t.equal(res.targets!.length, 0);
});

t.test('missing or wrong token → UNAUTHENTICATED', async (t) => {
  const h = await harness(t);
  const missing = client(t, h.server.address, { token: '', certPem: h.creds.certPem });
  await t.rejects(missing.clientGetConfigs(REQUEST), {
    code: status.UNAUTHENTICATED,
    details: 'Request unauthenticated with bearer',
  });
  const wrong = client(t, h.server.address, { token: 'f'.repeat(64), certPem: h.creds.certPem });
  await t.rejects(wrong.clientGetConfigs(REQUEST), { code: status.UNAUTHENTICATED, details: 'invalid auth token' });
  await t.rejects(wrong.getConfigState(), { code: status.UNAUTHENTICATED });
  await t.rejects(wrong.resetConfigState(), { code: status.UNAUTHENTICATED });
  const prefix = client(t, h.server.address, { token: h.creds.token.slice(0, 32), certPem: h.creds.certPem });
  await t.rejects(prefix.clientGetConfigs(REQUEST), { code: status.UNAUTHENTICATED });
  t.equal(h.service.calls.length, 0);
  t.equal(h.service.resets, 0);
  t.same(
    h.done.map((d) => d.code),
    ['UNAUTHENTICATED', 'UNAUTHENTICATED', 'UNAUTHENTICATED'],
  );

  // other schemes and a lower-case scheme, through a raw client
  const Ctor = makeGenericClientConstructor(AGENT_SECURE_DEFINITION, 'AgentSecure');
  const raw = new Ctor(h.server.address, grpcCredentials.createSsl(Buffer.from(h.creds.certPem)));
  t.teardown(() => raw.close());
  const callWith = (authorization: string) =>
    new Promise<unknown>((resolve, reject) => {
      const md = new Metadata();
      md.set('authorization', authorization);
      (
        raw as unknown as Record<
          string,
          (r: unknown, m: Metadata, cb: (e: GrpcCallError | null, v?: unknown) => void) => void
        >
      ).ClientGetConfigs!(REQUEST, md, (e, v) => (e ? reject(e) : resolve(v)));
    });
  await t.rejects(callWith(`Basic ${h.creds.token}`), { code: status.UNAUTHENTICATED });
  await t.rejects(callWith(h.creds.token), { code: status.UNAUTHENTICATED });
  await callWith(`bearer ${h.creds.token}`);
  t.equal(h.service.calls.length, 1);
});

t.test('each ServiceError code becomes its gRPC status', async (t) => {
  const h = await harness(t);
  const want: Record<ServiceErrorCode, status> = {
    INVALID_ARGUMENT: status.INVALID_ARGUMENT,
    UNIMPLEMENTED: status.UNIMPLEMENTED,
    NOT_FOUND: status.NOT_FOUND,
    CANCELLED: status.CANCELLED,
    UNAVAILABLE: status.UNAVAILABLE,
    UNKNOWN: status.UNKNOWN,
  };
  const c = client(t, h.server.address, h.creds);
  for (const code of SERVICE_ERROR_CODES) {
    h.service.clientGetConfigsImpl = async () => {
      throw new ServiceError(code, `failure ${code}`);
    };
    await t.rejects(c.clientGetConfigs(REQUEST), { code: want[code], details: `failure ${code}` }, code);
  }
  h.service.clientGetConfigsImpl = async () => {
    throw new TypeError('secret detail');
  };
  await t.rejects(c.clientGetConfigs(REQUEST), {
    code: status.UNKNOWN,
    details: /^internal error \(id [0-9a-f]{16}\)$/,
  });
  t.same(
    h.done.map((d) => d.code),
    [...SERVICE_ERROR_CODES, 'INTERNAL'],
  );
});

t.test(
  'an unexpected error reaches the client as a generic message whose ID is in the log with the stack',
  async (t) => {
    const logged: LoggedError[] = [];
    const h = await harness(t, true, logged);
    const c = client(t, h.server.address, h.creds);
    // what the service does to a store failure: UNKNOWN wrapping the raw error
    const secret = new Error("EACCES: permission denied, open '/opt/datadog/run/remote-config.db'");
    h.service.clientGetConfigsImpl = async () => {
      throw new ServiceError('UNKNOWN', secret.message, { cause: secret });
    };
    const err = (await c.clientGetConfigs(REQUEST).catch((e: unknown) => e)) as GrpcCallError;
    t.equal(err.code, status.UNKNOWN);
    t.notMatch(err.details, /EACCES|remote-config/);
    const id = /^internal error \(id ([0-9a-f]{16})\)$/.exec(err.details)?.[1];
    t.ok(id, err.details);
    t.equal(logged.length, 1);
    t.equal(logged[0]!.obj.errorId, id);
    t.match(String((logged[0]!.obj.err as Error).stack), /EACCES/);
    t.same(
      h.done.map((d) => d.code),
      ['INTERNAL'],
    );
  },
);

t.test('omitted uint64 fields decode as absent, so validation rejects them as over HTTP', async (t) => {
  const h = await harness(t);
  // the real validation in front of an otherwise fake service
  h.service.clientGetConfigsImpl = async (request) => {
    validateRequest(request);
    return {};
  };
  const c = client(t, h.server.address, h.creds);
  // proto3 does not send 0: on the wire the field is absent
  const noRoot = { ...REQUEST, client: { ...REQUEST.client, state: { targetsVersion: 0 } } };
  await t.rejects(c.clientGetConfigs(noRoot), {
    code: status.INVALID_ARGUMENT,
    details: /client\.state\.root_version must be >= 1/,
  });
  const zeroRoot = { ...REQUEST, client: { ...REQUEST.client, state: { rootVersion: 0 } } };
  await t.rejects(c.clientGetConfigs(zeroRoot), { code: status.INVALID_ARGUMENT, details: /root_version/ });
  const noLength = {
    ...REQUEST,
    cachedTargetFiles: [{ path: 'datadog/2/FFE_FLAGS/a/config', hashes: [{ algorithm: 'sha256', hash: 'ab' }] }],
  };
  await t.rejects(c.clientGetConfigs(noLength), {
    code: status.INVALID_ARGUMENT,
    details: 'cached_target_files[0].length must be >= 1 (no empty file allowed)',
  });
  const badHash = {
    ...REQUEST,
    cachedTargetFiles: [
      { path: 'datadog/2/FFE_FLAGS/a/config', length: 3, hashes: [{ algorithm: 'sha256', hash: 'zz' }] },
    ],
  };
  await t.rejects(c.clientGetConfigs(badHash), {
    code: status.INVALID_ARGUMENT,
    details: 'cached_target_files[0].hashes[0].hash is not hex-encoded',
  });
  // present values still arrive as numbers
  await c.clientGetConfigs(REQUEST);
  const last = h.service.calls.at(-1)!.request;
  t.equal(last.client!.state!.rootVersion, 1);
  t.equal(last.cachedTargetFiles![0]!.length, 3);
});

t.test('GetConfigState and ResetConfigState', async (t) => {
  const h = await harness(t);
  const c = client(t, h.server.address, h.creds);
  const state = await c.getConfigState();
  t.same(state.configState!.root, { version: 1, hash: 'ab' });
  t.same(state.directorState!['targets.json'], { version: 1795344487, hash: 'cd' });
  t.same(state.targetFilenames, h.service.state.targetFilenames);
  await c.resetConfigState();
  t.equal(h.service.resets, 1);
  // a synchronous throw from getConfigState and a failed reset are statuses too
  h.service.getConfigStateError = new ServiceError('UNIMPLEMENTED', 'remote configuration service not initialized');
  await t.rejects(c.getConfigState(), {
    code: status.UNIMPLEMENTED,
    details: 'remote configuration service not initialized',
  });
  h.service.resetError = new ServiceError('UNKNOWN', 'reset failed');
  await t.rejects(c.resetConfigState(), { code: status.UNKNOWN, details: 'reset failed' });
});

t.test('the HA methods are UNIMPLEMENTED', async (t) => {
  const h = await harness(t);
  const Ctor = makeGenericClientConstructor(AGENT_SECURE_DEFINITION, 'AgentSecure');
  const raw = new Ctor(h.server.address, grpcCredentials.createSsl(Buffer.from(h.creds.certPem)));
  t.teardown(() => raw.close());
  const md = new Metadata();
  md.set('authorization', `Bearer ${h.creds.token}`);
  const call = (method: string, request: unknown) =>
    new Promise<unknown>((resolve, reject) => {
      (
        raw as unknown as Record<
          string,
          (r: unknown, m: Metadata, cb: (e: GrpcCallError | null, v?: unknown) => void) => void
        >
      )[method]!(request, md, (e, v) => (e ? reject(e) : resolve(v)));
    });
  await t.rejects(call('ClientGetConfigsHA', REQUEST), {
    code: status.UNIMPLEMENTED,
    details: 'MRF remote configuration service not initialized',
  });
  await t.rejects(call('GetConfigStateHA', {}), {
    code: status.UNIMPLEMENTED,
    details: 'MRF remote configuration service not initialized',
  });
  t.equal(h.service.calls.length, 0);
});

t.test('remote_configuration.enabled false: the RC methods answer UNIMPLEMENTED at once', async (t) => {
  const { service, server, creds, done } = await harness(t, false);
  // a service that never answers: reaching it would hang the test instead of failing fast
  service.clientGetConfigsImpl = () => new Promise(() => undefined);
  const c = client(t, server.address, creds);
  const unimplemented = { code: status.UNIMPLEMENTED, details: 'remote configuration service not initialized' };
  await t.rejects(c.clientGetConfigs(REQUEST), unimplemented);
  await t.rejects(c.getConfigState(), unimplemented);
  await t.rejects(c.resetConfigState(), unimplemented);
  t.equal(service.calls.length, 0, 'the service is never called');
  t.equal(service.resets, 0);
  t.same(
    done.map((d) => d.code),
    ['UNIMPLEMENTED'],
  );
});

t.test('cancelling the call aborts RequestContext.signal', async (t) => {
  const h = await harness(t);
  let arrived!: () => void;
  const requestArrived = new Promise<void>((resolve) => (arrived = resolve));
  let sawAbort!: () => void;
  const abortSeen = new Promise<void>((resolve) => (sawAbort = resolve));
  h.service.clientGetConfigsImpl = async (_req, ctx) => {
    arrived();
    await aborted(ctx.signal);
    sawAbort();
    return {};
  };
  const Ctor = makeGenericClientConstructor(AGENT_SECURE_DEFINITION, 'AgentSecure');
  const raw = new Ctor(h.server.address, grpcCredentials.createSsl(Buffer.from(h.creds.certPem)));
  t.teardown(() => raw.close());
  const md = new Metadata();
  md.set('authorization', `Bearer ${h.creds.token}`);
  let clientError: GrpcCallError | null = null;
  const finished = new Promise<void>((resolve) => {
    const call = (
      raw as unknown as Record<
        string,
        (r: unknown, m: Metadata, cb: (e: GrpcCallError | null) => void) => { cancel(): void }
      >
    ).ClientGetConfigs!(REQUEST, md, (e) => {
      clientError = e;
      resolve();
    });
    void requestArrived.then(() => call.cancel());
  });
  await abortSeen;
  await finished;
  t.equal(h.service.calls[0]!.ctx.signal.aborted, true);
  t.equal(grpcCode(clientError), status.CANCELLED);
});

t.test('clients may trust the whole ipc_cert.pem and dial localhost', async (t) => {
  const h = await harness(t);
  // the Datadog layout: certificate and key in one file, given as is
  const whole = client(t, h.server.address, { token: h.creds.token, certPem: h.creds.certPem + h.creds.keyPem });
  await whole.clientGetConfigs(REQUEST);
  const byName = client(t, `localhost:${h.server.port}`, h.creds);
  await byName.clientGetConfigs(REQUEST);
  t.equal(h.service.calls.length, 2);
});

t.test('IPv6 loopback: bracketed address', async (t) => {
  const service = new FakeService();
  const dataDir = t.testdir();
  const server = await startGrpcServer({ service, dataDir, host: '::1', port: 0 });
  t.teardown(() => server.stop(0));
  t.match(server.address, /^\[::1\]:\d+$/);
  const creds = await loadOrCreateCredentials(dataDir);
  await client(t, server.address, creds).clientGetConfigs(REQUEST);
  t.equal(service.calls.length, 1);
});

t.test('a client that does not trust the certificate cannot connect', async (t) => {
  const h = await harness(t);
  const other = await loadOrCreateCredentials(t.testdir());
  const c = client(t, h.server.address, { token: h.creds.token, certPem: other.certPem });
  await t.rejects(c.clientGetConfigs(REQUEST), { code: status.UNAVAILABLE });
  t.equal(h.service.calls.length, 0);
});

t.test('a plaintext client against the TLS port gets nothing, even with the right token', async (t) => {
  const h = await harness(t);
  const Ctor = makeGenericClientConstructor(AGENT_SECURE_DEFINITION, 'AgentSecure');
  const plain = new Ctor(h.server.address, grpcCredentials.createInsecure());
  t.teardown(() => plain.close());
  const md = new Metadata();
  md.set('authorization', `Bearer ${h.creds.token}`);
  const error = await new Promise<GrpcCallError | null>((resolve) => {
    (
      plain as unknown as Record<
        string,
        (r: unknown, m: Metadata, o: { deadline: number }, cb: (e: GrpcCallError | null) => void) => void
      >
    ).ClientGetConfigs!(REQUEST, md, { deadline: Date.now() + 5000 }, (e) => resolve(e));
  });
  t.ok(error, 'the call fails');
  t.ok(
    error?.code === status.UNAVAILABLE || error?.code === status.DEADLINE_EXCEEDED,
    `no TLS handshake, no answer (${error?.code})`,
  );
  t.equal(h.service.calls.length, 0, 'the service never saw it');
});

t.test('stop() refuses new calls and is idempotent', async (t) => {
  const h = await harness(t);
  const c = client(t, h.server.address, h.creds);
  await c.clientGetConfigs(REQUEST);
  await h.server.stop(1000);
  await h.server.stop(1000);
  await t.rejects(c.clientGetConfigs(REQUEST), { code: status.UNAVAILABLE });
});

t.test('the same data dir keeps its credentials across restarts', async (t) => {
  const service = new FakeService();
  const dataDir = t.testdir();
  const first = await startGrpcServer({ service, dataDir, host: '127.0.0.1', port: 0 });
  const creds = await loadOrCreateCredentials(dataDir);
  await first.stop(0);
  const second = await startGrpcServer({ service, dataDir, host: '127.0.0.1', port: 0 });
  t.teardown(() => second.stop(0));
  await client(t, second.address, creds).clientGetConfigs(REQUEST);
  t.equal(service.calls.length, 1);
});

t.test('a port in use is BIND_FAILED', async (t) => {
  const h = await harness(t);
  await t.rejects(
    startGrpcServer({ service: h.service, dataDir: t.testdir(), host: '127.0.0.1', port: h.server.port }),
    {
      name: 'GrpcSetupError',
      code: 'BIND_FAILED',
    },
  );
});

t.test('server options: the limits, and channelz off (nothing serves it; it cost every call a tracker)', async (t) => {
  t.same(grpcServerOptions({ ...DEFAULT_GRPC_LIMITS, maxConcurrentStreams: 7 }), {
    'grpc.max_connection_idle_ms': DEFAULT_GRPC_LIMITS.maxConnectionIdleMs,
    'grpc.max_concurrent_streams': 7,
    'grpc.max_receive_message_length': DEFAULT_GRPC_LIMITS.maxReceiveMessageBytes,
    'grpc.enable_channelz': 0,
  });
});
