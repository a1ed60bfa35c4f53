// Issue 11, what it must show: three `rc-agent run` processes, one real Redis (redis-server on loopback), one signed
// backend simulator. A 300-client herd spread over the replicas costs no more backend calls than on one replica (each
// herd right after a flag change: every first reply holds it, on one replica and on the fleet); the
// replicas serve a new targets version within 1 s of each other; a tampered round written into Redis is rejected by
// every replica and never served; SIGKILL of the leader hands over within 10 s; Redis stopped and restarted mid-run →
// standalone, then rejoined. Tracer requests to the live replicas never fail throughout.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { Redis } from 'ioredis';
import { request } from 'undici';
import { startBackendSimulator, createHttpBackendClient } from '../../src/backend/index.js';
import { pb } from '../../src/proto/index.js';
import { clusterKeys } from '../../src/cluster/keys.js';
import { decodeRound, encodeRound, type Ask } from '../../src/cluster/rounds.js';
import type { StatusReport } from '../../src/service/index.js';
import { spawnAgent, waitUntil, type AgentProcess } from '../helpers/agent-process.js';
import { redisServerAvailable, startRedisServer } from '../helpers/redis-server.js';
import { writeConfig } from '../helpers/backend-sim.js';

const API_KEY = 'cluster-test-key';
const CLUSTER = 'fleet-test';
const FFE = 'FFE_FLAGS/ffe-fleet/config';
const APM = 'APM_TRACING/apm-fleet/config';
const PRODUCTS = ['APM_TRACING', 'FFE_FLAGS'];
const TAMPERED_MARK = 'TAMPERED-IN-REDIS';
/** Generous: three tsx processes compile at once on a shared machine. */
const START_TIMEOUT_MS = 60_000;

interface Reply {
  status: number;
  targetsVersion: number;
  files: Record<string, string>;
}

function body(id: string, targetsVersion = 0): string {
  return JSON.stringify({
    client: {
      state: { root_version: 1, targets_version: targetsVersion, config_states: [], has_error: false, error: '' },
      id,
      products: PRODUCTS,
      is_tracer: true,
      client_tracer: {
        runtime_id: `rt-${id}`,
        language: 'node',
        tracer_version: '5.0.0',
        service: 'fleet',
        env: 'dev',
      },
    },
    cached_target_files: [],
  });
}

async function poll(url: string, id: string, targetsVersion = 0): Promise<Reply> {
  const res = await request(`${url}/v0.7/config`, { method: 'POST', body: body(id, targetsVersion) });
  const text = await res.body.text();
  if (res.statusCode !== 200) return { status: res.statusCode, targetsVersion: -1, files: {} };
  const json = JSON.parse(text) as { targets?: string; target_files?: Array<{ path: string; raw: string }> };
  const signed = json.targets
    ? (JSON.parse(Buffer.from(json.targets, 'base64').toString()) as { signed: { version: number } }).signed
    : undefined;
  const files: Record<string, string> = {};
  for (const f of json.target_files ?? []) files[f.path] = Buffer.from(f.raw, 'base64').toString();
  return { status: 200, targetsVersion: signed?.version ?? targetsVersion, files };
}

async function status(url: string): Promise<StatusReport> {
  const res = await request(`${url}/status`);
  return (await res.body.json()) as StatusReport;
}

/** `n` new tracers, round-robin over `urls`, `concurrency` at a time; resolves with every reply. */
async function herd(urls: readonly string[], n: number, concurrency = n): Promise<Reply[]> {
  const replies: Reply[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        const i = next++;
        replies.push(await poll(urls[i % urls.length]!, randomUUID()));
      }
    }),
  );
  return replies;
}

