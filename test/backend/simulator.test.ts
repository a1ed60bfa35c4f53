import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { startBackendSimulator, type BackendError } from '../../src/backend/index.js';
import { CONFIG_ROOT_FILE, DIRECTOR_ROOT_FILE, SIGNER_STATE_FILE } from '../../src/backend/simulator.js';
import { type FaultMode } from '../../src/backend/types.js';
import type { ILatestConfigsRequest, ILatestConfigsResponse } from '../../src/proto/index.js';
import {
  AGENT_VERSION,
  makeConfigDir,
  tempDir,
  postLatest,
  postRaw,
  signedOf,
  simClient,
  startSim,
  text,
  writeConfig,
} from '../helpers/backend-sim.js';
import { until } from '../helpers/until.js';

const ALL = ['APM_TRACING', 'FFE_FLAGS'];

function firstRequest(products = ALL): ILatestConfigsRequest {
  return { hostname: 'host-1', agentVersion: AGENT_VERSION, products };
}

/** The request an agent sends once it holds `res` (PROTOCOL.md §4.6 "Request"). */
function nextRequest(res: ILatestConfigsResponse, prev: ILatestConfigsRequest): ILatestConfigsRequest {
  const snapshot = signedOf(res.configMetas?.snapshot?.raw);
  const targets = signedOf(res.directorMetas?.targets?.raw);
  const custom = targets.custom as { opaque_backend_state: string };
  return {
    ...prev,
    currentConfigSnapshotVersion: snapshot.version as number,
    currentConfigRootVersion: res.configMetas?.roots?.length ?? 1,
    currentDirectorRootVersion: res.directorMetas?.roots?.length ?? 1,
    backendClientState: Buffer.from(custom.opaque_backend_state, 'base64'),
  };
}

function filePaths(res: ILatestConfigsResponse | undefined): string[] {
  return (res?.targetFiles ?? []).map((f) => f.path ?? '').sort();
}

function directorTargetPaths(res: ILatestConfigsResponse | undefined): string[] {
  return Object.keys(signedOf(res?.directorMetas?.targets?.raw).targets as object).sort();
}

void t.test('delta answers: full on versions 0 and has_error, only what changed otherwise', async (t) => {
  const dir = makeConfigDir(t);
  const sim = await startSim(t, { configsDir: dir });
  const req0 = firstRequest();
  const { status, response: full } = await postLatest(sim.url, req0);
  t.equal(status, 200);
  t.ok(full);
  t.same(filePaths(full), [
    'datadog/2/APM_TRACING/cfg-a/config',
    'datadog/2/APM_TRACING/cfg-b/config',
    'datadog/2/FFE_FLAGS/ffe-bench/config',
  ]);
  t.same(directorTargetPaths(full), filePaths(full));
  t.equal(full!.configMetas?.roots?.length, 1, 'v1 root sent on version 0');
  t.equal(full!.directorMetas?.roots?.length, 1);
  t.ok(full!.configMetas?.timestamp && full!.configMetas.snapshot && full!.configMetas.topTargets);
  t.same(full!.configMetas?.delegatedTargets?.map((d) => d.role).sort(), ALL);
  t.ok(full!.directorMetas?.timestamp && full!.directorMetas.snapshot && full!.directorMetas.targets);
  // sidecar fields land in the director target custom
  const targets = signedOf(full!.directorMetas?.targets?.raw).targets as Record<
    string,
    { custom: Record<string, unknown> }
  >;
  t.same(targets['datadog/2/APM_TRACING/cfg-b/config']?.custom, {
    'tracer-predicates': { tracer_predicates_v1: [{ service: 'checkout' }] },
    expires: 0,
    v: 1,
  });
  t.same(targets['datadog/2/APM_TRACING/cfg-a/config']?.custom, { v: 1 });

  // up to date: nothing
  const req1 = nextRequest(full!, req0);
  const same = (await postLatest(sim.url, req1)).response!;
  t.same(filePaths(same), []);
  t.notOk(same.configMetas?.timestamp, 'no config metas when nothing changed');
  t.notOk(same.directorMetas?.targets, 'no director metas when nothing changed');
  t.same(same.configMetas?.roots ?? [], []);

  // one file changes: only it, with a new director targets version and v
  writeConfig(dir, 'APM_TRACING/cfg-a/config', '{"lib_config":{"tracing_sampling_rate":0.1}}');
  await sim.rescan();
  const delta = (await postLatest(sim.url, req1)).response!;
  t.same(filePaths(delta), ['datadog/2/APM_TRACING/cfg-a/config']);
  t.equal(text(delta.targetFiles?.[0]?.raw), '{"lib_config":{"tracing_sampling_rate":0.1}}');
  const oldVersion = signedOf(full!.directorMetas?.targets?.raw).version as number;
  const newTargets = signedOf(delta.directorMetas?.targets?.raw);
  t.ok((newTargets.version as number) > oldVersion, 'director targets version increases');
  t.same((newTargets.targets as Record<string, { custom: unknown }>)['datadog/2/APM_TRACING/cfg-a/config']?.custom, {
    v: 2,
  });
  t.ok(delta.configMetas?.timestamp && delta.configMetas.snapshot);
  t.same(
    delta.configMetas?.delegatedTargets?.map((d) => d.role),
    ['APM_TRACING'],
    'only the changed role',
  );

  // has_error: everything again
  const again = (await postLatest(sim.url, { ...nextRequest(delta, req1), hasError: true, error: 'tuf: boom' }))
    .response!;
  t.equal(again.targetFiles?.length, 3);
  t.ok(again.configMetas?.topTargets && again.directorMetas?.targets);

  // a sidecar edit (and a new dotfile, ignored) re-publishes the custom fields
  writeConfig(dir, 'FFE_FLAGS/ffe-bench/.keep', '');
  writeFileSync(join(dir, 'APM_TRACING/cfg-b/config.meta.json'), '{"expires":1663732800}');
  await sim.rescan();
  const changedCustom = (await postLatest(sim.url, nextRequest(delta, req1))).response!;
  const t2 = signedOf(changedCustom.directorMetas?.targets?.raw).targets as Record<string, { custom: unknown }>;
  t.same(
    t2['datadog/2/APM_TRACING/cfg-b/config']?.custom,
    { expires: 1663732800, v: 1 },
    'sidecar edits are published',
  );

  // a deleted file leaves the director targets
  rmSync(join(dir, 'APM_TRACING/cfg-a'), { recursive: true });
  await sim.rescan();
  const removed = (await postLatest(sim.url, nextRequest(changedCustom, req1))).response!;
  t.same(directorTargetPaths(removed), ['datadog/2/APM_TRACING/cfg-b/config', 'datadog/2/FFE_FLAGS/ffe-bench/config']);
  t.same(filePaths(removed), []);
});

