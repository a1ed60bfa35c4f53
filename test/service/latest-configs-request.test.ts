// Golden test of the upstream LatestConfigsRequest for a given configuration (PROTOCOL.md §2, §4.6; reference
// service/util.go buildLatestConfigsRequest).
import t from 'tap';
import { loadConfig } from '../../src/config/index.js';
import { pb } from '../../src/proto/index.js';
import { buildLatestConfigsRequest, upstreamIdentityFromConfig } from '../../src/service/latest-configs-request.js';

const config = loadConfig({
  env: {
    DD_API_KEY: 'k',
    DD_HOSTNAME: 'web-1',
    DD_ENV: 'prod',
    DD_TAGS: 'zone:a team:rc',
    DD_EXTRA_TAGS: 'team:rc',
  },
});

const input = {
  identity: upstreamIdentityFromConfig(config),
  agentUuid: '0f4e3c2a-1b2c-4d5e-8f90-123456789abc',
  versions: { directorRoot: 2, configRoot: 3, configSnapshot: 40 },
  products: new Set(['APM_TRACING', 'FFE_FLAGS']),
  newProducts: new Set(['ASM_DD']),
  activeClients: [
    {
      id: 'c1',
      products: ['FFE_FLAGS'],
      isTracer: true,
      clientTracer: { runtimeId: 'r1', language: 'node', tracerVersion: '6.21.0', service: 'checkout', env: 'prod' },
      state: { rootVersion: 1, targetsVersion: 7 },
    },
  ],
  backendClientState: Buffer.from('{"foo":"bar"}'),
  lastError: 'api: non-200 response code: 503',
  orgUuid: '6f8d3f1e-0000-4000-8000-000000000002',
};

// Reviewed by hand field by field (see the tag checks below); a change here changes what the backend receives.
const GOLDEN_HEX = [
  '0a057765622d311206372e37322e301828220b41504d5f54524143494e4722094646455f464c4147532a0641534d5f444432',
  '3b0a0408011007120263311a094646455f464c41475330013a220a02723112046e6f64651a06362e32312e30220863686563',
  '6b6f75742a0470726f6440024803520d7b22666f6f223a22626172227d5801621f6170693a206e6f6e2d3230302072657370',
  '6f6e736520636f64653a203530336a0470726f64722436663864336631652d303030302d343030302d383030302d30303030',
  '30303030303030327a08656e763a70726f647a077465616d3a72637a067a6f6e653a6182012430663465336332612d316232',
  '632d346435652d386639302d313233343536373839616263',
].join('');

t.test('identity from the config, as the reference fills it', (t) => {
  t.same(upstreamIdentityFromConfig(config), {
    hostname: 'web-1',
    agentVersion: '7.72.0',
    traceAgentEnv: 'prod',
    tags: ['env:prod', 'team:rc', 'zone:a'],
  });
  t.end();
});

t.test('golden: the encoded request', (t) => {
  const req = buildLatestConfigsRequest(input);
  const bytes = Buffer.from(pb.LatestConfigsRequest.encode(req).finish());
  // Field tags of the fields this issue adds (proto field numbers, wire type 2):
  // trace_agent_env 13 → 0x6a, org_uuid 14 → 0x72, tags 15 → 0x7a, agent_uuid 16 → 0x82 0x01.
  const field = (tag: number[], value: string): Buffer =>
    Buffer.concat([Buffer.from(tag), Buffer.from([value.length]), Buffer.from(value)]);
  t.ok(bytes.includes(field([0x0a], 'web-1')), 'hostname = 1');
  t.ok(bytes.includes(field([0x12], '7.72.0')), 'agentVersion = 2');
  t.ok(bytes.includes(field([0x6a], 'prod')), 'trace_agent_env = 13');
  t.ok(bytes.includes(field([0x72], input.orgUuid)), 'org_uuid = 14');
  t.ok(
    bytes.includes(Buffer.concat([field([0x7a], 'env:prod'), field([0x7a], 'team:rc'), field([0x7a], 'zone:a')])),
    'tags = 15, sorted',
  );
  t.ok(bytes.includes(field([0x82, 0x01], input.agentUuid)), 'agent_uuid = 16');
  t.equal(bytes.toString('hex'), GOLDEN_HEX, 'LatestConfigsRequest bytes');

  const back = pb.LatestConfigsRequest.decode(bytes);
  t.equal(back.hostname, 'web-1');
  t.equal(back.agentVersion, '7.72.0');
  t.equal(back.traceAgentEnv, 'prod');
  t.same(back.tags, ['env:prod', 'team:rc', 'zone:a']);
  t.equal(back.agentUuid, input.agentUuid);
  t.same(back.products, ['APM_TRACING', 'FFE_FLAGS']);
  t.same(back.newProducts, ['ASM_DD']);
  t.equal(Number(back.currentConfigSnapshotVersion), 40);
  t.equal(Number(back.currentConfigRootVersion), 3);
  t.equal(Number(back.currentDirectorRootVersion), 2);
  t.equal(back.hasError, true);
  t.equal(back.error, 'api: non-200 response code: 503');
  t.equal(Buffer.from(back.backendClientState).toString(), '{"foo":"bar"}');
  t.equal(back.activeClients[0]?.clientTracer?.service, 'checkout');
  t.end();
});

t.test('an identity without env or tags sends them empty', (t) => {
  const req = buildLatestConfigsRequest({ ...input, identity: { hostname: 'h', agentVersion: '7.72.0' } });
  t.equal(req.traceAgentEnv, '');
  t.same(req.tags, []);
  t.end();
});
