import t from 'tap';
import { pb } from '../../src/proto/index.js';

t.test('uint64 fields decode as numbers and field numbers match the reference', (t) => {
  const bytes = pb.LatestConfigsRequest.encode({ currentConfigRootVersion: 1795344487, agentUuid: 'u' }).finish();
  // field 9 varint (tag 0x48), field 16 length-delimited (tag 0x82 0x01)
  t.equal(bytes[0], 0x48);
  const decoded = pb.LatestConfigsRequest.decode(bytes);
  t.equal(decoded.currentConfigRootVersion, 1795344487);
  t.equal(decoded.agentUuid, 'u');
  t.end();
});
