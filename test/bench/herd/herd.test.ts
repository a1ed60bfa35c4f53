// Herd pieces that need no agent: the ramp schedule, medians over rounds, the generator verdict, the comparison of
// fast lane against legacy, the report and the text table.
import t from 'tap';
import {
  GENERATOR_MAX_LOOP_DELAY_P99_MS,
  bootOffsetMs,
  compareScenarios,
  generatorVerdict,
  herdSummaryText,
  renderHerdReport,
  spread,
  summarise,
  type GeneratorStats,
  type HerdResults,
  type HerdRoundResult,
  type HerdScenarioSpec,
} from '../../../bench/herd/index.js';
import { distribution, type CpuPlan } from '../../../bench/common/index.js';

const CPU: CpuPlan = { cores: 2, pinned: true, agentCpus: '0', loadCpus: '1', description: 'agent on core 0' };

function gen(generator: number, p99Ms: number, busiest: number): GeneratorStats {
  return {
    generator,
    pid: 100 + generator,
    tracers: 10,
    eventLoopDelay: { p99Ms, maxMs: p99Ms * 2 },
    cpuMean: busiest / 2,
    cpuBusiestSecond: busiest,
    bootRatePerS: 1000,
  };
}

t.test('boots spread evenly inside the ramp window', async (t) => {
  const offsets = Array.from({ length: 4 }, (_v, i) => bootOffsetMs(i, 4, 1000));
  t.same(offsets, [0, 250, 500, 750]);
  t.equal(bootOffsetMs(0, 1, 1000), 0);
});

t.test('a generator that lagged or ran its core full makes the round invalid', async (t) => {
  const ok = generatorVerdict([gen(0, 12, 0.6), gen(1, 20, 0.85)], CPU);
  t.equal(ok.valid, true);
  t.equal(ok.bootRatePerS, 2000, 'boot rates of the children add up');
  t.equal(ok.cores, 1, 'the cores left after the agent');
  const lagged = generatorVerdict([gen(0, GENERATOR_MAX_LOOP_DELAY_P99_MS + 1, 0.5)], CPU);
  t.equal(lagged.valid, false);
  t.match(lagged.invalidReasons[0], /event-loop delay p99 51 ms/);
  t.match(
    generatorVerdict([gen(0, 80, 0.2)], CPU).invalidReasons[0],
    /other load on the machine/,
    'an idle generator that lagged was delayed by the machine',
  );
  const busy = generatorVerdict([gen(0, 5, 0.95)], CPU);
  t.equal(busy.valid, false);
  t.match(busy.invalidReasons[0], /95 %/);
});

t.test('spread: median, min and max; undelivered (null) sorts last', async (t) => {
  t.same(spread([300, 100, 200]), { median: 200, min: 100, max: 300 });
  t.same(spread([100, null, 200]), { median: 200, min: 100, max: null });
  t.same(spread([]), { median: null, min: null, max: null });
});

function round(n: number, ffeMs: number[], valid = true): HerdRoundResult {
  const d = distribution(ffeMs);
  const finite = ffeMs.filter(Number.isFinite);
  return {
    round: n,
    stoppedBy: 'all-delivered',
    herdMs: 1000,
    startAfterReadyMs: 6000,
    ffe: d,
    allConfigs: d,
    firstPollCurrent: finite.length,
    samples: {
      ffe: { deliveredMs: finite, undelivered: ffeMs.length - finite.length },
      allConfigs: { deliveredMs: finite, undelivered: ffeMs.length - finite.length },
    },
    backend: { requests: 2, byReason: { 'bypass_fast/ok': 1 } },
    bypass: { 'fast/coalesced': 3, 'fast/fresh_snapshot': 2 },
    getConfigs: {},
    metricsError: null,
    lockHold: { p99AtMostMs: 0.1, count: 3 },
    agent: {
      pid: 1,
      herdCpuSeconds: 0.3,
      cpuSecondsPer1kNewTracers: 0.1,
      steady: { windowMs: 5000, polls: 1000, cpuSeconds: 0.07, cpuSecondsPer1kPolls: 0.07 },
      rssPeakBytes: 100 * 1048576,
      rssEndBytes: 90 * 1048576,
    },
    generator: generatorVerdict([gen(0, valid ? 5 : 80, 0.5)], CPU),
    client: { requests: 4, timeouts: 0, errors: 0, maxHoldMs: 900 },
    machineLoad1m: { before: 0.5, after: 1 },
    agentEventLoopLag: { p99Ms: 1, maxMs: 2 },
  };
}