void t.test('products filter: only the requested products reach the director and the files', async (t) => {
  const sim = await startSim(t, { configsDir: makeConfigDir(t) });
  const res = (await postLatest(sim.url, firstRequest(['FFE_FLAGS']))).response!;
  t.same(filePaths(res), ['datadog/2/FFE_FLAGS/ffe-bench/config']);
  t.same(directorTargetPaths(res), ['datadog/2/FFE_FLAGS/ffe-bench/config']);
  const none = (await postLatest(sim.url, firstRequest([]))).response!;
  t.same(filePaths(none), []);
  t.same(directorTargetPaths(none), []);
  // a product added later (new_products) brings its files even for an up-to-date agent
  const req1 = nextRequest(res, firstRequest(['FFE_FLAGS']));
  const added = (await postLatest(sim.url, { ...req1, newProducts: ['APM_TRACING'] })).response!;
  t.same(filePaths(added), ['datadog/2/APM_TRACING/cfg-a/config', 'datadog/2/APM_TRACING/cfg-b/config']);
  t.equal(directorTargetPaths(added).length, 3);
});

void t.test('/org and /status', async (t) => {
  const sim = await startSim(t, { configsDir: makeConfigDir(t), orgId: 5 });
  const c = simClient(t, sim);
  const uuid = await c.fetchOrgUuid();
  t.equal(uuid, sim.orgUuid);
  t.same(await c.fetchOrgStatus(), { enabled: true, authorized: true });
  const res = await c.fetchLatestConfigs(firstRequest());
  t.same((signedOf(res.configMetas?.snapshot?.raw).custom as { org_uuid: string }).org_uuid, uuid);
  t.match(filePaths(res), [/^datadog\/5\//, /^datadog\/5\//, /^datadog\/5\//], 'paths use the org ID');
});

void t.test('rtt: every answer waits rttMs first', async (t) => {
  const waits: Array<{ ms: number; release: () => void }> = [];
  const sim = await startSim(t, {
    configsDir: makeConfigDir(t),
    rttMs: 250,
    sleep: (ms) => new Promise<void>((release) => waits.push({ ms, release })),
  });
  const c = simClient(t, sim);
  let answered = false;
  const pending = c.fetchOrgStatus().then((s) => {
    answered = true;
    return s;
  });
  await until(() => waits.length > 0, 'the rtt delay to start');
  t.equal(waits[0]!.ms, 250);
  t.equal(answered, false, 'held while the delay runs');
  waits[0]!.release();
  t.same(await pending, { enabled: true, authorized: true });
  sim.setRttMs(0);
  await c.fetchOrgUuid();
  t.equal(waits.length, 1, 'no delay at rtt 0');
  t.throws(() => sim.setRttMs(-1));
});

void t.test('rate limit: 429 with Retry-After beyond the rate, tokens refill with time', async (t) => {
  let nowMs = 1_800_000_000_000;
  const sim = await startSim(t, { configsDir: makeConfigDir(t), rateLimitPerS: 2, now: () => nowMs });
  const body = firstRequest();
  t.equal((await postLatest(sim.url, body)).status, 200);
  t.equal((await postLatest(sim.url, body)).status, 200);
  const limited = await postLatest(sim.url, body);
  t.equal(limited.status, 429);
  t.equal(limited.headers['retry-after'], '1');
  const err = (await simClient(t, sim)
    .fetchOrgUuid()
    .catch((e: unknown) => e)) as BackendError;
  t.equal(err.code, 'PROXY', '429 is a 4xx for the reference client');
  t.equal(err.retryAfterMs, 1000);
  nowMs += 500; // one token back at 2/s
  t.equal((await postLatest(sim.url, body)).status, 200);
  t.equal((await postLatest(sim.url, body)).status, 429);
  t.equal(sim.stats.responses['429'], 3);
  t.equal(sim.stats.configurationsRequests, 5, 'limited requests are counted too');
});

void t.test('faults on every endpoint map to the client errors', async (t) => {
  const sim = await startSim(t, { configsDir: makeConfigDir(t) });
  const c = simClient(t, sim, { fetchTimeoutMs: 150 });
  const expected: Array<[FaultMode, string]> = [
    ['500', 'NON_200'],
    ['503', 'SERVICE_UNAVAILABLE'],
    ['504', 'GATEWAY_TIMEOUT'],
    ['hang', 'TIMEOUT'],
    ['reset', 'NETWORK'],
    ['garbage', 'BAD_RESPONSE'],
    // headers at once, then a byte a second: the fetch timeout covers the body too
    ['drip', 'TIMEOUT'],
  ];
  const calls: Array<() => Promise<unknown>> = [
    () => c.fetchLatestConfigs(firstRequest()),
    () => c.fetchOrgUuid(),
    () => c.fetchOrgStatus(),
  ];
  for (const [fault, code] of expected) {
    sim.setFault(fault);
    for (const call of calls) await t.rejects(call(), { name: 'BackendError', code }, `${fault} → ${code}`);
  }
  sim.setFault('none');
  for (const call of calls) await t.resolves(call());
  t.throws(() => sim.setFault('bogus' as FaultMode), { code: 'INVALID_CONFIG' });
});

void t.test('close() ends hung requests', async (t) => {
  const sim = await startBackendSimulator({ configsDir: makeConfigDir(t), fault: 'hang', pollIntervalMs: 0 });
  const c = simClient(t, sim, { fetchTimeoutMs: 60_000 });
  const pending = c.fetchLatestConfigs(firstRequest()).catch((e: unknown) => e);
  await until(() => sim.stats.configurationsRequests > 0, 'the hung request at the simulator');
  await sim.close();
  t.match(await pending, { name: 'BackendError', code: 'NETWORK' });
});

void t.test('DD-Api-Key is checked when the simulator has one', async (t) => {
  const sim = await startSim(t, { configsDir: makeConfigDir(t), apiKey: 'secret' });
  const wrong = simClient(t, sim, { apiKey: 'nope' });
  await t.rejects(wrong.fetchLatestConfigs(firstRequest()), { code: 'UNAUTHORIZED' });
  await t.rejects(wrong.fetchOrgUuid(), { code: 'UNAUTHORIZED' });
  await t.rejects(wrong.fetchOrgStatus(), { code: 'UNAUTHORIZED' });
  t.equal((await postLatest(sim.url, firstRequest())).status, 401, 'no key at all');
  const right = simClient(t, sim, { apiKey: 'secret' });
  await t.resolves(right.fetchLatestConfigs(firstRequest()));
});

void t.test('bad requests are 400 and every request is recorded', async (t) => {
  const sim = await startSim(t, { configsDir: makeConfigDir(t) });
  t.equal((await postRaw(sim.url, Buffer.from('<not protobuf>'))).status, 400);
  const noVersion = await postLatest(sim.url, { hostname: 'h', products: ALL });
  t.equal(noVersion.status, 400, 'the backend rejects an empty agentVersion');
  const old = await postLatest(sim.url, { ...firstRequest(), agentVersion: '7.38.2' });
  t.equal(old.status, 400, 'and one older than 7.39.1');
  t.equal((await postLatest(sim.url, { ...firstRequest(), agentVersion: '7.39.1' })).status, 200);
  t.equal((await postLatest(sim.url, { ...firstRequest(), agentUuid: 'u-1' })).status, 200);
  t.equal(sim.stats.configurationsRequests, 5);
  t.equal(sim.stats.requests.length, 4, 'decoded requests only');
  t.equal(sim.stats.lastRequest?.agentUuid, 'u-1');
  t.same(sim.stats.lastRequest?.products, ALL);
});

void t.test('--state keeps keys and versions across runs and writes the v1 roots', async (t) => {
  const dir = makeConfigDir(t);
  const stateDir = join(tempDir(t), 'state');
  const sim1 = await startBackendSimulator({ configsDir: dir, stateDir, pollIntervalMs: 0 });
  const res1 = (await postLatest(sim1.url, firstRequest())).response!;
  await sim1.close();
  t.same(new Uint8Array(readFileSync(join(stateDir, CONFIG_ROOT_FILE))), sim1.pinnedRoots.config);
  t.same(new Uint8Array(readFileSync(join(stateDir, DIRECTOR_ROOT_FILE))), sim1.pinnedRoots.director);
  t.equal(statSync(join(stateDir, SIGNER_STATE_FILE)).mode & 0o777, 0o600, 'keys are owner-only');

  const sim2 = await startSim(t, { configsDir: dir, stateDir });
  t.same(sim2.pinnedRoots, sim1.pinnedRoots, 'same keys');
  t.equal(sim2.orgUuid, sim1.orgUuid);
  const res2 = (await postLatest(sim2.url, firstRequest())).response!;
  t.ok(
    (signedOf(res2.configMetas?.snapshot?.raw).version as number) >
      (signedOf(res1.configMetas?.snapshot?.raw).version as number),
    'config snapshot versions keep increasing across runs',
  );
  t.ok(
    (signedOf(res2.directorMetas?.timestamp?.raw).version as number) >
      (signedOf(res1.directorMetas?.timestamp?.raw).version as number),
  );
});

void t.test('bad options are refused', async (t) => {
  const dir = makeConfigDir(t);
  await t.rejects(startBackendSimulator({ configsDir: join(dir, 'missing') }), { code: 'INVALID_CONFIG' });
  await t.rejects(startBackendSimulator({ configsDir: dir, fault: 'x' as FaultMode }), { code: 'INVALID_CONFIG' });
  await t.rejects(startBackendSimulator({ configsDir: dir, rttMs: -5 }), { code: 'INVALID_CONFIG' });
  const stateDir = tempDir(t);
  writeFileSync(join(stateDir, SIGNER_STATE_FILE), '{broken');
  await t.rejects(startBackendSimulator({ configsDir: dir, stateDir }), {
    code: 'INVALID_CONFIG',
    message: /unreadable/,
  });
});

void t.test('a restarted simulator never serves director versions below the ones it served', async (t) => {
  const configsDir = makeConfigDir(t);
  const stateDir = tempDir(t);
  const nowMs = Date.UTC(2026, 10, 30, 6, 0, 0);
  const versionsOf = (res: ILatestConfigsResponse | undefined): { targets: number; timestamp: number } => ({
    targets: signedOf(res?.directorMetas?.targets?.raw).version as number,
    timestamp: signedOf(res?.directorMetas?.timestamp?.raw).version as number,
  });
  const first = await startBackendSimulator({ configsDir, stateDir, pollIntervalMs: 0, now: () => nowMs });
  // product sets never asked before, in the same second: each is signed with versions one above the last
  await postLatest(first.url, firstRequest(['APM_TRACING']));
  await postLatest(first.url, firstRequest(['APM_TRACING', 'FFE_FLAGS']));
  const served = versionsOf((await postLatest(first.url, firstRequest(['FFE_FLAGS']))).response);
  await first.close();
  // restarted at the same wall-clock second: epoch-second versions alone would not move past what was served
  const second = await startSim(t, { configsDir, stateDir, now: () => nowMs });
  const again = versionsOf((await postLatest(second.url, firstRequest(['FFE_FLAGS']))).response);
  t.ok(again.targets >= served.targets, `targets ${again.targets} >= ${served.targets}`);
  t.ok(again.timestamp >= served.timestamp, `timestamp ${again.timestamp} >= ${served.timestamp}`);
  // and a rollback attack after the restart still serves older versions than the honest ones
  second.setAttack('rollback');
  const rolled = versionsOf((await postLatest(second.url, firstRequest(['FFE_FLAGS']))).response);
  t.ok(rolled.targets < again.targets || rolled.timestamp < again.timestamp, 'rollback after a restart is a rollback');
});
