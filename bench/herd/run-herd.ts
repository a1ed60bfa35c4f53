// `rc-agent bench herd`: per scenario (agent policy × tracer population × timing) and round, a fresh backend
// simulator and agent child, a herd booted inside a ramp window at the chosen moment, and per tracer the time to the
// *current* flags and to all its configs; plus what the agent did (refreshes, bypass outcomes, lock hold, CPU per
// new tracer and per steady poll, RSS) and whether the load generator stayed valid.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { RcClient } from '../../src/client/index.js';
import type { BackendSimulator } from '../../src/backend/index.js';
import { openFileLimit } from '../../src/http/index.js';
import { BenchError } from '../error.js';
import {
  FFE_PRODUCT,
  ProcSampler,
  collectRunInfo,
  createProgress,
  deltaSamples,
  distribution,
  expectedPaths,
  getText,
  groupSamples,
  histogramMean,
  histogramQuantile,
  parsePromText,
  sumSamples,
  pinSelf,
  planCpus,
  startAgentProcess,
  startBenchBackend,
  writeBenchConfigs,
  writeFfeRevision,
  type AgentProcess,
  type BenchConfigs,
  type CpuPlan,
  type PromSample,
} from '../common/index.js';
import { prepareGenerators } from './generator-load.js';
import { loopbackSourceAddresses } from './source-addresses.js';
import { checkAgentConnections, generatorProcsFor } from './connection-budget.js';
import type { HerdLoad } from './herd-load.js';
import type { GeneratorStats, TracerResult } from './herd-protocol.js';
import { renderHerdReport } from './herd-report.js';
import { populationLanes } from './populations.js';
import { startRealLoad } from './real-load.js';
import { startRedisProcess, type RedisProcess } from './redis-process.js';
import {
  scenarioKey,
  type HerdComparison,
  type HerdOptions,
  type HerdResults,
  type HerdRoundResult,
  type HerdScenarioResult,
  type HerdScenarioSpec,
  type ReplicaResult,
  type Samples,
  type Spread,
} from './herd-types.js';

export interface HerdRunOutput {
  readonly results: HerdResults;
  readonly resultsPath: string;
  readonly reportPath: string;
}

const AGENT_READY_TIMEOUT_MS = 30_000;
/** The agent's default bind_host: tracers reach it over loopback. */
const AGENT_HOST = '127.0.0.1';
/** How often `/readyz` is asked until its first 200: the `ready` herd starts within this of readiness. */
const READY_POLL_INTERVAL_MS = 5;
const WATCH_INTERVAL_MS = 100;
const SAMPLE_INTERVAL_MS = 250;
/** `changed`: the FFE_FLAGS document changes this long before the herd. */
const CHANGE_LEAD_MS = 2000;
const METRICS_TIMEOUT_MS = 30_000;
/** More replicas than this on a bench machine measure the machine, not the fleet. */
export const MAX_REPLICAS = 16;
/** A generator whose event-loop delay p99 exceeds this made the tracers late by itself (issue 9). */
export const GENERATOR_MAX_LOOP_DELAY_P99_MS = 50;
/** ... or whose busiest second used more than this share of its core. */
export const GENERATOR_MAX_CPU_BUSIEST_SECOND = 0.9;

