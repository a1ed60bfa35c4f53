// Repeating request strings are decoded to one shared copy (src/http/string-pool.ts): the pool's bound and the
// fields that go through it.
import t from 'tap';
import { decodeClientGetConfigsRequest } from '../../src/http/index.js';
import { pooledFieldNames, requestStringPool } from '../../src/http/decode-request.js';
import { CLIENT_GET_CONFIGS_REQUEST, type MessageSchema } from '../../src/http/request-schema.js';
import { StringPool } from '../../src/http/string-pool.js';

t.test('a pool keeps one entry per value, ignores long values and starts again when full', (t) => {
  const pool = new StringPool(3);
  t.equal(pool.intern('a'), 'a');
  t.equal(pool.intern('a'), 'a');
  t.equal(pool.size, 1);
  t.equal(pool.intern('x'.repeat(300)), 'x'.repeat(300));
  t.equal(pool.size, 1, 'a value longer than 256 characters is not pooled');
  pool.intern('b');
  pool.intern('c');
  t.equal(pool.size, 3);
  pool.intern('d');
  t.equal(pool.size, 1, 'full: cleared, then the new value');
  t.ok(pool.has('d'));
  t.notOk(pool.has('a'));
  t.end();
});

t.test('every pooled field names a string field of the request schema', (t) => {
  const stringFields = new Set<string>();
  const visit = (schema: MessageSchema): void => {
    for (const field of schema.byName.values()) {
      if (field.kind === 'string' || field.kind === 'strings') stringFields.add(`${schema.goName}.${field.json}`);
      if (field.message !== undefined) visit(field.message);
    }
  };
  visit(CLIENT_GET_CONFIGS_REQUEST);
  const pooled = pooledFieldNames();
  t.same(pooled, [
    'Client.products',
    'ClientAgent.cluster_id',
    'ClientAgent.cluster_name',
    'ClientAgent.name',
    'ClientAgent.version',
    'ClientState.error',
    'ClientTracer.app_version',
    'ClientTracer.container_tags',
    'ClientTracer.env',
    'ClientTracer.extra_services',
    'ClientTracer.language',
    'ClientTracer.process_tags',
    'ClientTracer.service',
    'ClientTracer.tags',
    'ClientTracer.tracer_version',
    'ConfigState.apply_error',
    'ConfigState.id',
    'ConfigState.product',
    'TargetFileHash.algorithm',
    'TargetFileHash.hash',
    'TargetFileMeta.path',
  ]);
  for (const name of pooled) t.ok(stringFields.has(name), name);
  t.end();
});

t.test('decoding pools the values tracers share, not the ids of one client or process', (t) => {
  const body = (n: number): string =>
    JSON.stringify({
      client: {
        state: {
          root_version: 1,
          targets_version: 5,
          config_states: [{ id: 'flags-1', version: 2, product: 'FFE_FLAGS', apply_state: 2 }],
        },
        id: `client-id-${n}`,
        products: ['FFE_FLAGS', 'APM_TRACING'],
        is_tracer: true,
        client_tracer: {
          runtime_id: `runtime-${n}`,
          language: 'node',
          tracer_version: '5.50.0',
          service: 'pool-svc',
          env: 'pool-env',
          tags: ['env:pool-env', `runtime-id:runtime-${n}`, `_dd.rc.client_id:client-id-${n}`],
        },
      },
      cached_target_files: [
        {
          path: 'datadog/2/FFE_FLAGS/flags-1/config',
          length: 10,
          hashes: [{ algorithm: 'sha256', hash: 'cd'.repeat(32) }],
        },
      ],
    });
  const first = decodeClientGetConfigsRequest(body(1));
  const second = decodeClientGetConfigsRequest(body(2));
  t.same(second.client?.products, ['FFE_FLAGS', 'APM_TRACING'], 'values unchanged');
  t.equal(first.client?.clientTracer?.service, 'pool-svc');
  for (const shared of [
    'FFE_FLAGS',
    'APM_TRACING',
    'flags-1',
    'node',
    '5.50.0',
    'pool-svc',
    'pool-env',
    'env:pool-env',
    'datadog/2/FFE_FLAGS/flags-1/config',
    'sha256',
    'cd'.repeat(32),
  ]) {
    t.ok(requestStringPool.has(shared), `pooled: ${shared}`);
  }
  for (const own of ['client-id-1', 'runtime-1', 'runtime-id:runtime-2', '_dd.rc.client_id:client-id-2']) {
    t.notOk(requestStringPool.has(own), `not pooled: ${own}`);
  }
  t.end();
});
