import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { loadOrCreateAgentUuid } from '../../src/backend/index.js';
import { AGENT_UUID_FILE } from '../../src/backend/agent-uuid.js';
import { StateStore } from '../../src/service/index.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

t.test('the host ID as the reference derives it, persisted in the data dir', (t) => {
  const dir = t.testdir({
    product_uuid: 'EC2A5A5C-1234-5678-9ABC-DEF012345678\n',
    'machine-id': '0123456789abcdef0123456789abcdef\n',
  });
  const data = join(dir, 'data');
  const sources = { productUuidFile: join(dir, 'product_uuid'), machineIdFile: join(dir, 'machine-id') };
  t.equal(loadOrCreateAgentUuid(data, sources), 'ec2a5a5c-1234-5678-9abc-def012345678', 'DMI product UUID first');
  t.equal(readFileSync(join(data, AGENT_UUID_FILE), 'utf8'), 'ec2a5a5c-1234-5678-9abc-def012345678\n');
  // stable: the stored value wins even if the host sources change
  writeFileSync(join(dir, 'product_uuid'), '11111111-2222-3333-4444-555555555555');
  t.equal(loadOrCreateAgentUuid(data, sources), 'ec2a5a5c-1234-5678-9abc-def012345678');

  const data2 = join(dir, 'data2');
  const machineOnly = { productUuidFile: join(dir, 'absent'), machineIdFile: join(dir, 'machine-id') };
  t.equal(loadOrCreateAgentUuid(data2, machineOnly), '01234567-89ab-cdef-0123-456789abcdef', 'machine-id as a UUID');

  const data3 = join(dir, 'data3');
  const none = { productUuidFile: join(dir, 'absent'), machineIdFile: join(dir, 'absent') };
  const random = loadOrCreateAgentUuid(data3, none);
  t.match(random, UUID, 'no host ID: a random UUID');
  t.equal(loadOrCreateAgentUuid(data3, none), random, 'kept across restarts');
  t.end();
});

t.test('the store sends the persisted UUID and keeps it across a rebuild (API key change)', async (t) => {
  const dir = t.testdir();
  const uuid = '01234567-89ab-cdef-0123-456789abcdef';
  const first = await StateStore.open(dir, { agentVersion: '1', apiKey: 'a', backendUrl: 'u', agentUuid: uuid });
  t.equal(first.store.agentUuid(), uuid);
  await first.store.close();
  const second = await StateStore.open(dir, { agentVersion: '1', apiKey: 'b', backendUrl: 'u', agentUuid: uuid });
  t.equal(second.recreated, 'API key changed', 'the reference rebuilds the store for another key hash');
  t.equal(second.store.agentUuid(), uuid, 'the agent UUID survives');
  await second.store.close();
});
