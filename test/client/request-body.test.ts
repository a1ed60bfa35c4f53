import t from 'tap';
import {
  buildRequestBody,
  DD_TRACE_JS_CAPABILITIES,
  encodeCapabilities,
  FFE_FLAG_CONFIGURATION_RULES,
} from '../../src/client/index.js';

// PROTOCOL.md §3.3: the first poll of dd-trace-js 6.21.0 with FFE over RC (5.132 builds the same shape).
const LITERAL =
  '{"client":{"state":{"root_version":1,"targets_version":0,"config_states":[],"has_error":false,"error":"","backend_client_state":""},"id":"add46572-e33f-496d-97c8-2871a16d74b1","products":["APM_TRACING","AGENT_CONFIG","AGENT_TASK","ASM_FEATURES","FFE_FLAGS"],"is_tracer":true,"client_tracer":{"runtime_id":"6997032b-1e74-4ce8-8290-b6e64aed0fe5","language":"node","tracer_version":"6.21.0","service":"checkout","env":"dev","app_version":"1.2.3","extra_services":[],"tags":["service:checkout","env:dev","version:1.2.3","runtime-id:6997032b-1e74-4ce8-8290-b6e64aed0fe5","_dd.rc.client_id:add46572-e33f-496d-97c8-2871a16d74b1"],"process_tags":["entrypoint.basedir:app","entrypoint.name:app","entrypoint.type:script","entrypoint.workdir:app","package.json.name:checkout","svc.user:true"]},"capabilities":"AmNAoAjwAg=="},"cached_target_files":[]}';

const runtimeId = '6997032b-1e74-4ce8-8290-b6e64aed0fe5';
const clientId = 'add46572-e33f-496d-97c8-2871a16d74b1';
const first = {
  targetsVersion: 0,
  configStates: [],
  hasError: false,
  error: '',
  backendClientState: '',
  clientId,
  products: ['APM_TRACING', 'AGENT_CONFIG', 'AGENT_TASK', 'ASM_FEATURES', 'FFE_FLAGS'],
  tracer: {
    runtimeId,
    language: 'node',
    tracerVersion: '6.21.0',
    service: 'checkout',
    env: 'dev',
    appVersion: '1.2.3',
    extraServices: [],
    tags: ['service:checkout', 'env:dev', 'version:1.2.3', `runtime-id:${runtimeId}`, `_dd.rc.client_id:${clientId}`],
    processTags: [
      'entrypoint.basedir:app',
      'entrypoint.name:app',
      'entrypoint.type:script',
      'entrypoint.workdir:app',
      'package.json.name:checkout',
      'svc.user:true',
    ],
  },
  capabilities: encodeCapabilities(DD_TRACE_JS_CAPABILITIES | FFE_FLAG_CONFIGURATION_RULES),
  cachedTargetFiles: [],
};

void t.test('the first poll is byte-identical to the literal example', (t) => {
  const body = buildRequestBody(first);
  t.equal(body, LITERAL);
  t.equal(Buffer.byteLength(body), 839, 'PROTOCOL.md §3.3 content-length');
  t.end();
});

void t.test('the next poll carries version, config state, echoed backend state and the cached file', (t) => {
  const body = JSON.parse(
    buildRequestBody({
      ...first,
      targetsVersion: 1795344487,
      configStates: [{ id: 'ffe-bench', version: 1, product: 'FFE_FLAGS', applyState: 2, applyError: '' }],
      backendClientState: 'eyJmb28iOiJiYXIifQ==',
      cachedTargetFiles: [
        {
          path: 'datadog/2/FFE_FLAGS/ffe-bench/config',
          length: 59,
          hashes: [{ algorithm: 'sha256', hash: 'b8c0e36703a60978f8a9f8e4e472c4a04b44ffefbcce9c569b623ddaac127b9e' }],
        },
      ],
    }),
  );
  t.same(body.client.state, {
    root_version: 1,
    targets_version: 1795344487,
    config_states: [{ id: 'ffe-bench', version: 1, product: 'FFE_FLAGS', apply_state: 2, apply_error: '' }],
    has_error: false,
    error: '',
    backend_client_state: 'eyJmb28iOiJiYXIifQ==',
  });
  t.same(Object.keys(body.client.state.config_states[0]), ['id', 'version', 'product', 'apply_state', 'apply_error']);
  t.same(Object.keys(body.cached_target_files[0]), ['path', 'length', 'hashes']);
  t.same(Object.keys(body.cached_target_files[0].hashes[0]), ['algorithm', 'hash']);
  t.end();
});

void t.test('unset service, env and version are omitted like JSON.stringify of undefined', (t) => {
  const body = JSON.parse(
    buildRequestBody({
      ...first,
      tracer: { ...first.tracer, service: undefined, env: undefined, appVersion: undefined },
    }),
  );
  t.same(Object.keys(body.client.client_tracer), [
    'runtime_id',
    'language',
    'tracer_version',
    'extra_services',
    'tags',
    'process_tags',
  ]);
  t.end();
});

void t.test('capabilities encode like dd-trace-js', (t) => {
  t.equal(encodeCapabilities(0n), 'AA==', 'zero is one zero byte');
  t.equal(encodeCapabilities(DD_TRACE_JS_CAPABILITIES), 'AiNAoAjwAg==');
  t.equal(encodeCapabilities(DD_TRACE_JS_CAPABILITIES | FFE_FLAG_CONFIGURATION_RULES), 'AmNAoAjwAg==');
  t.equal(encodeCapabilities(0x123n), 'ASM=', 'odd hex length is left-padded');
  t.equal(encodeCapabilities(Buffer.from([2, 99])), 'AmM=', 'bytes are taken as they are');
  t.throws(() => encodeCapabilities(-1n), RangeError);
  t.end();
});