/** Tracers polling the given replicas every 100 ms until stopped; every answer's HTTP status is kept. */
function tracers(urls: () => readonly string[]) {
  const statuses: number[] = [];
  const ids = Array.from({ length: 4 }, () => randomUUID());
  let running = true;
  const loop = (async () => {
    let k = 0;
    while (running) {
      const live = urls();
      await Promise.all(
        ids.map(async (known, i) => {
          const url = live[(i + k) % live.length]!;
          // Mostly known tracers; now and then a new one (it bypasses, so it needs a round or the budget).
          const id = i === 0 && k % 5 === 0 ? randomUUID() : known;
          try {
            statuses.push((await poll(url, id)).status);
          } catch {
            statuses.push(0);
          }
        }),
      );
      k++;
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return {
    statuses,
    stop: async () => {
      running = false;
      await loop;
      return statuses;
    },
  };
}

const ffeContent = (marker: string): string =>
  JSON.stringify({ format: 'SERVER', environment: { name: 'dev' }, flags: {}, marker });

t.test('replicas on one Redis act as one agent and never trust Redis', { skip: !redisServerAvailable() }, async (t) => {
  const work = mkdtempSync(join(tmpdir(), 'rc-fleet-'));
  t.teardown(() => rmSync(work, { recursive: true, force: true }));
  const configs = join(work, 'configs');
  writeConfig(configs, FFE, ffeContent('v1'));
  writeConfig(configs, APM, '{"lib_config":{"tracing_sampling_rate":0.5}}');
  const backendState = join(work, 'backend');
  const sim = await startBackendSimulator({ configsDir: configs, stateDir: backendState, pollIntervalMs: 0 });
  t.teardown(() => sim.close());
  const redis = await startRedisServer(t);
  const admin = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  admin.on('error', () => undefined);
  await admin.connect();
  t.teardown(() => admin.disconnect());
  const keys = clusterKeys(CLUSTER, API_KEY);

  const env = (name: string, withRedis: boolean): Record<string, string> => ({
    DD_RUN_PATH: join(work, name),
    DD_API_KEY: API_KEY,
    DD_LOG_LEVEL: 'info',
    DD_REMOTE_CONFIGURATION_RC_DD_URL: sim.url,
    DD_REMOTE_CONFIGURATION_NO_TLS: 'true',
    DD_REMOTE_CONFIGURATION_CONFIG_ROOT: join(backendState, 'config-root.json'),
    DD_REMOTE_CONFIGURATION_DIRECTOR_ROOT: join(backendState, 'director-root.json'),
    ...(withRedis
      ? {
          DD_REMOTE_CONFIGURATION_CLUSTER_REDIS_URL: redis.url,
          DD_REMOTE_CONFIGURATION_CLUSTER_NAME: CLUSTER,
          DD_REMOTE_CONFIGURATION_CLUSTER_LOCK_TTL: '1s',
          DD_REMOTE_CONFIGURATION_CLUSTER_CONNECT_TIMEOUT_MS: '300',
          DD_REMOTE_CONFIGURATION_CLUSTER_COMMAND_TIMEOUT_MS: '300',
        }
      : {}),
  });
  const agents: AgentProcess[] = [];
  t.teardown(() => Promise.all(agents.map((a) => a.stop('SIGKILL'))));
  const ready = (a: AgentProcess) => waitUntil('ready', async () => (await status(a.httpUrl)).ready || undefined);

  // The same herd on one replica and on the fleet, each time with the flags changed more than the freshness window
  // before it and not fetched since: every first reply must hold the new flags, so each herd costs at least one
  // backend call. The calls counted are those made by the time the last reply arrived (the rounds the herd waited
  // for); each replica has seen the herd's products before, so no product is left for a later round.
  let marker = 0;
  const herdAfterFlagChange = async (replicas: readonly AgentProcess[]) => {
    const urls = replicas.map((a) => a.httpUrl);
    // One tracer per replica first, so every replica (and, through Redis, the leader) already knows the herd's
    // products: the herd then costs only the rounds its flags need, not a product discovered by another process
    // after a round started.
    await Promise.all(urls.map((u) => poll(u, randomUUID())));
    let changedAt = 0;
    for (let attempt = 0; attempt < 5; attempt++) {
      writeConfig(configs, FFE, ffeContent(`herd-${++marker}`));
      await sim.rescan();
      changedAt = Date.now();
      await new Promise((r) => setTimeout(r, 1200));
      const asOf = await Promise.all(urls.map(async (u) => Date.parse((await status(u)).freshAsOf ?? '') || 0));
      if (asOf.every((ms) => ms < changedAt)) break; // no replica fetched since the change
    }
    const before = sim.stats.configurationsRequests;
    const herdStartMs = Date.now();
    const replies = await herd(urls, 300);
    const herdMs = Date.now() - herdStartMs;
    // The calls the herd waited for: every reply holds the new flags, so their round had landed by the last reply.
    const calls = sim.stats.configurationsRequests - before;
    const flags = ffeContent(`herd-${marker}`);
    const current = replies.filter((r) => Object.entries(r.files).some(([p, f]) => p.endsWith(FFE) && f === flags));
    return { statuses: replies.map((r) => r.status), calls, current: current.length, herdMs };
  };

  // Baseline: the herd on one standalone replica.
  const single = await spawnAgent(env('single', false), START_TIMEOUT_MS);
  agents.push(single);
  await ready(single);
  const singleHerd = await herdAfterFlagChange([single]);
  const singleCalls = singleHerd.calls;
  t.same(new Set(singleHerd.statuses), new Set([200]), 'one replica: every herd request answered');
  t.equal(singleHerd.current, 300, 'one replica: every first reply holds the flags changed before the herd');
  t.ok(singleCalls >= 1, `one replica: the herd needed the backend (${singleCalls} calls)`);
  await single.stop('SIGKILL');
  agents.length = 0;

  // The fleet.
  const fleet: AgentProcess[] = [];
  for (const i of [0, 1, 2]) {
    fleet.push(await spawnAgent(env(`replica-${i}`, true), START_TIMEOUT_MS));
    agents.push(fleet[i]!);
  }
  t.teardown(() => {
    if (process.env.FLEET_DEBUG) for (const [i, a] of fleet.entries()) writeFileSync(`/tmp/fleet-${i}.log`, a.output());
  });
  await Promise.all(fleet.map(ready));
  const modes = async (list: readonly AgentProcess[]) =>
    (await Promise.all(list.map(async (a) => (await status(a.httpUrl)).cluster?.mode ?? 'none'))).sort().join(',');
  await waitUntil('one leader, two followers', async () =>
    (await modes(fleet)) === 'follower,follower,leader' ? true : undefined,
  );
  const fleetHerd = await herdAfterFlagChange(fleet);
  const fleetCalls = fleetHerd.calls;
  t.same(new Set(fleetHerd.statuses), new Set([200]), 'fleet: every herd request answered');
  t.equal(fleetHerd.current, 300, 'fleet: every first reply holds the flags changed before the herd');
  t.ok(fleetCalls <= singleCalls, `fleet backend calls ${fleetCalls} ≤ one replica's ${singleCalls}`);
  t.comment(
    `herd of 300: one replica ${singleCalls} backend calls in ${singleHerd.herdMs} ms, ` +
      `3 replicas on Redis ${fleetCalls} in ${fleetHerd.herdMs} ms`,
  );
  // What each replica did, printed when the herd fell short (CI keeps only the output).
  if (process.env.FLEET_DEBUG || fleetHerd.current !== 300 || fleetCalls > singleCalls) {
    for (const r of sim.stats.requests.slice(-fleetCalls)) {
      t.comment(
        `  call from ${r.agentUuid} products ${r.products?.join()} new ${r.newProducts?.join()} clients ${r.activeClients?.length}`,
      );
    }
    for (const a of fleet) {
      const s = await status(a.httpUrl);
      t.comment(
        `  ${s.cluster?.replicaId} ${JSON.stringify(s.cluster)} ${JSON.stringify(s.bypass.fast)} ${JSON.stringify(s.refreshes)}`,
      );
    }
  }

  // A new version reaches every replica within 1 s of the first.
  const urls = fleet.map((a) => a.httpUrl);
  const v0 = (await status(urls[0]!)).versions.directorTargets;
  writeConfig(configs, FFE, ffeContent('v2'));
  await sim.rescan();
  await new Promise((r) => setTimeout(r, 1100)); // the freshness contract: what the backend held 1 s before
  const seenAt: number[] = [];
  const probe = Promise.all(
    urls.map(async (url, i) => {
      await waitUntil('new version', async () =>
        (await status(url)).versions.directorTargets > v0 ? true : undefined,
      );
      seenAt[i] = Date.now();
    }),
  );
  await poll(urls[1]!, randomUUID()); // a new tracer on a follower: its bypass makes the leader's next round
  await probe;
  const spreadMs = Math.max(...seenAt) - Math.min(...seenAt);
  t.ok(spreadMs <= 1000, `replicas serve the new version within ${spreadMs} ms of each other (≤ 1000)`);
  t.comment(`version spread over 3 replicas: ${spreadMs} ms`);
  const t0 = Math.min(...seenAt);
  for (const [i, url] of urls.entries()) {
    t.comment(`replica ${i}: +${seenAt[i]! - t0} ms ${JSON.stringify((await status(url)).cluster)}`);
  }

  // A tampered round: an attacker holding Redis takes the lock, answers the replicas' asks with altered bytes.
  const tracing = tracers(() => urls);
  await admin.del(keys.leader);
  await admin.set(keys.leader, 'attacker:999999', 'PX', 60_000);
  await waitUntil('every replica follows the attacker', async () =>
    (await modes(fleet)) === 'follower,follower,follower' ? true : undefined,
  );
  writeConfig(configs, FFE, ffeContent('v3'));
  await sim.rescan();
  await new Promise((r) => setTimeout(r, 1100));
  const rejectedBefore = await Promise.all(urls.map(async (u) => (await status(u)).cluster?.roundsRejected ?? 0));
  await Promise.all(urls.map((u) => poll(u, randomUUID()))); // new tracers: every replica asks
  const attacker = createHttpBackendClient({ baseUrl: sim.url, apiKey: API_KEY, noTls: true, fetchTimeoutMs: 5000 });
  t.teardown(() => attacker.close());
  const asks = await waitUntil('three asks', async () => {
    const all = await admin.hgetall(keys.asks);
    return Object.keys(all).length >= 3 ? all : undefined;
  });
  await admin.del(keys.asks);
  const [askIds, firstAsk] = [Object.keys(asks), JSON.parse(Object.values(asks)[0]!) as Ask];
  const real = await attacker.fetchLatestConfigs({
    hostname: 'attacker',
    agentVersion: '7.70.0',
    currentConfigSnapshotVersion: firstAsk.basis.configSnapshot,
    currentConfigRootVersion: firstAsk.basis.configRoot,
    currentDirectorRootVersion: firstAsk.basis.directorRoot,
    products: [...firstAsk.products],
    newProducts: [...firstAsk.newProducts],
    orgUuid: firstAsk.basis.orgUuid,
    backendClientState: Buffer.from(firstAsk.basis.clientState, 'base64'),
  });
  const tampered = pb.LatestConfigsResponse.decode(pb.LatestConfigsResponse.encode(real).finish());
  const ffeFile = tampered.targetFiles?.find((f) => f.path?.includes('FFE_FLAGS'));
  t.ok(ffeFile, 'the real answer carries the new FFE_FLAGS file');
  ffeFile!.raw = Buffer.from(ffeContent(TAMPERED_MARK));
  const id = await admin.incr(keys.roundSeq);
  await admin.set(
    keys.roundPrefix + String(id),
    encodeRound({
      fence: 999999,
      leader: 'attacker',
      basis: firstAsk.basis,
      products: firstAsk.products,
      newProducts: firstAsk.newProducts,
      askIds,
      fetchStartedAtMs: Date.now(),
      publishedAtMs: Date.now(),
      payload: pb.LatestConfigsResponse.encode(tampered).finish(),
    }),
  );
  t.ok(decodeRound((await admin.get(keys.roundPrefix + String(id)))!), 'the forged round is well-formed');
  await admin.publish(keys.roundsChannel, String(id));
  await waitUntil('every replica rejected the round', async () => {
    const now = await Promise.all(urls.map(async (u) => (await status(u)).cluster?.roundsRejected ?? 0));
    return now.every((n, i) => n > rejectedBefore[i]!) ? true : undefined;
  });
  for (const url of urls) {
    const metrics = await (await request(`${url}/metrics`)).body.text();
    t.match(metrics, /rc_verification_failures_total\{reason="[A-Z_]+"\} [1-9]/, 'verification failure counted');
  }
  // They fall back to the backend: the real v3, never the tampered bytes.
  await waitUntil('every replica serves the real v3', async () => {
    const replies = await Promise.all(urls.map((u) => poll(u, randomUUID())));
    return replies.every((r) => Object.values(r.files).some((f) => f.includes('"v3"'))) ? true : undefined;
  });
  for (const url of urls) {
    const reply = await poll(url, randomUUID());
    t.notOk(JSON.stringify(reply.files).includes(TAMPERED_MARK), 'tampered bytes never served');
  }
  await admin.del(keys.leader);
  await waitUntil('a replica leads again', async () =>
    (await modes(fleet)) === 'follower,follower,leader' ? true : undefined,
  );

  // SIGKILL of the leader: another replica leads within 10 s; tracers on the survivors never fail.
  const leaderIndex = (await Promise.all(urls.map(async (u) => (await status(u)).cluster?.mode))).indexOf('leader');
  const survivors = fleet.filter((_, i) => i !== leaderIndex);
  const live = survivors.map((a) => a.httpUrl);
  const tracingStatuses = await tracing.stop();
  const survivorTracing = tracers(() => live);
  const killedAt = Date.now();
  await fleet[leaderIndex]!.stop('SIGKILL');
  await waitUntil(
    'a new leader',
    async () => ((await modes(survivors)) === 'follower,leader' ? true : undefined),
    10_000,
  );
  const handoverMs = Date.now() - killedAt;
  t.ok(handoverMs < 10_000, `handover in ${handoverMs} ms (lock TTL 1 s)`);
  t.comment(`leader SIGKILL → new leader in ${handoverMs} ms`);

  // Redis stopped mid-run: standalone, serving; restarted: rejoined.
  await redis.stop();
  await waitUntil('standalone', async () => ((await modes(survivors)) === 'standalone,standalone' ? true : undefined));
  const ready503 = await request(`${live[0]}/readyz`);
  t.match(await ready503.body.text(), /cluster fleet-test: standalone \(Redis unavailable/, '/readyz says standalone');
  writeConfig(configs, FFE, ffeContent('v4'));
  await sim.rescan();
  await waitUntil('standalone replicas still refresh', async () => {
    const replies = await Promise.all(live.map((u) => poll(u, randomUUID())));
    return replies.every((r) => Object.values(r.files).some((f) => f.includes('"v4"'))) ? true : undefined;
  });
  await redis.restart();
  await waitUntil('rejoined', async () => ((await modes(survivors)) === 'follower,leader' ? true : undefined));
  const all = [...tracingStatuses, ...(await survivorTracing.stop())];
  t.ok(all.length > 20, `${all.length} tracer requests during the run`);
  t.same(new Set(all), new Set([200]), 'no tracer request failed');
  t.comment(`tracer requests: ${all.length}, all 200`);
});
