// Issue 13 property 4: property-based fuzzing of `/v0.7/config` bodies (fastify inject, no port) and gRPC
// ClientGetConfigs messages (real gRPC on loopback), both in front of a real RemoteConfigService on fake time.
// Invalid JSON, wrong types, huge numbers, deep nesting, huge arrays, invalid UTF-8, bad base64, oversized bodies:
// every request is answered (fake time advanced a bounded number of steps: never a hang), with a protocol status and
// a message, never an internal error, and RSS stays bounded. RC_FUZZ_RUNS scales the run count (scripts/chaos.ts).
import t from 'tap';
import fc from 'fast-check';
import {
  makeGenericClientConstructor,
  Metadata,
  credentials as grpcCredentials,
  type ServiceError,
} from '@grpc/grpc-js';
import { buildHttpApp } from '../../src/http/index.js';
import { startGrpcServer } from '../../src/grpc/index.js';
import { loadOrCreateCredentials } from '../../src/grpc/credentials.js';
import { pb } from '../../src/proto/index.js';
import { APM_FILE, FFE_FILE } from '../helpers/signed-backend.js';
import { createHarness, type Harness } from '../helpers/service-harness.js';
import { LITERAL_REQUEST } from '../helpers/rc-literal.js';

const RUNS = Number(process.env.RC_FUZZ_RUNS ?? 60);
const BODY_LIMIT_BYTES = 1024 * 1024;
/** Fake-time steps a request may take before it counts as a hang (the longest bypass wait is 2 s). */
const MAX_STEPS = 60;
const STEP_MS = 100;
/** A fuzzed request is a client error or the reference's 500 "rpc error"; never our internal error. */
const HTTP_STATUSES = new Set([200, 204, 400, 404, 413, 500]);

/** Settles `promise` by advancing fake time; fails if it is still pending after MAX_STEPS steps. */
async function answeredOnFakeTime<T>(h: Harness, promise: Promise<T>): Promise<T> {
  let done = false;
  const tracked = promise.finally(() => (done = true));
  for (let i = 0; i < MAX_STEPS && !done; i++) await h.clock.advance(STEP_MS);
  if (!done) throw new Error('request still pending after the longest bypass wait: a hang');
  return tracked;
}

const literal = JSON.parse(LITERAL_REQUEST) as Record<string, unknown>;

/** Sets `path` inside a deep copy of the literal request to `value`. */
function withField(path: readonly string[], value: unknown): Record<string, unknown> {
  const copy = JSON.parse(LITERAL_REQUEST) as Record<string, unknown>;
  let node: Record<string, unknown> = copy;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null) return copy;
    node = next as Record<string, unknown>;
  }
  node[path.at(-1)!] = value;
  return copy;
}

const FIELD_PATHS: ReadonlyArray<readonly string[]> = [
  ['client'],
  ['client', 'id'],
  ['client', 'products'],
  ['client', 'is_tracer'],
  ['client', 'capabilities'],
  ['client', 'state'],
  ['client', 'state', 'root_version'],
  ['client', 'state', 'targets_version'],
  ['client', 'state', 'config_states'],
  ['client', 'state', 'backend_client_state'],
  ['client', 'client_tracer'],
  ['client', 'client_tracer', 'language'],
  ['client', 'client_tracer', 'tags'],
  ['cached_target_files'],
];

const hugeNumber = fc.constantFrom('1e400', '18446744073709551616', '9007199254740993', '-1', '1.5', '1E2', '-0');
const base64ish = fc.string({ unit: fc.constantFrom(...'AB=+/-_*é\u0000'.split('')), maxLength: 40 });
const cachedFile = fc.record({
  path: fc.oneof(fc.constant('datadog/2/APM_TRACING/x/config'), fc.string()),
  length: fc.oneof(fc.nat(), fc.constant(0)),
  hashes: fc.array(fc.record({ algorithm: fc.constantFrom('sha256', ''), hash: fc.string({ maxLength: 70 }) }), {
    maxLength: 3,
  }),
});

