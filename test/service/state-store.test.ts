import { mkdtempSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { StateStore } from '../../src/service/index.js';
import type { PersistedState } from '../../src/uptane/index.js';

const identity = { agentVersion: '1', apiKey: 'k', backendUrl: 'https://config.datadoghq.com' };
const state: PersistedState = {
  format: 1,
  director: { roots: { '1': 'e30=' } },
  config: { roots: { '1': 'e30=' }, delegated: {} },
  files: { 'datadog/2/X/y/config': 'aGk=' },
};

t.test('persists state and org UUIDs across reopen', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'rc-store-'));
  const first = await StateStore.open(dir, identity);
  t.equal(first.recreated, undefined);
  const uuid = first.store.agentUuid();
  await first.store.saveState(state, { configRootVersion: 3, uuid: 'org-uuid' });
  await first.store.close();
  const second = await StateStore.open(dir, identity);
  t.teardown(() => second.store.close());
  t.same(second.store.loadState(), state);
  t.equal(second.store.orgUuid(3), 'org-uuid');
  t.equal(second.store.orgUuid(4), undefined);
  t.equal(second.store.agentUuid(), uuid, 'agent UUID is stable');
  await second.store.reset();
  t.equal(second.store.loadState(), undefined, 'reset forgets the state');
  t.equal(second.store.agentUuid(), uuid, 'but keeps the agent UUID');
});

for (const [what, change] of [
  ['API key', { apiKey: 'other' }],
  ['backend URL', { backendUrl: 'https://config.datadoghq.eu' }],
  ['agent version', { agentVersion: '2' }],
] as const) {
  t.test(`a store written for another ${what} is recreated`, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'rc-store-'));
    const first = await StateStore.open(dir, identity);
    await first.store.saveState(state);
    await first.store.close();
    const second = await StateStore.open(dir, { ...identity, ...change });
    t.teardown(() => second.store.close());
    t.ok(second.recreated, `recreated: ${second.recreated}`);
    t.equal(second.store.loadState(), undefined);
  });
}

t.test('a corrupt store file is detected and recreated', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'rc-store-'));
  const first = await StateStore.open(dir, identity);
  await first.store.saveState(state);
  await first.store.close();
  const path = join(dir, 'remote-config.db');
  t.ok(existsSync(path));
  writeFileSync(path, Buffer.alloc(64 * 1024, 0x5a));
  const second = await StateStore.open(dir, identity);
  t.teardown(() => second.store.close());
  t.match(second.recreated, /unreadable store/);
  t.equal(second.store.loadState(), undefined);
  await second.store.saveState(state);
  t.same(second.store.loadState(), state, 'the recreated store works');
});
