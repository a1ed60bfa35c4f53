// `rc-agent bench herd`: per scenario (agent policy × client policy), a fresh backend simulator and a fresh agent
// child, a herd of tracers booted inside a ramp window, and per tracer the time to its first FFE_FLAGS config and
// to all its configs; plus what the agent did meanwhile (backend refreshes, bypass outcomes, lock hold, CPU, RSS).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
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
  readProcSample,
  planCpus,
  startAgentProcess,
  startBenchBackend,
  sumSamples,
  waitReady,
  writeBenchConfigs,
  type AgentProcess,
  type CpuPlan,
  type PromSample,
} from '../common/index.js';
import type { BackendSimulator } from '../../src/backend/index.js';
import { startEmulatedLoad } from './emulated-load.js';
import type { HerdLoad } from './herd-load.js';
import type { TracerResult } from './herd-protocol.js';
import { renderHerdReport } from './herd-report.js';
import { startRealLoad } from './real-load.js';
import {
  scenarioKey,
  type HerdComparison,
  type HerdOptions,
  type HerdResults,
  type HerdScenarioResult,
  type HerdScenarioSpec,
  type Samples,
} from './herd-types.js';

export interface HerdRunOutput {
  readonly results: HerdResults;
  readonly resultsPath: string;
  readonly reportPath: string;
}

const AGENT_READY_TIMEOUT_MS = 30_000;
const WATCH_INTERVAL_MS = 200;
const SAMPLE_INTERVAL_MS = 250;
/**
 * A load-generator event-loop delay p99 above this (a tenth of dd-trace-js's 2 s timeout) means client timeouts and
 * delivery times were shaped by the load generator: the scenario is flagged, its figures are not the agent's.
 */
export const LOAD_GENERATOR_SATURATED_P99_MS = 200;

export function validateHerdOptions(opts: HerdOptions): void {
  const positive = (name: string, v: number, min = 1): void => {
    if (!Number.isFinite(v) || v < min) throw new BenchError('INVALID_OPTION', `${name} must be ≥ ${min}, got ${v}`);
  };
  positive('tracers', opts.tracers);
  positive('ramp-ms', opts.rampMs, 0);
  positive('cap-ms', opts.capMs, 0);
  positive('backend-rtt-ms', opts.backendRttMs, 0);
  positive('workers', opts.workers);
  positive('poll-interval-ms', opts.pollIntervalMs);
  positive('request-timeout-ms', opts.requestTimeoutMs);
  if (opts.scenarios.length === 0) throw new BenchError('INVALID_OPTION', 'no scenario to run');
  if (!opts.products.includes(FFE_PRODUCT)) {
    throw new BenchError('INVALID_OPTION', `products must include ${FFE_PRODUCT}, got ${opts.products.join(',')}`);
  }
  if (opts.real !== undefined) positive('launch-per-s', opts.real.launchPerS);
}

