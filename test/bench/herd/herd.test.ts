// Herd pieces that need no agent: the ramp schedule, medians over rounds, the generator verdict, the comparison of
// fast lane against legacy, the report and the text table.
import t from 'tap';
import {
  GENERATOR_MAX_LOOP_DELAY_P99_MS,
  bootOffsetMs,
  compareScenarios,
  generatorVerdict,
  headlineOrder,
  herdHeadline,
  herdSummaryText,
  rangeText,
  renderHerdReport,
  speedup,
  spread,
  summarise,
  type GeneratorStats,
  type HerdResults,
  type HerdRoundResult,
  type HerdScenarioResult,
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
    backend: { requests: 2, byReason: { 'bypass_fast/ok': 1 }, meanRoundMs: 120 },
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

const CONFIG: HerdResults['config'] = {
  mode: 'emulated',
  sourceAddresses: [],
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
};

/** Results around some scenarios, as `runHerd` writes them. */
function reportInput(scenarios: Record<string, HerdScenarioResult>): HerdResults {
  return {
    kind: 'herd',
    run: {
      startedAt: '2026-01-01T00:00:00.000Z',
      git: { commit: 'abc', dirty: false },
      machine: { hostname: 'h', cpuModel: 'cpu', cores: 2, totalMemoryBytes: 1, platform: 'linux', arch: 'x64' },
      node: 'v20',
    },
    cpu: CPU,
    config: CONFIG,
    scenarios,
    comparisons: [],
  };
}

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
  const one = { median: 40, min: 40, max: 40 };
  t.same(compareScenarios({ [legacy.key]: legacy, [fast.key]: fast, [other.key]: other }), [
    { population: 'unchanged', timing: 'ready', rounds: 1, ffeP50Speedup: one, ffeP99Speedup: one },
  ]);
});

t.test('a range names its unit once when both ends share it', async (t) => {
  t.equal(rangeText('1.20 s', '1.50 s'), '1.20–1.50 s');
  t.equal(rangeText('690.1 ms', '1.23 s'), '690.1 ms–1.23 s');
  t.equal(rangeText('5×', '7×'), '5×–7×');
});

t.test('speed-ups over rounds: the ratio of each paired round, then its median and range', async (t) => {
  t.equal(speedup(7000, 12), 583.3);
  t.equal(speedup(null, 12), null, 'legacy undelivered: no finite ratio');
  t.equal(speedup(7000, 0), null);
  const legacy = summarise(spec('legacy'), 1, [round(1, [6000]), round(2, [9000]), round(3, [8000])]);
  // Round 2 of the fast lane is undelivered: its ratio is not finite and sorts last.
  const fast = summarise(spec('fastlane'), 1, [round(1, [10]), round(2, [Infinity]), round(3, [20])]);
  const [cmp] = compareScenarios({ [legacy.key]: legacy, [fast.key]: fast });
  t.equal(cmp?.rounds, 3);
  t.same(cmp?.ffeP50Speedup, { median: 600, min: 400, max: null }, '8000/20 = 400, 6000/10 = 600, then none');
  const evenFast = summarise(spec('fastlane'), 1, [round(1, [10]), round(2, [30])]);
  const [even] = compareScenarios({ [legacy.key]: legacy, [evenFast.key]: evenFast });
  t.equal(even?.rounds, 2, 'only rounds both sides ran are paired');
  t.same(even?.ffeP50Speedup, { median: 300, min: 300, max: 600 }, 'an even count takes the lower middle');
});

t.test('the headline leads with unchanged tracers at readiness and says how many rounds', async (t) => {
  const scenarios: Record<string, HerdScenarioResult> = {};
  for (const timing of ['changed', 'ready'] as const) {
    for (const population of ['fastlane', 'unchanged'] as const) {
      for (const [policy, base] of [
        ['legacy', 5000],
        ['fastlane', 10],
      ] as const) {
        const s = summarise({ policy, population, timing }, 1, [
          round(1, [base]),
          round(2, [base * 2]),
          round(3, [base * 3]),
        ]);
        scenarios[s.key] = s;
      }
    }
  }
  const comparisons = compareScenarios(scenarios);
  t.same(
    headlineOrder(comparisons).map((c) => `${c.population}/${c.timing}`),
    ['unchanged/ready', 'unchanged/changed', 'fastlane/ready', 'fastlane/changed'],
  );
  const lines = herdHeadline({ ...reportInput(scenarios), comparisons, config: { ...CONFIG, rounds: 3 } });
  t.equal(lines.length, 3, 'the two unchanged pairs, then the rounds');
  t.match(lines[0], /^Unchanged dd-trace-js tracers booting the instant the agent is ready: .* 500× faster at p50/);
  t.match(lines[0], /fast lane p50 20\.0 ms \(10\.0–30\.0 ms\), legacy 10\.00 s \(5\.00–15\.00 s\)/);
  t.match(lines[1], /^Unchanged dd-trace-js tracers booting right after a flags change/);
  t.match(lines[2], /median of 3 rounds, with the range \(min–max\)/);
  const single = herdHeadline({ ...reportInput({}), comparisons: [], config: CONFIG });
  t.match(single[0], /No legacy and fast-lane pair/);
});

t.test('the report: summary, validity warning, counters with every label, one CDF pair per timing', async (t) => {
  const legacy = summarise(spec('legacy'), 3, [round(1, [4000, 6000, 8000])]);
  const fast = summarise(spec('fastlane'), 3, [round(1, [100, 150, 200], false)]);
  const scenarios = { [legacy.key]: legacy, [fast.key]: fast };
  const results = { ...reportInput(scenarios), comparisons: compareScenarios(scenarios) };
  const html = await renderHerdReport(results);
  t.equal(html.match(/<svg /g)?.length, 2, 'current flags and all configs for the one timing');
  t.match(html, /INVALID scenarios/);
  t.match(html, /fastlane\/unchanged\/ready \(INVALID\)/);
  t.match(html, /fast\/fresh_snapshot: 2/, 'bypass outcomes are printed as the agent labels them');
  t.match(html, /40×/);
  t.match(html, /legacy \/ unchanged/, 'legend names policy and population');
  const text = herdSummaryText(results);
  t.match(text, /^Unchanged dd-trace-js tracers booting the instant the agent is ready: .* 40× faster at p50/);
  t.match(text, /One round: no spread/);
  t.match(text, /fast lane vs legacy, unchanged\/ready: FFE p50 40× faster, p99 40× \(1 round\(s\)\)/);
  t.match(text, /INVALID .*fastlane\/unchanged\/ready/);
  t.match(text, /achieved boot rate 1000–1000 tracers\/s/);
});