export function validateHerdOptions(opts: HerdOptions): void {
  const positive = (name: string, v: number, min = 1): void => {
    if (!Number.isFinite(v) || v < min) throw new BenchError('INVALID_OPTION', `${name} must be ≥ ${min}, got ${v}`);
  };
  positive('tracers', opts.tracers);
  positive('ramp-ms', opts.rampMs, 0);
  positive('cap-ms', opts.capMs, 0);
  positive('backend-rtt-ms', opts.backendRttMs, 0);
  positive('rounds', opts.rounds);
  positive('generator-procs', opts.generatorProcs);
  positive('poll-interval-ms', opts.pollIntervalMs);
  positive('request-timeout-ms', opts.requestTimeoutMs);
  positive('steady-window-ms', opts.steadyWindowMs, 0);
  const replicas = opts.replicas ?? 1;
  if (!Number.isSafeInteger(replicas) || replicas < 1 || replicas > MAX_REPLICAS) {
    throw new BenchError('INVALID_OPTION', `replicas must be between 1 and ${MAX_REPLICAS}, got ${replicas}`);
  }
  const fleets = opts.scenarios.filter((s) => s.fleet !== undefined);
  if (replicas > 1 && fleets.length < opts.scenarios.length) {
    throw new BenchError('INVALID_OPTION', 'with replicas > 1 every scenario says its fleet (redis or independent)');
  }
  if (replicas === 1 && fleets.length > 0) {
    throw new BenchError('INVALID_OPTION', `a fleet (${fleets[0]!.fleet}) needs replicas ≥ 2`);
  }
  if (replicas > 1 && opts.real !== undefined) {
    throw new BenchError('INVALID_OPTION', '--real drives one agent; it does not combine with replicas');
  }
  if (opts.scenarios.length === 0) throw new BenchError('INVALID_OPTION', 'no scenario to run');
  if (!opts.products.includes(FFE_PRODUCT)) {
    throw new BenchError('INVALID_OPTION', `products must include ${FFE_PRODUCT}, got ${opts.products.join(',')}`);
  }
  if (opts.steadyDelayMs < CHANGE_LEAD_MS + 1000) {
    throw new BenchError(
      'INVALID_OPTION',
      `steady-delay-ms must be ≥ ${CHANGE_LEAD_MS + 1000}, got ${opts.steadyDelayMs}`,
    );
  }
  if (opts.real !== undefined) {
    positive('launch-per-s', opts.real.launchPerS);
    const bad = opts.scenarios.find((s) => s.population !== 'unchanged' || s.timing === 'changed');
    if (bad !== undefined) {
      throw new BenchError(
        'INVALID_OPTION',
        `--real runs unchanged dd-trace-js at the ready or steady timing only, got ${scenarioKey(bad)}`,
      );
    }
  }
}