/** Bodies: each arbitrary names the kind of malformation it makes. */
const bodies: fc.Arbitrary<Buffer> = fc.oneof(
  // random bytes, invalid UTF-8 included
  fc.uint8Array({ maxLength: 512 }).map((b) => Buffer.from(b)),
  // any JSON value
  fc.jsonValue({ maxDepth: 6 }).map((v) => Buffer.from(JSON.stringify(v) ?? 'null')),
  // a wrong-typed or odd value in one field of an otherwise valid request
  fc
    .tuple(fc.constantFrom(...FIELD_PATHS), fc.oneof(fc.jsonValue({ maxDepth: 3 }), base64ish, fc.array(cachedFile)))
    .map(([path, value]) => Buffer.from(JSON.stringify(withField(path, value)))),
  // huge or non-integer number literals where uint64 is expected
  fc
    .tuple(fc.constantFrom('root_version', 'targets_version'), hugeNumber)
    .map(([field, n]) =>
      Buffer.from(LITERAL_REQUEST.replace(`"${field}":${field === 'root_version' ? 1 : 0}`, `"${field}":${n}`)),
    ),
  // deep nesting
  fc.integer({ min: 1, max: 200_000 }).map((n) => Buffer.from(`{"client":${'['.repeat(n)}${']'.repeat(n)}}`)),
  // huge arrays
  fc
    .integer({ min: 1_000, max: 60_000 })
    .map((n) => Buffer.from(JSON.stringify(withField(['client', 'products'], Array(n).fill('FFE_FLAGS'))))),
  // invalid UTF-8 inside a string
  fc
    .uint8Array({ minLength: 1, maxLength: 8 })
    .map((b) =>
      Buffer.concat([Buffer.from('{"client":{"id":"'), Buffer.from(b.map((x) => x | 0x80)), Buffer.from('"}}')]),
    ),
  // truncated valid request
  fc.nat({ max: LITERAL_REQUEST.length - 1 }).map((n) => Buffer.from(LITERAL_REQUEST.slice(0, n))),
  // oversized
  fc.constant(Buffer.alloc(BODY_LIMIT_BYTES + 10, 0x20)),
);

t.test(
  'fuzzed /v0.7/config bodies: a protocol status and a message, never a crash, a hang or an internal error',
  async (t) => {
    const h = await createHarness(t, { files: [FFE_FILE, APM_FILE] });
    const app = buildHttpApp({ service: h.service, enabled: true, version: 'test', bodyLimitBytes: BODY_LIMIT_BYTES });
    t.teardown(() => app.close());
    t.equal(literal.client !== undefined, true);
    const rssBefore = process.memoryUsage().rss;
    const statuses: Record<number, number> = {};
    await fc.assert(
      fc.asyncProperty(bodies, fc.constantFrom('POST', 'GET'), async (body, method) => {
        const res = await answeredOnFakeTime(h, app.inject({ method, url: '/v0.7/config', payload: body }));
        statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
        if (!HTTP_STATUSES.has(res.statusCode)) throw new Error(`status ${res.statusCode}: ${res.body}`);
        if (res.statusCode >= 400) {
          if (!res.body.endsWith('\n') || res.body.trim() === '')
            throw new Error(`no message: ${JSON.stringify(res.body)}`);
          if (/internal server error/.test(res.body))
            throw new Error(`internal error for a client's input: ${res.body}`);
          if (/\n\s+at /.test(res.body)) throw new Error(`stack trace sent: ${res.body}`);
        }
        if (res.statusCode === 500 && !/^rpc error: code = (InvalidArgument|Unknown) desc = \S/.test(res.body))
          throw new Error(`500 without the reference's message: ${res.body}`);
      }),
      { numRuns: RUNS },
    );
    t.ok(statuses[400]! > 0 && statuses[500]! > 0, `statuses seen: ${JSON.stringify(statuses)}`);
    t.comment(`chaos fuzz http: cases=${RUNS} statuses=${JSON.stringify(statuses)} crashes=0 hangs=0 internal=0`);
    const grownMb = (process.memoryUsage().rss - rssBefore) / 1024 / 1024;
    t.ok(grownMb < 400, `RSS grew ${grownMb.toFixed(0)} MB`);
  },
);

