// `rc-agent bench herd`: per scenario (agent policy × tracer population × timing) and round, a fresh backend
// simulator and agent child, a herd booted inside a ramp window at the chosen moment, and per tracer the time to the
// *current* flags and to all its configs; plus what the agent did (refreshes, bypass outcomes, lock hold, CPU per
// new tracer and per steady poll, RSS) and whether the load generator stayed valid.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { RcClient } from '../../src/client/index.js';
import type { BackendSimulator } from '../../src/backend/index.js';
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
  histogramQuantile,
  parsePromText,
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
import type { HerdLoad } from './herd-load.js';
import type { GeneratorStats, TracerResult } from './herd-protocol.js';
import { renderHerdReport } from './herd-report.js';
import { populationLanes } from './populations.js';
import { startRealLoad } from './real-load.js';
import {
  scenarioKey,
  type HerdComparison,
  type HerdOptions,
  type HerdResults,
  type HerdRoundResult,
  type HerdScenarioResult,
  type HerdScenarioSpec,
  type Samples,
  type Spread,
} from './herd-types.js';

export interface HerdRunOutput {
  readonly results: HerdResults;
  readonly resultsPath: string;
  readonly reportPath: string;
}

const AGENT_READY_TIMEOUT_MS = 30_000;
/** How often `/readyz` is asked until its first 200: the `ready` herd starts within this of readiness. */
const READY_POLL_INTERVAL_MS = 5;
const WATCH_INTERVAL_MS = 100;
const SAMPLE_INTERVAL_MS = 250;
/** `changed`: the FFE_FLAGS document changes this long before the herd. */
const CHANGE_LEAD_MS = 2000;
const METRICS_TIMEOUT_MS = 30_000;
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
  const run = collectRunInfo(opts.repoRoot);
  const cpu = planCpus(opts.pin);
  if (cpu.pinned && cpu.loadCpus !== undefined) pinSelf(cpu.loadCpus);
  mkdirSync(opts.outDir, { recursive: true });
  const workDir = mkdtempSync(join(tmpdir(), 'rc-bench-herd-'));
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
          workDir: join(workDir, `scenario-${i}-${round}`),
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
        expectedPaths: used.expected,
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
  let backend: BackendSimulator | undefined;
  let agent: AgentProcess | undefined;
  let warm: RcClient | undefined;
  const generators =
    opts.real === undefined
      ? await prepareGenerators({
          repoRoot: opts.repoRoot,
          procs: opts.generatorProcs,
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
    agent = await startAgentProcess({
      repoRoot: opts.repoRoot,
      policy: spec.policy,
      backendUrl: backend.url,
      backendStateDir: stateDir,
      runPath: join(ctx.workDir, 'agent'),
      ...(cpu.agentCpus === undefined ? {} : { cpus: cpu.agentCpus }),
      ...(opts.agentEnv === undefined ? {} : { env: opts.agentEnv }),
    });
    ctx.onAgent(agent.env, expected);
    const readyAtMs = await waitFirstReady(agent, AGENT_READY_TIMEOUT_MS);
    const timeline = [{ sha256: configs.ffeSha256, sinceMs: 0 }];
    if (spec.timing !== 'ready') {
      // At least the refresh that made the agent ready (the default refresh_interval is 1 min, so usually that one).
      const b = backend;
      const refreshed = (): boolean => b.stats.configurationsRequests >= 1;
      if (spec.timing === 'changed') {
        warm = await warmFfeClient(agent.httpUrl, opts);
        await waitFor(() => refreshed() && Date.now() >= readyAtMs + opts.steadyDelayMs - CHANGE_LEAD_MS, 60_000);
        timeline.push(await changeFfe(backend, configs));
        await sleep(CHANGE_LEAD_MS);
      } else {
        await waitFor(() => refreshed() && Date.now() >= readyAtMs + opts.steadyDelayMs, 60_000);
      }
    }

    // At `ready` nothing may stand between readiness and the herd: counters then count from the agent's start.
    const metricsBefore = spec.timing === 'ready' ? [] : await readMetrics(agent.httpUrl);
    const cpuBefore = agent.sample();
    const sampler = new ProcSampler(agent.pid, SAMPLE_INTERVAL_MS);
    const backendBefore = backend.stats.configurationsRequests;
    const loadBefore = loadavg()[0] ?? 0;
    const startMs = Date.now();
    const port = Number(new URL(agent.httpUrl).port);
    const load: HerdLoad =
      generators !== undefined
        ? generators.start('127.0.0.1', port, timeline)
        : await startRealLoad({
            repoRoot: opts.repoRoot,
            agentUrl: agent.httpUrl,
            tracers: opts.tracers,
            launchPerS: opts.real!.launchPerS,
            expectedPaths: expected,
            pollIntervalS: Math.max(1, Math.round(opts.pollIntervalMs / 1000)),
          });
    const rampMs = opts.real === undefined ? opts.rampMs : (opts.tracers * 1000) / opts.real.launchPerS;
    const stoppedBy = await watch(load, label, startMs + rampMs + opts.capMs, opts.progress);
    const herdMs = Date.now() - startMs;
    const cpuHerd = agent.sample();
    const backendAfter = backend.stats.configurationsRequests;
    // A starved agent may not answer a scrape in time: the round keeps its delivery figures without the counters.
    let metricsError: string | null = null;
    const metricsAfter = await readMetrics(agent.httpUrl).catch((err: unknown) => {
      const cause = (err as Error).cause;
      metricsError = `${(err as Error).message}${cause instanceof Error ? `: ${cause.message}` : ''}`;
      return metricsBefore;
    });

    let steady: NonNullable<HerdRoundResult['agent']>['steady'] = null;
    if (stoppedBy === 'all-delivered' && opts.steadyWindowMs > 0 && opts.real === undefined) {
      // Polls sent in the window: with a window of one poll interval every lane sends about one (replies could
      // fall either side of its end when the agent holds them).
      const polls0 = load.progress().sent;
      const cpu0 = agent.sample();
      await sleep(opts.steadyWindowMs);
      const cpu1 = agent.sample();
      const polls = load.progress().sent - polls0;
      if (cpu0 !== undefined && cpu1 !== undefined) {
        const cpuSeconds = cpu1.cpuSeconds - cpu0.cpuSeconds;
        steady = {
          windowMs: opts.steadyWindowMs,
          polls,
          cpuSeconds: round3(cpuSeconds),
          cpuSecondsPer1kPolls: polls > 0 ? round3((cpuSeconds / polls) * 1000) : null,
        };
      }
    }
    const { tracers, generators: genStats } = await load.stop();
    const procs = sampler.stop();
    const delta = deltaSamples(metricsBefore, metricsAfter);
    const lock = histogramQuantile(delta, 'rc_state_lock_hold_seconds', 0.99);
    const herdCpuSeconds =
      cpuHerd !== undefined && cpuBefore !== undefined ? cpuHerd.cpuSeconds - cpuBefore.cpuSeconds : undefined;
    const maxHolds = tracers.map((t) => t.maxHoldMs).filter((v): v is number => v !== null);
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
              pid: agent.pid,
              herdCpuSeconds: round3(herdCpuSeconds),
              cpuSecondsPer1kNewTracers: round3((herdCpuSeconds / opts.tracers) * 1000),
              steady,
              rssPeakBytes: procs.peakRssBytes,
              rssEndBytes: procs.last?.rssBytes ?? 0,
            },
      generator: genStats === null ? null : generatorVerdict(genStats, cpu),
      client: {
        requests: sumNullable(tracers.map((t) => t.requests)),
        timeouts: sumNullable(tracers.map((t) => t.timeouts)),
        errors: sumNullable(tracers.map((t) => t.errors)),
        maxHoldMs: maxHolds.length === 0 ? null : Math.max(...maxHolds),
      },
      machineLoad1m: { before: round1(loadBefore), after: round1(loadavg()[0] ?? 0) },
      agentEventLoopLag: {
        p99Ms: gaugeMs(metricsAfter, 'nodejs_eventloop_lag_p99_seconds'),
        maxMs: gaugeMs(metricsAfter, 'nodejs_eventloop_lag_max_seconds'),
      },
    };
  } finally {
    await warm?.stop();
    await generators?.close();
    await agent?.stop();
    await backend?.close();
  }
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
      (s) => s.policy === 'legacy' && s.population === fast.population && s.timing === fast.timing,
    );
    if (legacy === undefined) continue;
    const rounds = Math.min(legacy.rounds.length, fast.rounds.length);
    const ratios = (pick: (r: HerdRoundResult) => number | null): Spread =>
      spread(Array.from({ length: rounds }, (_v, i) => speedup(pick(legacy.rounds[i]!), pick(fast.rounds[i]!))));
    out.push({
      population: fast.population,
      timing: fast.timing,
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
    `all p99 ${ms(r.allConfigs.p99)}, timeouts ${r.client.timeouts ?? '–'}, backend requests ${r.backend.requests}, ` +
    `agent CPU/1k new ${r.agent?.cpuSecondsPer1kNewTracers ?? '–'} s, stopped by ${r.stoppedBy} after ${(r.herdMs / 1000).toFixed(1)} s` +
    (gen === null ? '' : gen.valid ? '' : ` — INVALID: ${gen.invalidReasons.join('; ')}`)
  );
}