export async function runHerd(opts: HerdOptions): Promise<HerdRunOutput> {
  validateHerdOptions(opts);
  const run = collectRunInfo(opts.repoRoot);
  const planned = planCpus(opts.pin);
  const cpu: CpuPlan =
    opts.agentUrl === undefined
      ? planned
      : {
          cores: planned.cores,
          pinned: planned.pinned,
          ...(planned.loadCpus === undefined ? {} : { loadCpus: planned.loadCpus }),
          description: `external agent (its cores unknown); load generator on ${planned.loadCpus === undefined ? 'any core' : `core(s) ${planned.loadCpus}`}`,
        };
  if (cpu.pinned && cpu.loadCpus !== undefined) pinSelf(cpu.loadCpus);
  mkdirSync(opts.outDir, { recursive: true });
  const workDir = mkdtempSync(join(tmpdir(), 'rc-bench-herd-'));
  try {
    const configs = writeBenchConfigs(join(workDir, 'configs'));
    // An external agent serves configs we did not write: only FFE delivery is measured there.
    const expected = opts.agentUrl === undefined ? expectedPaths(configs, opts.products) : [];
    const scenarios: Record<string, HerdScenarioResult> = {};
    const used: { agentEnv: Readonly<Record<string, string>> | null } = { agentEnv: null };
    for (const [i, spec] of opts.scenarios.entries()) {
      const key = scenarioKey(spec);
      const result = await runScenario(opts, spec, cpu, {
        workDir: join(workDir, `scenario-${i}`),
        configsDir: configs.dir,
        expectedPaths: expected,
        onAgentEnv: (env) => (used.agentEnv = env),
      });
      scenarios[key] = result;
      if (!opts.progress) process.stderr.write(`herd: ${key}: ${summaryLine(result)}\n`);
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
        workers: opts.workers,
        products: opts.products,
        pollIntervalMs: opts.pollIntervalMs,
        fastPollIntervalMs: opts.fastPollIntervalMs,
        requestTimeoutMs: opts.requestTimeoutMs,
        pin: opts.pin,
        ...(opts.agentUrl === undefined ? {} : { agentUrl: opts.agentUrl }),
        ...(opts.real === undefined ? {} : { real: opts.real }),
        expectedPaths: expected,
        agentChildEnv: used.agentEnv,
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

interface ScenarioContext {
  readonly workDir: string;
  readonly configsDir: string;
  readonly expectedPaths: readonly string[];
  readonly onAgentEnv: (env: Readonly<Record<string, string>>) => void;
}

async function runScenario(
  opts: HerdOptions,
  spec: HerdScenarioSpec,
  cpu: CpuPlan,
  ctx: ScenarioContext,
): Promise<HerdScenarioResult> {
  let backend: BackendSimulator | undefined;
  let agent: AgentProcess | undefined;
  try {
    let agentUrl: string;
    if (spec.agentPolicy === 'external') {
      agentUrl = opts.agentUrl!;
      await waitReady(agentUrl, AGENT_READY_TIMEOUT_MS);
    } else {
      const stateDir = join(ctx.workDir, 'backend-state');
      mkdirSync(stateDir, { recursive: true });
      backend = await startBenchBackend({ configsDir: ctx.configsDir, stateDir, rttMs: opts.backendRttMs });
      agent = await startAgentProcess({
        repoRoot: opts.repoRoot,
        policy: spec.agentPolicy,
        backendUrl: backend.url,
        backendStateDir: stateDir,
        runPath: join(ctx.workDir, 'agent'),
        ...(cpu.agentCpus === undefined ? {} : { cpus: cpu.agentCpus }),
        ...(opts.agentEnv === undefined ? {} : { env: opts.agentEnv }),
      });
      ctx.onAgentEnv(agent.env);
      await agent.waitReady(AGENT_READY_TIMEOUT_MS);
      agentUrl = agent.httpUrl;
    }

    const metricsBefore = await readMetrics(agentUrl);
    const backendBefore = backend?.stats.configurationsRequests ?? 0;
    const cpuBefore = agent?.sample();
    const sampler = agent === undefined ? undefined : new ProcSampler(agent.pid, SAMPLE_INTERVAL_MS);
    // The bench process: load workers, the backend simulator, this orchestrator. Near its core count it is the
    // bottleneck, and delivery times measure the load generator rather than the agent.
    const selfBefore = readProcSample(process.pid);
    const loadBefore = loadavg()[0] ?? 0;

    const startMs = Date.now();
    const rampMs = opts.real === undefined ? opts.rampMs : (opts.tracers * 1000) / opts.real.launchPerS;
    const load: HerdLoad =
      opts.real === undefined
        ? await startEmulatedLoad({
            agentUrl,
            tracers: opts.tracers,
            rampMs: opts.rampMs,
            workers: opts.workers,
            clientPolicy: spec.clientPolicy === 'dd-trace-js' ? 'legacy' : spec.clientPolicy,
            products: opts.products,
            expectedPaths: ctx.expectedPaths,
            ffeProduct: FFE_PRODUCT,
            pollIntervalMs: opts.pollIntervalMs,
            fastPollIntervalMs: opts.fastPollIntervalMs,
            requestTimeoutMs: opts.requestTimeoutMs,
          })
        : await startRealLoad({
            repoRoot: opts.repoRoot,
            agentUrl,
            tracers: opts.tracers,
            launchPerS: opts.real.launchPerS,
            expectedPaths: ctx.expectedPaths,
            pollIntervalS: Math.max(1, Math.round(opts.pollIntervalMs / 1000)),
          });
    const stopOn = ctx.expectedPaths.length === 0 ? 'ffe' : 'all';
    const stoppedBy = await watch(load, scenarioKey(spec), startMs + rampMs + opts.capMs, opts.progress, stopOn);
    const { tracers: tracerResults, eventLoopDelay } = await load.stop();
    const durationMs = Date.now() - startMs;

    const metricsAfter = await readMetrics(agentUrl);
    const backendAfter = backend?.stats.configurationsRequests ?? 0;
    const procs = sampler?.stop();
    const selfAfter = readProcSample(process.pid);
    const delta = deltaSamples(metricsBefore, metricsAfter);
    const cpuSeconds =
      procs?.last !== undefined && cpuBefore !== undefined ? procs.last.cpuSeconds - cpuBefore.cpuSeconds : undefined;
    const lock = histogramQuantile(delta, 'rc_state_lock_hold_seconds', 0.99);
    return {
      key: scenarioKey(spec),
      loadGeneratorSaturated: (eventLoopDelay?.p99Ms ?? 0) > LOAD_GENERATOR_SATURATED_P99_MS,
      agentPolicy: spec.agentPolicy,
      clientPolicy: spec.clientPolicy,
      tracers: opts.tracers,
      stoppedBy,
      durationMs,
      ffe: distribution(tracerResults.map((t) => t.ffeMs ?? Infinity)),
      allConfigs: distribution(tracerResults.map((t) => t.allMs ?? Infinity)),
      samples: { ffe: samples(tracerResults, 'ffeMs'), allConfigs: samples(tracerResults, 'allMs') },
      backend: {
        refreshes:
          backend !== undefined ? backendAfter - backendBefore : sumSamples(delta, 'rc_backend_refreshes_total'),
        byReason: groupSamples(delta, 'rc_backend_refreshes_total', ['reason', 'result']),
      },
      bypass: groupSamples(delta, 'rc_bypass_requests_total', ['lane', 'outcome']),
      getConfigs: groupSamples(delta, 'rc_client_get_configs_total', ['lane', 'transport', 'code']),
      lockHold: {
        p99AtMostMs:
          lock.upperBoundS === undefined || !Number.isFinite(lock.upperBoundS) ? null : lock.upperBoundS * 1000,
        count: lock.count,
      },
      // Other work on the machine (1-minute load average) shifts every figure: recorded, not corrected for.
      machineLoad1m: { before: round1(loadBefore), after: round1(loadavg()[0] ?? 0) },
      agentEventLoopLag: {
        p99Ms: gaugeMs(metricsAfter, 'nodejs_eventloop_lag_p99_seconds'),
        maxMs: gaugeMs(metricsAfter, 'nodejs_eventloop_lag_max_seconds'),
      },
      agent:
        agent === undefined || procs === undefined || cpuSeconds === undefined
          ? null
          : {
              pid: agent.pid,
              cpuSeconds: Math.round(cpuSeconds * 100) / 100,
              cpuCores: Math.round((cpuSeconds / (durationMs / 1000)) * 100) / 100,
              rssPeakBytes: procs.peakRssBytes,
              rssEndBytes: procs.last?.rssBytes ?? 0,
            },
      loadGenerator: {
        cpuCores:
          selfBefore === undefined || selfAfter === undefined
            ? null
            : Math.round(((selfAfter.cpuSeconds - selfBefore.cpuSeconds) / (durationMs / 1000)) * 100) / 100,
        cores: cpu.pinned ? cpu.cores - 1 : cpu.cores,
        eventLoopDelay:
          eventLoopDelay === null ? null : { p99Ms: round1(eventLoopDelay.p99Ms), maxMs: round1(eventLoopDelay.maxMs) },
      },
      client: {
        requests: sumNullable(tracerResults.map((t) => t.requests)),
        timeouts: sumNullable(tracerResults.map((t) => t.timeouts)),
        errors: sumNullable(tracerResults.map((t) => t.errors)),
      },
    };
  } finally {
    await agent?.stop();
    await backend?.close();
  }
}

/** Waits until every tracer holds all its configs, or the deadline; shows progress meanwhile. */
async function watch(
  load: HerdLoad,
  label: string,
  deadlineMs: number,
  showProgress: boolean,
  stopOn: 'ffe' | 'all',
): Promise<'all-delivered' | 'cap'> {
  const bar = showProgress ? createProgress(label, load.total, ' | booted {booted} | all configs {all}') : undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    const done = new Promise<'all-delivered' | 'cap'>((resolve) => {
      const check = (): void => {
        const p = load.progress();
        bar?.update(p.ffe, { booted: p.booted, all: p.all });
        if ((stopOn === 'all' ? p.all : p.ffe) >= load.total) resolve('all-delivered');
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
    const { status, text } = await getText(`${agentUrl}/metrics`, 10_000);
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
    .map((v) => Math.round(v * 10) / 10);
  return { deliveredMs: delivered, undelivered: results.length - delivered.length };
}

function round1(v: number): number {
  return Math.round(v * 10) / 10;
}

/** A seconds gauge in ms; null when the agent does not export it. */
function gaugeMs(samples: readonly PromSample[], name: string): number | null {
  const sample = samples.find((s) => s.name === name);
  return sample === undefined ? null : round1(sample.value * 1000);
}

function sumNullable(values: ReadonlyArray<number | null>): number | null {
  return values.some((v) => v === null) ? null : values.reduce<number>((a, b) => a + (b ?? 0), 0);
}

/** Every scenario against the reference world (legacy agent, legacy or real clients): how much faster FFE arrives. */
export function compareScenarios(scenarios: Readonly<Record<string, HerdScenarioResult>>): HerdComparison[] {
  const list = Object.values(scenarios);
  const baseline =
    list.find((s) => s.agentPolicy === 'legacy' && s.clientPolicy === 'legacy') ??
    list.find((s) => s.agentPolicy === 'legacy');
  if (baseline === undefined) return [];
  const speedup = (a: number | null, b: number | null): number | null =>
    a === null || b === null || b <= 0 ? null : Math.round((a / b) * 10) / 10;
  return list
    .filter((s) => s !== baseline)
    .map((s) => ({
      baseline: baseline.key,
      candidate: s.key,
      ffeP50Speedup: speedup(baseline.ffe.p50, s.ffe.p50),
      ffeP99Speedup: speedup(baseline.ffe.p99, s.ffe.p99),
    }));
}

export function summaryLine(s: HerdScenarioResult): string {
  const ms = (v: number | null): string => (v === null ? 'undelivered' : `${Math.round(v)}ms`);
  return (
    `ffe p50 ${ms(s.ffe.p50)} p90 ${ms(s.ffe.p90)} p99 ${ms(s.ffe.p99)} max ${ms(s.ffe.max)} ` +
    `(${s.ffe.delivered}/${s.tracers}), all p50 ${ms(s.allConfigs.p50)} p99 ${ms(s.allConfigs.p99)}, ` +
    `backend refreshes ${s.backend.refreshes}, stopped by ${s.stoppedBy} after ${(s.durationMs / 1000).toFixed(1)} s` +
    (s.loadGeneratorSaturated ? " — LOAD GENERATOR SATURATED, figures not the agent's" : '')
  );
}