export async function runHerd(opts: HerdOptions): Promise<HerdRunOutput> {
  validateHerdOptions(opts);
  const fileLimit = openFileLimit();
  if (opts.real === undefined) {
    checkAgentConnections(opts.scenarios, opts.tracers, opts.replicas ?? 1, opts.products, fileLimit);
  }
  const run = collectRunInfo(opts.repoRoot);
  const cpu = fleetCpus(planCpus(opts.pin), opts.replicas ?? 1);
  if (cpu.pinned && cpu.loadCpus !== undefined) pinSelf(cpu.loadCpus);
  mkdirSync(opts.outDir, { recursive: true });
  const workDir = mkdtempSync(join(tmpdir(), 'rc-bench-herd-'));
  const sourceAddresses = opts.real === undefined ? await loopbackSourceAddresses(AGENT_HOST) : [];
  try {
    const scenarios: Record<string, HerdScenarioResult> = {};
    const used: { agentEnv: Readonly<Record<string, string>> | null; expected: readonly string[] } = {
      agentEnv: null,
      expected: [],
    };
    for (const [i, spec] of opts.scenarios.entries()) {
      const key = scenarioKey(spec);
      const rounds: HerdRoundResult[] = [];
      for (let round = 1; round <= opts.rounds; round++) {
        const label = opts.rounds > 1 ? `${key} #${round}` : key;
        const result = await runRound(opts, spec, cpu, round, label, {
          sourceAddresses,
          fileLimit,
          workDir: join(workDir, `scenario-${i}-${round}`),
          logPrefix: join(opts.outDir, 'logs', `${key.replace(/\//g, '-')}-${round}`),
          onAgent: (env, expected) => {
            used.agentEnv = env;
            used.expected = expected;
          },
        });
        rounds.push(result);
        process.stderr.write(`herd: ${label}: ${roundLine(result, opts.tracers)}\n`);
      }
      scenarios[key] = summarise(spec, opts.tracers, rounds);
    }
    const results: HerdResults = {
      kind: 'herd',
      run,
      cpu,
      config: {
        mode: opts.real === undefined ? 'emulated' : 'real',
        tracers: opts.tracers,
        rampMs: opts.real === undefined ? opts.rampMs : Math.round((opts.tracers * 1000) / opts.real.launchPerS),
        capMs: opts.capMs,
        backendRttMs: opts.backendRttMs,
        scenarios: opts.scenarios,
        rounds: opts.rounds,
        generatorProcs: opts.generatorProcs,
        products: opts.products,
        pollIntervalMs: opts.pollIntervalMs,
        fastPollIntervalMs: opts.fastPollIntervalMs,
        requestTimeoutMs: opts.requestTimeoutMs,
        steadyDelayMs: opts.steadyDelayMs,
        steadyWindowMs: opts.steadyWindowMs,
        pin: opts.pin,
        ...(opts.real === undefined ? {} : { real: opts.real }),
        ...(opts.agentEnv === undefined ? {} : { agentEnv: opts.agentEnv }),
        ...(opts.replicas === undefined ? {} : { replicas: opts.replicas }),
        expectedPaths: used.expected,
        sourceAddresses,
        agentChildEnv: used.agentEnv,
        validity: {
          maxEventLoopDelayP99Ms: GENERATOR_MAX_LOOP_DELAY_P99_MS,
          maxCpuBusiestSecond: GENERATOR_MAX_CPU_BUSIEST_SECOND,
        },
      },
      scenarios,
      comparisons: compareScenarios(scenarios),
    };
    const resultsPath = join(opts.outDir, 'results.json');
    const reportPath = join(opts.outDir, 'report.html');
    try {
      writeFileSync(resultsPath, `${JSON.stringify(results, null, 2)}\n`);
      writeFileSync(reportPath, await renderHerdReport(results));
    } catch (err) {
      throw new BenchError('REPORT', `cannot write the herd results to ${opts.outDir}`, { cause: err });
    }
    return { results, resultsPath, reportPath };
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

interface RoundContext {
  /** The emulated tracers' connections are bound to these in turn (source-addresses.ts). */
  readonly sourceAddresses: readonly string[];
  /** This process's open-file limit (generator children inherit it). */
  readonly fileLimit: number | undefined;
  /** Each agent's stderr tail goes to `<logPrefix>-agent-<i>.log` after the round. */
  readonly logPrefix: string;
  readonly workDir: string;
  readonly onAgent: (env: Readonly<Record<string, string>>, expected: readonly string[]) => void;
}

async function runRound(
  opts: HerdOptions,
  spec: HerdScenarioSpec,
  cpu: CpuPlan,
  round: number,
  label: string,
  ctx: RoundContext,
): Promise<HerdRoundResult> {
  const configs = writeBenchConfigs(join(ctx.workDir, 'configs'));
  const expected = expectedPaths(configs, opts.products);
  const stateDir = join(ctx.workDir, 'backend-state');
  mkdirSync(stateDir, { recursive: true });
  const replicaCount = spec.fleet === undefined ? 1 : (opts.replicas ?? 1);
  let backend: BackendSimulator | undefined;
  let redis: RedisProcess | undefined;
  const agents: AgentProcess[] = [];
  const warm: RcClient[] = [];
  const generators =
    opts.real === undefined
      ? await prepareGenerators({
          repoRoot: opts.repoRoot,
          procs: generatorProcsFor(
            opts.generatorProcs,
            opts.tracers * populationLanes(spec.population, opts.products).length,
            ctx.fileLimit,
          ),
          tracers: opts.tracers,
          rampMs: opts.rampMs,
          lanes: populationLanes(spec.population, opts.products),
          timing: { pollIntervalMs: opts.pollIntervalMs, fastPollIntervalMs: opts.fastPollIntervalMs },
          requestTimeoutMs: opts.requestTimeoutMs,
          expectedPaths: expected,
          ffePath: configs.ffePath,
        })
      : undefined;
  try {
    backend = await startBenchBackend({ configsDir: configs.dir, stateDir, rttMs: opts.backendRttMs });
    if (spec.fleet === 'redis') redis = await startRedisProcess(cpu.loadCpus);
    const starting = Array.from({ length: replicaCount }, (_, i) =>
      startAgentProcess({
        repoRoot: opts.repoRoot,
        policy: spec.policy,
        backendUrl: backend!.url,
        backendStateDir: stateDir,
        runPath: join(ctx.workDir, replicaCount === 1 ? 'agent' : `agent-${i}`),
        ...(cpu.agentCpus === undefined ? {} : { cpus: cpu.agentCpus }),
        env: { ...opts.agentEnv, ...(redis === undefined ? {} : fleetEnv(redis.url)) },
      }),
    );
    const started = await Promise.allSettled(starting);
    for (const s of started) if (s.status === 'fulfilled') agents.push(s.value);
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    ctx.onAgent(agents.at(-1)!.env, expected);
    // The herd starts when the last replica is ready.
    const readyAtMs = Math.max(...(await Promise.all(agents.map((a) => waitFirstReady(a, AGENT_READY_TIMEOUT_MS)))));
    const timeline = [{ sha256: configs.ffeSha256, sinceMs: 0 }];
    if (spec.timing !== 'ready') {
      // At least the refresh that made the agent ready (the default refresh_interval is 1 min, so usually that one).
      const b = backend;
      const refreshed = (): boolean => b.stats.configurationsRequests >= 1;
      if (spec.timing === 'changed') {
        for (const agent of agents) warm.push(await warmFfeClient(agent.httpUrl, opts));
        await waitFor(() => refreshed() && Date.now() >= readyAtMs + opts.steadyDelayMs - CHANGE_LEAD_MS, 60_000);
        timeline.push(await changeFfe(backend, configs));
        await sleep(CHANGE_LEAD_MS);
      } else {
        await waitFor(() => refreshed() && Date.now() >= readyAtMs + opts.steadyDelayMs, 60_000);
      }
    }

    // At `ready` nothing may stand between readiness and the herd: counters then count from the agent's start.
    const metricsBefore = spec.timing === 'ready' ? agents.map(() => []) : await Promise.all(agents.map(metricsOf));
    const cpuBefore = agents.map((a) => a.sample());
    const samplers = agents.map((a) => new ProcSampler(a.pid, SAMPLE_INTERVAL_MS));
    const backendBefore = backend.stats.configurationsRequests;
    const loadBefore = loadavg()[0] ?? 0;
    const startMs = Date.now();
    const load: HerdLoad =
      generators !== undefined
        ? generators.start(
            AGENT_HOST,
            agents.map((a) => Number(new URL(a.httpUrl).port)),
            ctx.sourceAddresses,
            timeline,
          )
        : await startRealLoad({
            repoRoot: opts.repoRoot,
            agentUrl: agents[0]!.httpUrl,
            tracers: opts.tracers,
            launchPerS: opts.real!.launchPerS,
            expectedPaths: expected,
            pollIntervalS: Math.max(1, Math.round(opts.pollIntervalMs / 1000)),
          });
    const rampMs = opts.real === undefined ? opts.rampMs : (opts.tracers * 1000) / opts.real.launchPerS;
    const stoppedBy = await watch(load, label, startMs + rampMs + opts.capMs, opts.progress);
    const herdMs = Date.now() - startMs;
    const cpuHerd = agents.map((a) => a.sample());
    const backendAfter = backend.stats.configurationsRequests;
    // A starved agent may not answer a scrape in time: the round keeps its delivery figures without the counters.
    let metricsError: string | null = null;
    const metricsAfter = await Promise.all(
      agents.map((a, i) =>
        metricsOf(a).catch((err: unknown) => {
          const cause = (err as Error).cause;
          metricsError = `${(err as Error).message}${cause instanceof Error ? `: ${cause.message}` : ''}`;
          return metricsBefore[i]!;
        }),
      ),
    );

    let steady: NonNullable<HerdRoundResult['agent']>['steady'] = null;
    if (stoppedBy === 'all-delivered' && opts.steadyWindowMs > 0 && opts.real === undefined) {
      // Polls sent in the window: with a window of one poll interval every lane sends about one (replies could
      // fall either side of its end when the agent holds them).
      const polls0 = load.progress().sent;
      const cpu0 = cpuSum(agents.map((a) => a.sample()));
      await sleep(opts.steadyWindowMs);
      const cpu1 = cpuSum(agents.map((a) => a.sample()));
      const polls = load.progress().sent - polls0;
      if (cpu0 !== undefined && cpu1 !== undefined) {
        const cpuSeconds = cpu1 - cpu0;
        steady = {
          windowMs: opts.steadyWindowMs,
          polls,
          cpuSeconds: round3(cpuSeconds),
          cpuSecondsPer1kPolls: polls > 0 ? round3((cpuSeconds / polls) * 1000) : null,
        };
      }
    }
    const { tracers, generators: genStats } = await load.stop();
    const procs = samplers.map((s) => s.stop());
    const deltas = agents.map((_, i) => deltaSamples(metricsBefore[i]!, metricsAfter[i]!));
    const delta = deltas.flat();
    const lock = histogramQuantile(delta, 'rc_state_lock_hold_seconds', 0.99);
    const cpuSeconds = agents.map((_, i) => {
      const a = cpuBefore[i];
      const b = cpuHerd[i];
      return a === undefined || b === undefined ? undefined : b.cpuSeconds - a.cpuSeconds;
    });
    const herdCpuSeconds = cpuSeconds.some((v) => v === undefined)
      ? undefined
      : cpuSeconds.reduce<number>((sum, v) => sum + v!, 0);
    const maxHolds = tracers.map((t) => t.maxHoldMs).filter((v): v is number => v !== null);
    const lags = metricsAfter.map((m) => ({
      p99Ms: gaugeMs(m, 'nodejs_eventloop_lag_p99_seconds'),
      maxMs: gaugeMs(m, 'nodejs_eventloop_lag_max_seconds'),
    }));
    return {
      round,
      stoppedBy,
      herdMs,
      startAfterReadyMs: startMs - readyAtMs,
      ffe: distribution(tracers.map((t) => t.ffeMs ?? Infinity)),
      allConfigs: distribution(tracers.map((t) => t.allMs ?? Infinity)),
      firstPollCurrent: tracers.some((t) => t.firstPollCurrent === null)
        ? null
        : tracers.filter((t) => t.firstPollCurrent === true).length,
      samples: { ffe: samples(tracers, 'ffeMs'), allConfigs: samples(tracers, 'allMs') },
      backend: {
        requests: backendAfter - backendBefore,
        byReason: groupSamples(delta, 'rc_backend_refreshes_total', ['reason', 'result']),
        meanRoundMs: msOrNull(histogramMean(delta, 'rc_backend_refresh_seconds')),
      },
      bypass: groupSamples(delta, 'rc_bypass_requests_total', ['lane', 'outcome']),
      getConfigs: groupSamples(delta, 'rc_client_get_configs_total', ['lane', 'transport', 'code']),
      metricsError,
      lockHold: {
        p99AtMostMs:
          lock.upperBoundS === undefined || !Number.isFinite(lock.upperBoundS) ? null : lock.upperBoundS * 1000,
        count: lock.count,
      },
      agent:
        herdCpuSeconds === undefined
          ? null
          : {
              pid: agents[0]!.pid,
              herdCpuSeconds: round3(herdCpuSeconds),
              cpuSecondsPer1kNewTracers: round3((herdCpuSeconds / opts.tracers) * 1000),
              steady,
              rssPeakBytes: Math.max(...procs.map((p) => p.peakRssBytes)),
              rssEndBytes: Math.max(...procs.map((p) => p.last?.rssBytes ?? 0)),
            },
      generator: genStats === null ? null : generatorVerdict(genStats, cpu),
      client: {
        requests: sumNullable(tracers.map((t) => t.requests)),
        timeouts: sumNullable(tracers.map((t) => t.timeouts)),
        errors: sumNullable(tracers.map((t) => t.errors)),
        maxHoldMs: maxHolds.length === 0 ? null : Math.max(...maxHolds),
      },
      machineLoad1m: { before: round1(loadBefore), after: round1(loadavg()[0] ?? 0) },
      agentEventLoopLag: { p99Ms: maxNullable(lags.map((l) => l.p99Ms)), maxMs: maxNullable(lags.map((l) => l.maxMs)) },
      ...(spec.fleet === undefined
        ? {}
        : {
            replicas: agents.map((a, i) => ({
              index: i,
              pid: a.pid,
              mode: clusterMode(metricsAfter[i]!),
              herdCpuSeconds: cpuSeconds[i] === undefined ? null : round3(cpuSeconds[i]),
              refreshes: groupSamples(deltas[i]!, 'rc_backend_refreshes_total', ['reason', 'result']),
              clusterRounds: groupSamples(deltas[i]!, 'rc_cluster_rounds_total', ['result']),
              roundPhases: roundPhases(deltas[i]!),
              rssPeakBytes: procs[i]!.peakRssBytes,
            })),
          }),
    };
  } finally {
    await Promise.all(warm.map((c) => c.stop()));
    await generators?.close();
    await Promise.all(agents.map((a) => a.stop()));
    saveAgentLogs(ctx.logPrefix, agents);
    await redis?.close();
    await backend?.close();
  }
}

/** The agents' stderr tails (warnings by default; `--agent-env DD_LOG_LEVEL=debug` for more), kept with the results. */
function saveAgentLogs(prefix: string, agents: readonly AgentProcess[]): void {
  try {
    mkdirSync(dirname(prefix), { recursive: true });
    agents.forEach((a, i) => writeFileSync(`${prefix}-agent-${i}.log`, a.stderrTail()));
  } catch {
    // Logs are a convenience: a full disk must not hide the round's figures.
  }
}

/** The agent settings that make replicas one fleet on `redisUrl` (a fresh Redis per round: nothing carries over). */
function fleetEnv(redisUrl: string): Record<string, string> {
  return { DD_REMOTE_CONFIGURATION_CLUSTER_REDIS_URL: redisUrl, DD_REMOTE_CONFIGURATION_CLUSTER_NAME: 'bench' };
}

const ROUND_PHASE_METRIC = 'rc_cluster_round_phase_seconds';

/** Per phase of the cluster's rounds: how many, their mean, and the p99 bucket's bound (ms). */
function roundPhases(delta: readonly PromSample[]): ReplicaResult['roundPhases'] {
  const out: Record<string, ReplicaResult['roundPhases'][string]> = {};
  const phases = new Set(delta.filter((s) => s.name === `${ROUND_PHASE_METRIC}_count`).map((s) => s.labels.phase));
  for (const phase of phases) {
    if (phase === undefined) continue;
    const mine = delta.filter((s) => s.labels.phase === phase);
    const count = sumSamples(mine, `${ROUND_PHASE_METRIC}_count`);
    if (count <= 0) continue;
    const p99 = histogramQuantile(mine, ROUND_PHASE_METRIC, 0.99).upperBoundS;
    out[phase] = {
      count,
      meanMs: round1((sumSamples(mine, `${ROUND_PHASE_METRIC}_sum`) / count) * 1000),
      p99AtMostMs: p99 === undefined || !Number.isFinite(p99) ? null : p99 * 1000,
    };
  }
  return out;
}

/** The mode `rc_cluster_mode` says is 1, or null when the replica does not export it. */
function clusterMode(samples: readonly PromSample[]): string | null {
  return samples.find((s) => s.name === 'rc_cluster_mode' && s.value === 1)?.labels.mode ?? null;
}

function cpuSum(samples: ReadonlyArray<{ cpuSeconds: number } | undefined>): number | undefined {
  return samples.some((s) => s === undefined) ? undefined : samples.reduce((sum, s) => sum + s!.cpuSeconds, 0);
}

function maxNullable(values: ReadonlyArray<number | null>): number | null {
  const known = values.filter((v): v is number => v !== null);
  return known.length === 0 ? null : Math.max(...known);
}

function metricsOf(agent: AgentProcess): Promise<PromSample[]> {
  return readMetrics(agent.httpUrl);
}

/** With replicas, every agent shares the agent core(s); Redis runs with the load (like the simulator, it is remote). */
function fleetCpus(plan: CpuPlan, replicas: number): CpuPlan {
  if (replicas <= 1) return plan;
  const description = plan.pinned
    ? `${replicas} agent replicas share core ${plan.agentCpus} (1 core for the fleet); load generator, backend simulator and Redis on core(s) ${plan.loadCpus} (${plan.cores - 1})`
    : `${replicas} agent replicas, ${plan.description}`;
  return { ...plan, description };
}

/** Valid unless a generator's event loop lagged or its core ran near full (issue 9). */
export function generatorVerdict(
  stats: readonly GeneratorStats[],
  cpu: CpuPlan,
): NonNullable<HerdRoundResult['generator']> {
  const reasons: string[] = [];
  for (const s of stats) {
    if (s.eventLoopDelay.p99Ms > GENERATOR_MAX_LOOP_DELAY_P99_MS) {
      reasons.push(
        `generator ${s.generator}: event-loop delay p99 ${s.eventLoopDelay.p99Ms} ms > ${GENERATOR_MAX_LOOP_DELAY_P99_MS} ms` +
          // A lagging loop on an idle process means the core was taken by something else.
          (s.cpuBusiestSecond < 0.5
            ? ` while using at most ${Math.round(s.cpuBusiestSecond * 100)} % of its core (other load on the machine delayed it)`
            : ''),
      );
    }
    if (s.cpuBusiestSecond > GENERATOR_MAX_CPU_BUSIEST_SECOND) {
      reasons.push(
        `generator ${s.generator}: busiest second at ${Math.round(s.cpuBusiestSecond * 100)} % of its core > ${GENERATOR_MAX_CPU_BUSIEST_SECOND * 100} %`,
      );
    }
  }
  const rates = stats.map((s) => s.bootRatePerS);
  return {
    procs: stats.length,
    cores: cpu.pinned ? cpu.cores - 1 : cpu.cores,
    stats,
    bootRatePerS: rates.some((r) => r === null) ? null : rates.reduce<number>((a, b) => a + (b ?? 0), 0),
    valid: reasons.length === 0,
    invalidReasons: reasons,
  };
}

/** Asks `/readyz` every few ms from the moment the agent listens; returns when it first answered 200. */
async function waitFirstReady(agent: AgentProcess, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (!agent.alive) throw new BenchError('AGENT_NOT_READY', `the agent exited before it was ready`);
    try {
      const { status, text } = await getText(`${agent.httpUrl}/readyz`, 1000);
      if (status === 200) return Date.now();
      last = `${status} ${text.trim()}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await sleep(READY_POLL_INTERVAL_MS);
  }
  throw new BenchError('AGENT_NOT_READY', `${agent.httpUrl}/readyz not 200 within ${timeoutMs} ms (last: ${last})`);
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new BenchError('AGENT_NOT_READY', `no backend refresh within ${timeoutMs} ms`);
    await sleep(50);
  }
}

/** One FFE_FLAGS-only tracer that keeps polling: the agent holds (and refreshes) the old document before the change. */
async function warmFfeClient(agentUrl: string, opts: HerdOptions): Promise<RcClient> {
  const client = new RcClient({
    agentUrl,
    products: [FFE_PRODUCT],
    policy: 'fastlane',
    service: 'bench-warm',
    env: 'bench',
    pollIntervalMs: opts.pollIntervalMs,
    fastPollIntervalMs: opts.fastPollIntervalMs,
    requestTimeoutMs: opts.requestTimeoutMs,
  });
  const applied = new Promise<void>((resolve) => client.once('apply', () => resolve()));
  client.start();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      applied,
      new Promise<never>((_resolve, reject) => {
        timer = setTimeout(
          () => reject(new BenchError('AGENT_NOT_READY', 'the warm-up client got no FFE_FLAGS within 30 s')),
          30_000,
        );
      }),
    ]);
  } catch (err) {
    await client.stop();
    throw err;
  } finally {
    clearTimeout(timer);
  }
  return client;
}

/** Publishes a new FFE_FLAGS document; the timeline entry starts once the backend serves it. */
async function changeFfe(
  backend: BackendSimulator,
  configs: BenchConfigs,
): Promise<{ sha256: string; sinceMs: number }> {
  const sha256 = writeFfeRevision(configs, 1);
  await backend.rescan();
  return { sha256, sinceMs: Date.now() };
}

/** Waits until every tracer holds all its configs with current flags, or the deadline; shows progress meanwhile. */
async function watch(
  load: HerdLoad,
  label: string,
  deadlineMs: number,
  showProgress: boolean,
): Promise<'all-delivered' | 'cap'> {
  const bar = showProgress ? createProgress(label, load.total, ' | booted {booted} | all configs {all}') : undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    const done = new Promise<'all-delivered' | 'cap'>((resolve) => {
      const check = (): void => {
        const p = load.progress();
        bar?.update(p.ffe, { booted: p.booted, all: p.all });
        if (p.all >= load.total) resolve('all-delivered');
        else if (Date.now() >= deadlineMs) resolve('cap');
        else timer = setTimeout(check, WATCH_INTERVAL_MS);
      };
      check();
    });
    return await Promise.race([done, load.failed]);
  } finally {
    clearTimeout(timer);
    bar?.stop();
  }
}

async function readMetrics(agentUrl: string): Promise<PromSample[]> {
  try {
    const { status, text } = await getText(`${agentUrl}/metrics`, METRICS_TIMEOUT_MS);
    if (status !== 200) throw new Error(`status ${status}`);
    return parsePromText(text);
  } catch (err) {
    throw new BenchError('METRICS', `cannot read ${agentUrl}/metrics`, { cause: err });
  }
}

function samples(results: readonly TracerResult[], field: 'ffeMs' | 'allMs'): Samples {
  const delivered = results
    .map((r) => r[field])
    .filter((v): v is number => v !== null)
    .sort((a, b) => a - b)
    .map(round1);
  return { deliveredMs: delivered, undelivered: results.length - delivered.length };
}

function round1(v: number): number {
  return Math.round(v * 10) / 10;
}

/** Seconds as ms to 0.1, null when undefined. */
function msOrNull(seconds: number | undefined): number | null {
  return seconds === undefined ? null : Math.round(seconds * 10_000) / 10;
}

function round3(v: number): number {
  return Math.round(v * 1000) / 1000;
}

/** A seconds gauge in ms; null when the agent does not export it. */
function gaugeMs(samples: readonly PromSample[], name: string): number | null {
  const sample = samples.find((s) => s.name === name);
  return sample === undefined ? null : round1(sample.value * 1000);
}

function sumNullable(values: ReadonlyArray<number | null>): number | null {
  return values.some((v) => v === null) ? null : values.reduce<number>((a, b) => a + (b ?? 0), 0);
}

/** Median (lower middle for an even count), min and max; nulls (undelivered percentiles) sort last. */
export function spread(values: ReadonlyArray<number | null>): Spread {
  if (values.length === 0) return { median: null, min: null, max: null };
  const sorted = [...values].sort((a, b) => (a ?? Infinity) - (b ?? Infinity));
  return {
    median: sorted[Math.floor((sorted.length - 1) / 2)] ?? null,
    min: sorted[0] ?? null,
    max: sorted[sorted.length - 1] ?? null,
  };
}

export function summarise(
  spec: HerdScenarioSpec,
  tracers: number,
  rounds: readonly HerdRoundResult[],
): HerdScenarioResult {
  const of = (f: (r: HerdRoundResult) => number | null): Spread => spread(rounds.map(f));
  const byP99 = [...rounds].sort((a, b) => (a.ffe.p99 ?? Infinity) - (b.ffe.p99 ?? Infinity));
  return {
    ...spec,
    key: scenarioKey(spec),
    tracers,
    valid: rounds.every((r) => r.generator === null || r.generator.valid),
    representative: byP99[Math.floor((byP99.length - 1) / 2)]!,
    summary: {
      ffeP50Ms: of((r) => r.ffe.p50),
      ffeP90Ms: of((r) => r.ffe.p90),
      ffeP99Ms: of((r) => r.ffe.p99),
      ffeMaxMs: of((r) => r.ffe.max),
      deliveredPct: of((r) => round1((r.ffe.delivered / Math.max(1, r.ffe.count)) * 100)),
      allP99Ms: of((r) => r.allConfigs.p99),
      timeouts: of((r) => r.client.timeouts),
      maxHoldMs: of((r) => r.client.maxHoldMs),
      backendRequests: of((r) => r.backend.requests),
      meanRoundMs: of((r) => r.backend.meanRoundMs),
      cpuSecondsPer1kNewTracers: of((r) => r.agent?.cpuSecondsPer1kNewTracers ?? null),
      cpuSecondsPer1kSteadyPolls: of((r) => r.agent?.steady?.cpuSecondsPer1kPolls ?? null),
      rssPeakBytes: of((r) => r.agent?.rssPeakBytes ?? null),
    },
    rounds,
  };
}

/** How many times faster `fast` is than `legacy`, to 0.1; null when either is undelivered or zero. */
export function speedup(legacy: number | null, fast: number | null): number | null {
  return legacy === null || fast === null || fast <= 0 ? null : Math.round((legacy / fast) * 10) / 10;
}

/**
 * Fast lane against legacy for the same population and timing: per paired round (round i of each) how many times
 * faster the current flags arrive, then the median and range over the rounds — a ratio of two medians would hide how
 * much it swings between identical runs.
 */
export function compareScenarios(scenarios: Readonly<Record<string, HerdScenarioResult>>): HerdComparison[] {
  const list = Object.values(scenarios);
  const out: HerdComparison[] = [];
  for (const fast of list.filter((s) => s.policy === 'fastlane')) {
    const legacy = list.find(
      (s) =>
        s.policy === 'legacy' && s.population === fast.population && s.timing === fast.timing && s.fleet === fast.fleet,
    );
    if (legacy === undefined) continue;
    const rounds = Math.min(legacy.rounds.length, fast.rounds.length);
    const ratios = (pick: (r: HerdRoundResult) => number | null): Spread =>
      spread(Array.from({ length: rounds }, (_v, i) => speedup(pick(legacy.rounds[i]!), pick(fast.rounds[i]!))));
    out.push({
      population: fast.population,
      timing: fast.timing,
      ...(fast.fleet === undefined ? {} : { fleet: fast.fleet }),
      rounds,
      ffeP50Speedup: ratios((r) => r.ffe.p50),
      ffeP99Speedup: ratios((r) => r.ffe.p99),
    });
  }
  return out;
}

export function roundLine(r: HerdRoundResult, tracers: number): string {
  const ms = (v: number | null): string => (v === null ? 'undelivered' : `${Math.round(v)}ms`);
  const gen = r.generator;
  return (
    `ffe p50 ${ms(r.ffe.p50)} p99 ${ms(r.ffe.p99)} (${r.ffe.delivered}/${tracers} current), ` +
    `all p99 ${ms(r.allConfigs.p99)}, timeouts ${r.client.timeouts ?? '–'}, backend requests ${r.backend.requests} (mean round ${r.backend.meanRoundMs ?? '–'} ms), ` +
    `agent CPU/1k new ${r.agent?.cpuSecondsPer1kNewTracers ?? '–'} s, stopped by ${r.stoppedBy} after ${(r.herdMs / 1000).toFixed(1)} s` +
    (gen === null ? '' : gen.valid ? '' : ` — INVALID: ${gen.invalidReasons.join('; ')}`)
  );
}