const spec = (policy: 'legacy' | 'fastlane'): HerdScenarioSpec => ({
  policy,
  population: 'unchanged',
  timing: 'ready',
});

t.test('rounds summarised as medians; a single invalid round marks the scenario', async (t) => {
  const s = summarise(spec('fastlane'), 3, [
    round(1, [100, 200, 300]),
    round(2, [100, 200, 900], false),
    round(3, [100, 200, 500]),
  ]);
  t.same(s.summary.ffeP99Ms, { median: 500, min: 300, max: 900 });
  t.equal(s.representative.round, 3, 'the round with the median p99 draws the charts');
  t.equal(s.valid, false);
  t.equal(s.key, 'fastlane/unchanged/ready');
});

t.test('fast lane against legacy for the same population and timing', async (t) => {
  const legacy = summarise(spec('legacy'), 3, [round(1, [4000, 6000, 8000])]);
  const fast = summarise(spec('fastlane'), 3, [round(1, [100, 150, 200])]);
  const other = summarise({ ...spec('fastlane'), timing: 'steady' }, 3, [round(1, [Infinity, 100, 100])]);
  t.same(compareScenarios({ [legacy.key]: legacy, [fast.key]: fast, [other.key]: other }), [
    { population: 'unchanged', timing: 'ready', ffeP50Speedup: 40, ffeP99Speedup: 40 },
  ]);
});

t.test('the report: summary, validity warning, counters with every label, one CDF pair per timing', async (t) => {
  const legacy = summarise(spec('legacy'), 3, [round(1, [4000, 6000, 8000])]);
  const fast = summarise(spec('fastlane'), 3, [round(1, [100, 150, 200], false)]);
  const scenarios = { [legacy.key]: legacy, [fast.key]: fast };
  const results = {
    kind: 'herd',
    run: {
      startedAt: '2026-01-01T00:00:00.000Z',
      git: { commit: 'abc', dirty: false },
      machine: { hostname: 'h', cpuModel: 'cpu', cores: 2, totalMemoryBytes: 1, platform: 'linux', arch: 'x64' },
      node: 'v20',
    },
    cpu: CPU,
    config: {
      mode: 'emulated',
      tracers: 3,
      rampMs: 100,
      capMs: 1000,
      backendRttMs: 10,
      scenarios: [spec('legacy'), spec('fastlane')],
      rounds: 1,
      generatorProcs: 1,
      products: ['FFE_FLAGS'],
      pollIntervalMs: 5000,
      fastPollIntervalMs: 1000,
      requestTimeoutMs: 2000,
      steadyDelayMs: 6000,
      steadyWindowMs: 5000,
      pin: true,
      expectedPaths: ['datadog/2/FFE_FLAGS/x/config'],
      agentChildEnv: null,
      validity: { maxEventLoopDelayP99Ms: 50, maxCpuBusiestSecond: 0.9 },
    },
    scenarios,
    comparisons: compareScenarios(scenarios),
  } satisfies HerdResults;
  const html = await renderHerdReport(results);
  t.equal(html.match(/<svg /g)?.length, 2, 'current flags and all configs for the one timing');
  t.match(html, /INVALID scenarios/);
  t.match(html, /fastlane\/unchanged\/ready \(INVALID\)/);
  t.match(html, /fast\/fresh_snapshot: 2/, 'bypass outcomes are printed as the agent labels them');
  t.match(html, /40×/);
  t.match(html, /legacy \/ unchanged/, 'legend names policy and population');
  const text = herdSummaryText(results);
  t.match(text, /fast lane vs legacy, unchanged\/ready: FFE p50 40× faster/);
  t.match(text, /INVALID .*fastlane\/unchanged\/ready/);
  t.match(text, /achieved boot rate 1000–1000 tracers\/s/);
});
