// Herd pieces that need no agent: the ramp schedule, the comparison against the legacy baseline, the report.
import t from 'tap';
import {
  bootOffsetMs,
  compareScenarios,
  renderHerdReport,
  type HerdResults,
  type HerdScenarioResult,
} from '../../../bench/herd/index.js';
import { distribution } from '../../../bench/common/index.js';

t.test('boots spread evenly inside the ramp window', async (t) => {
  const offsets = Array.from({ length: 4 }, (_v, i) => bootOffsetMs(i, 4, 1000));
  t.same(offsets, [0, 250, 500, 750]);
  t.equal(bootOffsetMs(0, 1, 1000), 0);
});

function scenario(
  agentPolicy: 'legacy' | 'fastlane',
  clientPolicy: 'legacy' | 'fastlane',
  ffeMs: number[],
): HerdScenarioResult {
  const d = distribution(ffeMs);
  return {
    key: `agent=${agentPolicy},client=${clientPolicy}`,
    loadGeneratorSaturated: false,
    agentPolicy,
    clientPolicy,
    tracers: ffeMs.length,
    stoppedBy: 'all-delivered',
    durationMs: 1000,
    ffe: d,
    allConfigs: d,
    samples: {
      ffe: { deliveredMs: ffeMs.filter(Number.isFinite), undelivered: ffeMs.filter((v) => !Number.isFinite(v)).length },
      allConfigs: { deliveredMs: ffeMs.filter(Number.isFinite), undelivered: 0 },
    },
    backend: { refreshes: 2, byReason: { 'bypass_fast/ok': 1 } },
    bypass: { 'fast/coalesced': 3 },
    getConfigs: {},
    lockHold: { p99AtMostMs: 0.1, count: 3 },
    agent: null,
    loadGenerator: { cpuCores: 0.5, cores: 1, eventLoopDelay: { p99Ms: 12, maxMs: 30 } },
    agentEventLoopLag: { p99Ms: 1, maxMs: 2 },
    machineLoad1m: { before: 0.5, after: 1 },
    client: { requests: 4, timeouts: 0, errors: 0 },
  };
}

t.test('speed-ups against agent=legacy,client=legacy', async (t) => {
  const scenarios = {
    a: scenario('legacy', 'legacy', [4000, 6000, 8000]),
    b: scenario('fastlane', 'fastlane', [100, 150, 200]),
    c: scenario('fastlane', 'legacy', [Infinity, Infinity, 100]),
  };
  t.same(compareScenarios(scenarios), [
    {
      baseline: 'agent=legacy,client=legacy',
      candidate: 'agent=fastlane,client=fastlane',
      ffeP50Speedup: 40,
      ffeP99Speedup: 40,
    },
    {
      baseline: 'agent=legacy,client=legacy',
      candidate: 'agent=fastlane,client=legacy',
      ffeP50Speedup: null,
      ffeP99Speedup: null,
    },
  ]);
  t.same(compareScenarios({ b: scenarios.b }), [], 'no baseline, no comparison');
});

t.test('the report has a table row and a CDF per scenario', async (t) => {
  const a = scenario('legacy', 'legacy', [4000, 6000, 8000]);
  const b = scenario('fastlane', 'fastlane', [100, 150, 200]);
  const results = {
    kind: 'herd',
    run: {
      startedAt: '2026-01-01T00:00:00.000Z',
      git: { commit: 'abc', dirty: false },
      machine: { hostname: 'h', cpuModel: 'cpu', cores: 2, totalMemoryBytes: 1, platform: 'linux', arch: 'x64' },
      node: 'v20',
    },
    cpu: { cores: 2, pinned: false, description: 'not pinned' },
    config: {
      mode: 'emulated',
      tracers: 3,
      rampMs: 100,
      capMs: 1000,
      backendRttMs: 10,
      scenarios: [],
      workers: 1,
      products: ['FFE_FLAGS'],
      pollIntervalMs: 5000,
      fastPollIntervalMs: 1000,
      requestTimeoutMs: 2000,
      pin: false,
      expectedPaths: ['datadog/2/FFE_FLAGS/x/config'],
      agentChildEnv: null,
    },
    scenarios: { [a.key]: a, [b.key]: b },
    comparisons: compareScenarios({ a, b }),
  } satisfies HerdResults;
  const html = await renderHerdReport(results);
  t.equal(html.match(/<svg /g)?.length, 3, 'one chart with every scenario, one per scenario');
  t.match(html, /agent=fastlane,client=fastlane/);
  t.match(html, /40×/);
});
