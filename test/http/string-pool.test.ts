// Repeating request strings are decoded to one shared copy (src/http/string-pool.ts): the pool's bound and the
// fields that go through it.
import t from 'tap';
import { decodeClientGetConfigsRequest } from '../../src/http/index.js';
import { pooledFieldNames, requestMessagePools, requestStringPool } from '../../src/http/decode-request.js';
import { CLIENT_GET_CONFIGS_REQUEST, type MessageSchema } from '../../src/http/request-schema.js';
import { MessagePool, StringPool } from '../../src/http/string-pool.js';

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
  // whole messages: the acknowledged config state and the cached file are one frozen object for both tracers
  const [state1, state2] = [first, second].map((r) => r.client?.state?.configStates?.[0]);
  t.equal(state1, state2, 'one config state object for both tracers');
  t.same(state2, { id: 'flags-1', version: 2, product: 'FFE_FLAGS', applyState: 2 });
  const [file1, file2] = [first, second].map((r) => r.cachedTargetFiles?.[0]);
  t.equal(file1, file2, 'one cached file object for both tracers');
  t.same(file2, {
    path: 'datadog/2/FFE_FLAGS/flags-1/config',
    length: 10,
    hashes: [{ algorithm: 'sha256', hash: 'cd'.repeat(32) }],
  });
  t.ok(
    Object.isFrozen(file1) && Object.isFrozen(file1?.hashes) && Object.isFrozen(file1?.hashes?.[0]),
    'frozen through',
  );
  t.not(first.client, second.client, 'each tracer its own client');
  const changed = decodeClientGetConfigsRequest(body(3).replace('"version":2', '"version":3'));
  t.not(changed.client?.state?.configStates?.[0], state1, 'another version is another object');
  t.equal(changed.client?.state?.configStates?.[0]?.version, 3);
  t.equal(requestMessagePools.get('ConfigState')?.size, 1, 'one slot per config id: the new version took it');
  t.ok(requestMessagePools.get('TargetFileMeta')?.size === 1 && requestMessagePools.get('Client.products')?.size === 1);
  t.equal(first.client?.products, second.client?.products, 'one products list for both tracers');
  t.end();
});

t.test('a message pool keeps one frozen copy per key and value, the latest value of a key', (t) => {
  const pool = new MessagePool(2);
  const a = pool.intern('a', { x: 'a', n: [1, { y: 2 }] });
  t.ok(Object.isFrozen(a) && Object.isFrozen(a.n) && Object.isFrozen(a.n[1]), 'frozen, deeply');
  t.equal(pool.intern('a', { x: 'a', n: [1, { y: 2 }] }), a, 'an equal value: the pooled copy');
  t.equal(pool.intern('a', { n: [1, { y: 2 }], x: 'a' }), a, 'equal in another key order: the pooled copy');
  for (const unequal of [
    { x: 'a', n: [1, { y: 3 }] },
    { x: 'a', n: [1] },
    { x: 'a', n: [1, { y: 2 }], z: 1 },
    { x: 'a' },
    { x: 'a', n: { 0: 1, 1: { y: 2 } } },
    { x: 'a', n: [1, { y: 2 }], bytes: new Uint8Array(2) },
  ]) {
    t.not(pool.intern('a', unequal), a, `not equal: ${JSON.stringify(unequal)}`);
    pool.intern('a', a);
  }
  const b = { x: 'b' };
  t.equal(pool.intern('a', b), b, 'another value under a key takes its slot');
  t.equal(pool.intern('a', { x: 'b' }), b);
  t.equal(pool.size, 1);
  t.equal(pool.intern('b', a), a);
  const c = { x: 'c' };
  t.equal(pool.intern('c', c), c);
  t.equal(pool.size, 1, 'full at a third key: cleared, then the new message');
  const large = { x: 'z'.repeat(1100) };
  t.equal(pool.intern('large', large), large);
  t.notOk(Object.isFrozen(large), 'a message over 1,024 characters is kept as decoded');
  const wide = { list: Array.from({ length: 200 }, (_, i) => `value-${i}`) };
  t.equal(pool.intern('wide', wide), wide);
  t.notOk(Object.isFrozen(wide), 'its size counts every string under it');
  t.equal(pool.intern('k'.repeat(1100), c), c);
  t.equal(pool.size, 1, 'nor is a message under a key that long');
  t.end();
});
