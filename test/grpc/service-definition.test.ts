// ClientGetConfigs response serialisation: a frozen (shared) reply is encoded once; any reply decodes back the same.
import t from 'tap';
import { AGENT_SECURE_DEFINITION } from '../../src/grpc/service-definition.js';
import { pb, type IClientGetConfigsResponse } from '../../src/proto/index.js';

t.test('a frozen reply is encoded once and reused; others every time', (t) => {
  const def = AGENT_SECURE_DEFINITION.ClientGetConfigs;
  const reply: IClientGetConfigsResponse = {
    roots: [],
    targets: Buffer.from('{"signed":{}}'),
    targetFiles: [{ path: 'datadog/2/FFE_FLAGS/a/config', raw: Buffer.from('{"x":1}') }],
    clientConfigs: ['datadog/2/FFE_FLAGS/a/config'],
  };
  const open = def.responseSerialize(reply);
  t.not(def.responseSerialize(reply), open, 'a mutable reply is encoded per call');
  Object.freeze(reply);
  const first = def.responseSerialize(reply);
  t.equal(def.responseSerialize(reply), first, 'the same bytes object for the same frozen reply');
  t.same([...first], [...open], 'same bytes as the uncached encoding');
  const decoded = pb.ClientGetConfigsResponse.decode(first);
  t.equal(decoded.clientConfigs[0], 'datadog/2/FFE_FLAGS/a/config');
  t.equal(Buffer.from(decoded.targetFiles[0]!.raw!).toString(), '{"x":1}');
  t.end();
});