t.test(
  'fuzzed gRPC ClientGetConfigs messages over loopback: a status, never a crash or an internal error',
  async (t) => {
    const h = await createHarness(t, { files: [FFE_FILE, APM_FILE] });
    const dataDir = t.testdir();
    const server = await startGrpcServer({ service: h.service, dataDir, host: '127.0.0.1', port: 0 });
    t.teardown(() => server.stop(0));
    const creds = await loadOrCreateCredentials(dataDir);
    // raw bytes in, raw bytes out: the fuzzer controls the whole message
    const Raw = makeGenericClientConstructor(
      {
        ClientGetConfigs: {
          path: '/datadog.api.v1.AgentSecure/ClientGetConfigs',
          requestStream: false,
          responseStream: false,
          requestSerialize: (b: Buffer) => b,
          requestDeserialize: (b: Buffer) => b,
          responseSerialize: (b: Buffer) => b,
          responseDeserialize: (b: Buffer) => b,
        },
      },
      'AgentSecure',
    );
    const client = new Raw(server.address, grpcCredentials.createSsl(Buffer.from(creds.certPem)), {
      'grpc.ssl_target_name_override': 'localhost',
    });
    t.teardown(() => client.close());
    const metadata = new Metadata();
    metadata.set('authorization', `Bearer ${creds.token}`);
    const call = (bytes: Buffer): Promise<{ code: number; details: string }> =>
      new Promise((resolve) => {
        client.makeUnaryRequest(
          '/datadog.api.v1.AgentSecure/ClientGetConfigs',
          (b: Buffer) => b,
          (b: Buffer) => b,
          bytes,
          metadata,
          (err: ServiceError | null) => resolve({ code: err?.code ?? 0, details: err?.details ?? '' }),
        );
      });

    const valid = pb.ClientGetConfigsRequest.fromObject({
      client: {
        id: 'grpc-fuzz',
        isAgent: true,
        clientAgent: { name: 'fuzz', version: '7.70.0' },
        products: ['FFE_FLAGS'],
        state: { rootVersion: 1 },
      },
    });
    const messages: fc.Arbitrary<Buffer> = fc.oneof(
      // random bytes: mostly undecodable
      fc.uint8Array({ maxLength: 512 }).map((b) => Buffer.from(b)),
      // a valid message with random bytes appended or flipped
      fc.tuple(fc.uint8Array({ maxLength: 64 }), fc.nat()).map(([extra, flip]) => {
        const b = Buffer.concat([Buffer.from(pb.ClientGetConfigsRequest.encode(valid).finish()), Buffer.from(extra)]);
        const i = flip % b.length;
        b[i] = (b[i] ?? 0) ^ 0xff;
        return b;
      }),
      // well-formed messages with random field values (absent uint64s, huge products lists, odd hashes)
      fc
        .record({
          id: fc.string({ maxLength: 20 }),
          isTracer: fc.boolean(),
          isAgent: fc.boolean(),
          rootVersion: fc.oneof(fc.constant(0), fc.nat(), fc.constant(2 ** 53 - 1)),
          products: fc.array(fc.string({ maxLength: 12 }), { maxLength: 2_000 }),
          cached: fc.array(cachedFile, { maxLength: 4 }),
          language: fc.string({ maxLength: 8 }),
        })
        .map((r) =>
          Buffer.from(
            pb.ClientGetConfigsRequest.encode({
              client: {
                id: r.id,
                isTracer: r.isTracer,
                isAgent: r.isAgent,
                products: r.products,
                state: { rootVersion: r.rootVersion },
                ...(r.isTracer ? { clientTracer: { language: r.language, runtimeId: 'rt' } } : {}),
                ...(r.isAgent ? { clientAgent: { name: 'a' } } : {}),
              },
              cachedTargetFiles: r.cached,
            }).finish(),
          ),
        ),
    );
    const codes: Record<number, number> = {};
    await fc.assert(
      fc.asyncProperty(messages, async (bytes) => {
        const res = await answeredOnFakeTime(h, call(bytes));
        codes[res.code] = (codes[res.code] ?? 0) + 1;
        if (/internal error/.test(res.details))
          throw new Error(`internal error for a client's message: ${res.details}`);
        // OK, INVALID_ARGUMENT, UNKNOWN with the reference's message, or INTERNAL (13) for an undecodable message
        if (![0, 2, 3, 13].includes(res.code)) throw new Error(`code ${res.code}: ${res.details}`);
        if (res.code !== 0 && res.details.trim() === '') throw new Error(`code ${res.code} without a message`);
      }),
      { numRuns: RUNS },
    );
    t.ok(codes[3]! > 0, `codes seen: ${JSON.stringify(codes)}`);
    t.comment(`chaos fuzz grpc: cases=${RUNS} codes=${JSON.stringify(codes)} crashes=0 hangs=0 internal=0`);
  },
);
