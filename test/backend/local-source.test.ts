import { readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import t, { type Test } from 'tap';
import { createLocalSource } from '../../src/backend/index.js';
import { LOCAL_SOURCE_STATE_FILE, type LocalSourceOptions } from '../../src/backend/local-source.js';
import type { ILatestConfigsRequest } from '../../src/proto/index.js';
import { createTrustedState, tufVersions, verifyOrg, verifyUpdate, type TrustedState } from '../../src/uptane/index.js';
import { AGENT_VERSION, eventually, makeConfigDir, tempDir, text, writeConfig } from '../helpers/backend-sim.js';

function requestFor(state: TrustedState | undefined): ILatestConfigsRequest {
  const base = { hostname: 'h', agentVersion: AGENT_VERSION, products: ['APM_TRACING', 'FFE_FLAGS'] };
  if (state === undefined) return base;
  const v = tufVersions(state);
  return {
    ...base,
    currentConfigSnapshotVersion: v.configSnapshot,
    currentConfigRootVersion: v.configRoot,
    currentDirectorRootVersion: v.directorRoot,
    backendClientState: state.opaqueBackendState,
  };
}

async function open(t: Test, opts: LocalSourceOptions) {
  const source = await createLocalSource(opts);
  t.teardown(() => source.close());
  return source;
}

void t.test('serves the config dir through the verifier with the pinned roots', async (t) => {
  const dir = makeConfigDir(t);
  const dataDir = tempDir(t);
  const source = await open(t, { dir, orgId: 2, dataDir, pollIntervalMs: 0 });
  t.equal(source.client.url, `local:${resolve(dir)}`);
  const state = verifyUpdate(
    createTrustedState(source.pinnedRoots),
    await source.client.fetchLatestConfigs(requestFor(undefined)),
    Date.now(),
  );
  t.equal(state.files.size, 3);
  verifyOrg(state, { storedOrgUuid: await source.client.fetchOrgUuid() });
  t.same(await source.client.fetchOrgStatus(), { enabled: true, authorized: true });
  t.equal(statSync(join(dataDir, LOCAL_SOURCE_STATE_FILE)).mode & 0o777, 0o600, 'keys written owner-only');

  writeConfig(dir, 'FFE_FLAGS/ffe-bench/config', '{"format":"SERVER","flags":{"a":{}}}');
  await source.rescan();
  const res = await source.client.fetchLatestConfigs(requestFor(state));
  t.same(
    res.targetFiles?.map((f) => f.path),
    ['datadog/2/FFE_FLAGS/ffe-bench/config'],
  );
  const next = verifyUpdate(state, res, Date.now());
  t.equal(text(next.files.get('datadog/2/FFE_FLAGS/ffe-bench/config')), '{"format":"SERVER","flags":{"a":{}}}');
});

void t.test('keys are created once: a restart pins the same roots and versions keep increasing', async (t) => {
  const dir = makeConfigDir(t);
  const dataDir = tempDir(t);
  const first = await createLocalSource({ dir, orgId: 2, dataDir, pollIntervalMs: 0 });
  const state = verifyUpdate(
    createTrustedState(first.pinnedRoots),
    await first.client.fetchLatestConfigs(requestFor(undefined)),
    Date.now(),
  );
  const keys = readFileSync(join(dataDir, LOCAL_SOURCE_STATE_FILE), 'utf8');
  await first.close();
  await t.rejects(first.client.fetchOrgUuid(), { code: 'NETWORK' }, 'a closed source refuses calls');

  const second = await open(t, { dir, orgId: 2, dataDir, pollIntervalMs: 0 });
  t.same(second.pinnedRoots, first.pinnedRoots);
  t.equal(
    JSON.parse(readFileSync(join(dataDir, LOCAL_SOURCE_STATE_FILE), 'utf8')).repos.config.roots[0],
    JSON.parse(keys).repos.config.roots[0],
  );
  // the agent's persisted state (from the first run) accepts the restarted source's full answer
  const after = verifyUpdate(
    state,
    await second.client.fetchLatestConfigs({ ...requestFor(state), hasError: true }),
    Date.now(),
  );
  t.ok(tufVersions(after).configSnapshot > tufVersions(state).configSnapshot);

  // another org ID gets new keys
  const other = await open(t, { dir, orgId: 3, dataDir: tempDir(t), pollIntervalMs: 0 });
  t.notSame(other.pinnedRoots, first.pinnedRoots);
});

void t.test('honours the AbortSignal', async (t) => {
  const source = await open(t, { dir: makeConfigDir(t), orgId: 2, dataDir: tempDir(t), pollIntervalMs: 0 });
  const ac = new AbortController();
  ac.abort();
  await t.rejects(source.client.fetchLatestConfigs(requestFor(undefined), ac.signal), {
    name: 'BackendError',
    code: 'ABORTED',
  });
  await t.rejects(source.client.fetchOrgUuid(ac.signal), { code: 'ABORTED' });
  await t.rejects(source.client.fetchOrgStatus(ac.signal), { code: 'ABORTED' });
});

void t.test('edits are picked up without an explicit rescan (fs.watch or the periodic rescan)', async (t) => {
  const dir = makeConfigDir(t);
  const source = await open(t, { dir, orgId: 2, dataDir: tempDir(t), pollIntervalMs: 200 });
  const state = verifyUpdate(
    createTrustedState(source.pinnedRoots),
    await source.client.fetchLatestConfigs(requestFor(undefined)),
    Date.now(),
  );
  writeConfig(dir, 'APM_TRACING/cfg-new/config', '{"lib_config":{}}');
  const res = await eventually(async () => {
    const r = await source.client.fetchLatestConfigs(requestFor(state));
    return (r.targetFiles?.length ?? 0) > 0 ? r : undefined;
  });
  t.same(
    res.targetFiles?.map((f) => f.path),
    ['datadog/2/APM_TRACING/cfg-new/config'],
  );
  t.equal(verifyUpdate(state, res, Date.now()).files.size, 4);
});
