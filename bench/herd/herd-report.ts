// The herd report: HTML (summary per scenario, fast lane vs legacy, agent counters, generator validity, CDF charts
// per timing) and the plain-text table printed at the end of a run.
import { escapeHtml, formatBytes, formatMs, htmlPage, htmlTable, renderCdfSvg, textTable } from '../report/index.js';
import { POPULATION_DESCRIPTIONS, type Population } from './populations.js';
import {
  scenarioKey,
  TIMINGS,
  type HerdComparison,
  type HerdResults,
  type HerdScenarioResult,
  type ReplicaResult,
  type Spread,
  type Timing,
} from './herd-types.js';

function entries(record: Readonly<Record<string, number>>): string {
  const list = Object.entries(record).map(([k, v]) => `${k}: ${v}`);
  return list.length === 0 ? 'none' : list.join(', ');
}

/** The median, and the range when rounds disagree (after `gap`: a space, or a line break in HTML cells). */
function spreadOf(s: Spread, format: (v: number | null) => string, gap = ' '): string {
  if (s.min === s.max) return format(s.median);
  return `${format(s.median)}${gap}(${rangeText(format(s.min), format(s.max))})`;
}

/** `1.20 s–1.50 s` → `1.20–1.50 s`: the unit once when both ends share it. */
export function rangeText(min: string, max: string): string {
  const unit = (text: string): string => /\s\S+$/.exec(text)?.[0] ?? '';
  const u = unit(min);
  return u !== '' && u === unit(max) ? `${min.slice(0, -u.length)}–${max}` : `${min}–${max}`;
}

const spreadText = (s: Spread, format: (v: number | null) => string): string => spreadOf(s, format);
const ms = (v: number | null): string => formatMs(v, 'undelivered');
/** A duration that is unknown rather than undelivered when missing. */
const msOrDash = (v: number | null): string => formatMs(v, '–');
const num = (v: number | null): string => (v === null ? '–' : String(v));
const pct = (v: number | null): string => (v === null ? '–' : `${v} %`);
const cpuPerK = (v: number | null): string => (v === null ? '–' : `${v} s`);
const mib = (v: number | null): string => (v === null ? '–' : formatBytes(v));

const times = (v: number | null): string => (v === null ? '–' : `${v}×`);
/** ` (range a×–b×)` when rounds disagree. */
const range = (s: Spread): string => (s.min === s.max ? '' : ` (range ${times(s.min)}–${times(s.max)})`);

const POPULATION_WORDS: Readonly<Record<Population, string>> = {
  unchanged: 'Unchanged dd-trace-js tracers',
  split: 'Tracers with a separate FFE_FLAGS client',
  fastlane: 'Tracers with the RcClient fast-lane policy',
};

const TIMING_WORDS: Readonly<Record<Timing, string>> = {
  ready: 'booting the instant the agent is ready',
  steady: 'booting once the agent is steady',
  changed: 'booting right after a flags change',
};

/** The comparisons in the order that matters to users: unchanged tracers first, at-readiness boot first. */
export function headlineOrder(comparisons: readonly HerdComparison[]): HerdComparison[] {
  const rank = (c: HerdComparison): number => (c.population === 'unchanged' ? 0 : 10) + TIMINGS.indexOf(c.timing);
  return [...comparisons].sort((a, b) => rank(a) - rank(b));
}

/**
 * The headline: fast lane against legacy for unchanged tracers (at readiness first), or the most telling pair when
 * no unchanged population ran; each ratio the median over rounds with its range, and how many rounds.
 */
export function herdHeadline(results: HerdResults): string[] {
  const ordered = headlineOrder(results.comparisons);
  const unchanged = ordered.filter((c) => c.population === 'unchanged');
  const lead = unchanged.length > 0 ? unchanged : ordered.slice(0, 1);
  if (lead.length === 0) return ['No legacy and fast-lane pair ran with the same population and timing: no speed-up.'];
  const rounds = Math.min(...lead.map((c) => c.rounds));
  const lines = lead.map((c) => {
    const fast = results.scenarios[scenarioKey({ policy: 'fastlane', population: c.population, timing: c.timing })];
    const legacy = results.scenarios[scenarioKey({ policy: 'legacy', population: c.population, timing: c.timing })];
    const p50 = (s: HerdScenarioResult | undefined): string =>
      s === undefined ? '–' : spreadText(s.summary.ffeP50Ms, ms);
    return (
      `${POPULATION_WORDS[c.population]} ${TIMING_WORDS[c.timing]}: the fast lane delivers the current flags ` +
      `${times(c.ffeP50Speedup.median)} faster at p50${range(c.ffeP50Speedup)}, ` +
      `${times(c.ffeP99Speedup.median)} at p99${range(c.ffeP99Speedup)} ` +
      `(fast lane p50 ${p50(fast)}, legacy ${p50(legacy)}).`
    );
  });
  lines.push(
    rounds === 1
      ? 'One round: no spread to show; run with --rounds 3 or more, as single runs swing.'
      : `Each figure is the median of ${rounds} rounds, with the range (min–max) in brackets; a ratio compares legacy round i with fast-lane round i.`,
  );
  return lines;
}

function label(s: HerdScenarioResult): string {
  return s.valid ? s.key : `${s.key} (INVALID)`;
}

const SUMMARY_HEADERS = [
  'scenario (policy/population/timing[/fleet])',
  'FFE p50',
  'FFE p90',
  'FFE p99',
  'FFE max',
  'current flags',
  'first poll current',
  'all configs p99',
  'timeouts (> 2 s)',
  'max hold',
  'backend requests',
  'backend round (mean)',
  'agent CPU / 1k new tracers',
  'agent CPU / 1k steady polls',
  'agent RSS peak',
];
/** Where the agent's cost starts in a summary row (before: delivery as tracers saw it). */
const COST_COLUMN = SUMMARY_HEADERS.indexOf('backend requests');

function summaryRow(s: HerdScenarioResult, gap = ' '): string[] {
  const r = s.representative;
  const cell = (v: Spread, format: (v: number | null) => string): string => spreadOf(v, format, gap);
  return [
    label(s),
    cell(s.summary.ffeP50Ms, ms),
    cell(s.summary.ffeP90Ms, ms),
    cell(s.summary.ffeP99Ms, ms),
    cell(s.summary.ffeMaxMs, ms),
    cell(s.summary.deliveredPct, pct),
    r.firstPollCurrent === null ? '–' : `${r.firstPollCurrent}/${s.tracers}`,
    cell(s.summary.allP99Ms, ms),
    cell(s.summary.timeouts, num),
    cell(s.summary.maxHoldMs, msOrDash),
    cell(s.summary.backendRequests, num),
    cell(s.summary.meanRoundMs, msOrDash),
    cell(s.summary.cpuSecondsPer1kNewTracers, cpuPerK),
    cell(s.summary.cpuSecondsPer1kSteadyPolls, cpuPerK),
    cell(s.summary.rssPeakBytes, mib),
  ];
}

/** The table printed at the end of `bench herd`. */
export function herdSummaryText(results: HerdResults): string {
  const list = Object.values(results.scenarios);
  const lines = [
    ...herdHeadline(results),
    '',
    textTable(
      [
        'scenario',
        'FFE p50',
        'p90',
        'p99',
        'max',
        'current',
        'all p99',
        'timeouts',
        'max hold',
        'backend',
        'round',
        'CPU/1k new',
        'CPU/1k steady',
        'RSS',
      ],
      list.map((s) => {
        const row = summaryRow(s);
        return [row[0]!, ...row.slice(1, 6), ...row.slice(7)];
      }),
    ),
  ];
  for (const c of results.comparisons) {
    lines.push(
      `fast lane vs legacy, ${c.population}/${c.timing}${c.fleet === undefined ? '' : `/${c.fleet}`}: FFE p50 ${spreadText(c.ffeP50Speedup, times)} faster, p99 ${spreadText(c.ffeP99Speedup, times)} (${c.rounds} round(s))`,
    );
  }
  for (const s of list) {
    const r = s.representative;
    if (r.replicas === undefined) continue;
    lines.push(
      `${s.key}: fleet backend calls ${r.backend.requests}; replicas ${r.replicas.map((x) => x.mode ?? 'no cluster').join(', ')}; agent CPU summed ${r.agent?.herdCpuSeconds ?? '–'} s`,
    );
    for (const x of r.replicas) {
      if (Object.keys(x.roundPhases ?? {}).length > 0)
        lines.push(`  replica ${x.index} (${x.mode ?? '?'}) round wait: ${phasesText(x.roundPhases)}`);
    }
  }
  for (const f of fleetComparisons(list)) {
    lines.push(
      `Redis fleet vs independent, ${f.key}: backend calls ${f.redis.backend} vs ${f.independent.backend}, FFE p99 ${ms(f.redis.p99)} vs ${ms(f.independent.p99)}, timeouts ${num(f.redis.timeouts)} vs ${num(f.independent.timeouts)}`,
    );
  }
  const invalid = list.filter((s) => !s.valid);
  if (invalid.length > 0) {
    lines.push(
      `INVALID (a load generator lagged — its own work or other load on its core — so figures are not the agent's alone): ${invalid.map((s) => s.key).join(', ')}`,
    );
  }
  lines.push(`cores: ${coresLine(results)}`);
  return lines.join('\n');
}

interface FleetSide {
  readonly backend: number | null;
  readonly p50: number | null;
  readonly p99: number | null;
  readonly timeouts: number | null;
  readonly cpuPer1k: number | null;
}

/** The same policy, population and timing on the Redis fleet and on independent replicas. */
function fleetComparisons(
  list: readonly HerdScenarioResult[],
): Array<{ key: string; redis: FleetSide; independent: FleetSide }> {
  const side = (s: HerdScenarioResult): FleetSide => ({
    backend: s.summary.backendRequests.median,
    p50: s.summary.ffeP50Ms.median,
    p99: s.summary.ffeP99Ms.median,
    timeouts: s.summary.timeouts.median,
    cpuPer1k: s.summary.cpuSecondsPer1kNewTracers.median,
  });
  const out: Array<{ key: string; redis: FleetSide; independent: FleetSide }> = [];
  for (const redis of list.filter((s) => s.fleet === 'redis')) {
    const independent = list.find(
      (s) =>
        s.fleet === 'independent' &&
        s.policy === redis.policy &&
        s.population === redis.population &&
        s.timing === redis.timing,
    );
    if (independent === undefined) continue;
    out.push({
      key: `${redis.policy}/${redis.population}/${redis.timing}`,
      redis: side(redis),
      independent: side(independent),
    });
  }
  return out;
}

function coresLine(results: HerdResults): string {
  const gens = Object.values(results.scenarios).flatMap((s) => s.rounds.map((r) => r.generator));
  const procs = gens.find((g) => g !== null)?.procs;
  const rates = gens.flatMap((g) => (g?.bootRatePerS == null ? [] : [g.bootRatePerS]));
  const rate = rates.length === 0 ? '' : `; achieved boot rate ${Math.min(...rates)}–${Math.max(...rates)} tracers/s`;
  const sources = results.config.sourceAddresses;
  const from =
    procs === undefined || sources.length === 0 ? '' : `; connections from ${sources.length} loopback addresses`;
  return `${results.cpu.description}${procs === undefined ? '' : `; ${procs} generator process(es)`}${from}${rate}`;
}

function phasesText(phases: ReplicaResult['roundPhases'] | undefined): string {
  const list = Object.entries(phases ?? {}).map(
    ([phase, p]) => `${phase}: ${p.count}× ${formatMs(p.meanMs)}, ≤ ${msOrDash(p.p99AtMostMs)}`,
  );
  return list.length === 0 ? 'none' : list.join('; ');
}

function replicaSections(list: readonly HerdScenarioResult[], replicas: number): string[] {
  const sections = [
    `<h2>Replicas</h2><p>${escapeHtml(
      `${replicas} agent replicas per scenario, the herd spread round-robin over them. "redis": they share one Redis ` +
        '(one backend call per round for the fleet, fleet-wide bypass budgets, every round verified by every replica); ' +
        '"independent": the same replicas without Redis. Backend requests are the simulator\'s count for the whole ' +
        "fleet; agent CPU is summed over the replicas, RSS is the largest replica's.",
    )}</p>`,
  ];
  const compared = fleetComparisons(list);
  if (compared.length > 0) {
    const pair = (a: number | null, b: number | null, f: (v: number | null) => string): string => `${f(a)} / ${f(b)}`;
    sections.push(
      '<h3>Redis fleet / independent replicas</h3>',
      htmlTable(
        [
          'policy/population/timing',
          'backend requests',
          'FFE p50',
          'FFE p99',
          'timeouts',
          'agent CPU / 1k new tracers',
        ],
        compared.map((f) => [
          f.key,
          pair(f.redis.backend, f.independent.backend, num),
          pair(f.redis.p50, f.independent.p50, ms),
          pair(f.redis.p99, f.independent.p99, ms),
          pair(f.redis.timeouts, f.independent.timeouts, num),
          pair(f.redis.cpuPer1k, f.independent.cpuPer1k, cpuPerK),
        ]),
      ),
    );
  }
  sections.push(
    '<h3>Per replica (representative round)</h3>',
    htmlTable(
      [
        'scenario',
        'replica',
        'mode',
        'agent CPU in the herd',
        'refreshes by reason/result',
        'cluster rounds',
        'RSS peak',
      ],
      list.flatMap((s) =>
        (s.representative.replicas ?? []).map((x) => [
          s.key,
          `${x.index} (pid ${x.pid})`,
          x.mode ?? 'no cluster',
          x.herdCpuSeconds === null ? null : `${x.herdCpuSeconds} s`,
          entries(x.refreshes),
          entries(x.clusterRounds),
          phasesText(x.roundPhases),
          mib(x.rssPeakBytes),
        ]),
      ),
    ),
  );
  return sections;
}

export async function renderHerdReport(results: HerdResults): Promise<string> {
  const list = Object.values(results.scenarios);
  const c = results.config;
  const sections: string[] = [];

  const invalid = list.filter((s) => !s.valid);
  if (invalid.length > 0) {
    sections.push(
      `<div class="warning"><strong>INVALID scenarios — a load generator lagged (its own work, or other load on its core: see the machine load), so the figures are not the agent's alone:</strong><ul>${invalid
        .map(
          (s) =>
            `<li>${escapeHtml(s.key)}: ${escapeHtml(
              s.rounds.flatMap((r) => r.generator?.invalidReasons ?? []).join('; '),
            )}</li>`,
        )
        .join(
          '',
        )}</ul>Their delivery times and timeouts are partly the generator's own. Use fewer tracers, a longer ramp or more cores.</div>`,
    );
  }

  sections.push(
    '<h2>Headline</h2>',
    `<div class="headline">${herdHeadline(results)
      .map((line) => `<p>${escapeHtml(line)}</p>`)
      .join('')}</div>`,
    `<p>${escapeHtml(
      `${c.tracers} ${c.mode === 'real' ? 'real dd-trace-js processes' : 'emulated tracers'} per scenario, booted over ${c.rampMs} ms; ` +
        `backend latency ${c.backendRttMs} ms; poll ${c.pollIntervalMs} ms (fast ${c.fastPollIntervalMs} ms), request timeout ${c.requestTimeoutMs} ms; ` +
        `${c.rounds} round(s) per scenario (median, and the range when rounds differ); ` +
        `a scenario stops when every tracer holds all ${c.expectedPaths.length} configs with the current flags, or ${c.capMs} ms after the last boot.`,
    )}</p>`,
    `<p><strong>Cores:</strong> ${escapeHtml(coresLine(results))}. Machine: ${escapeHtml(
      `${results.run.machine.cpuModel}, ${results.run.machine.cores} cores, node ${results.run.node}; commit ${results.run.git.commit ?? 'unknown'}${results.run.git.dirty ? ' (with local changes)' : ''}, ${results.run.startedAt}.`,
    )}</p>`,
    `<p><strong>Delivered</strong> means the tracer holds the <em>current</em> flags: the FFE_FLAGS document the backend held at least 1 s before the tracer's request. An older document, or a reply without FFE_FLAGS, is not delivered yet. Times count from the tracer's boot.</p>`,
  );

  // Two tables, so that each fits 1,400 px with every median and its range on their own lines.
  const rows = list.map((s) => summaryRow(s, '\n'));
  sections.push(
    '<h2>Summary: delivery</h2>',
    htmlTable(
      SUMMARY_HEADERS.slice(0, COST_COLUMN),
      rows.map((r) => r.slice(0, COST_COLUMN)),
      { figures: true },
    ),
    '<h2>Summary: agent cost</h2>',
    htmlTable(
      [SUMMARY_HEADERS[0]!, ...SUMMARY_HEADERS.slice(COST_COLUMN)],
      rows.map((r) => [r[0], ...r.slice(COST_COLUMN)]),
      { figures: true },
    ),
  );
  if (c.replicas !== undefined && c.replicas > 1) sections.push(...replicaSections(list, c.replicas));

  if (results.comparisons.length > 0) {
    sections.push(
      '<h2>Fast lane against legacy (same population and timing)</h2>',
      htmlTable(
        ['population', 'timing', 'rounds', 'FFE p50 speed-up', 'FFE p99 speed-up'],
        headlineOrder(results.comparisons).map((cmp) => [
          cmp.population,
          cmp.timing,
          cmp.rounds,
          spreadText(cmp.ffeP50Speedup, times),
          spreadText(cmp.ffeP99Speedup, times),
        ]),
      ),
      '<p>Per paired round (legacy round i ÷ fast-lane round i): the median, and the range when rounds differ. A dash: a percentile fell on undelivered tracers, so no finite ratio exists.</p>',
    );
  }

  sections.push(
    '<h2>Agent counters during the herd (representative round)</h2>',
    htmlTable(
      [
        'scenario',
        'backend refreshes by reason/result',
        'bypass by lane/outcome',
        'lock hold p99',
        'event-loop lag max',
      ],
      list.map((s) => {
        const r = s.representative;
        return [
          s.key,
          r.metricsError === null ? entries(r.backend.byReason) : `unavailable: ${r.metricsError}`,
          entries(r.bypass),
          r.lockHold.p99AtMostMs === null ? null : `≤ ${formatMs(r.lockHold.p99AtMostMs)}`,
          r.agentEventLoopLag.maxMs === null ? null : formatMs(r.agentEventLoopLag.maxMs),
        ];
      }),
    ),
  );

  if (c.mode === 'emulated') {
    sections.push(
      '<h2>Load generator</h2>',
      `<p>${escapeHtml(`A scenario is invalid when any generator's event-loop delay p99 exceeds ${c.validity.maxEventLoopDelayP99Ms} ms or its busiest second used more than ${c.validity.maxCpuBusiestSecond * 100} % of its core.`)}</p>`,
      htmlTable(
        [
          'scenario',
          'round',
          'procs',
          'boot rate',
          'event-loop delay p99 / max',
          'CPU mean / busiest second',
          'machine load (1 min)',
          'verdict',
        ],
        list.flatMap((s) =>
          s.rounds.map((r) => {
            const g = r.generator;
            return [
              s.key,
              r.round,
              g?.procs ?? null,
              g?.bootRatePerS == null ? null : `${g.bootRatePerS}/s`,
              g === null
                ? null
                : g.stats.map((x) => `${x.eventLoopDelay.p99Ms} / ${x.eventLoopDelay.maxMs} ms`).join(', '),
              g === null
                ? null
                : g.stats
                    .map((x) => `${Math.round(x.cpuMean * 100)} / ${Math.round(x.cpuBusiestSecond * 100)} %`)
                    .join(', '),
              `${r.machineLoad1m.before} → ${r.machineLoad1m.after}`,
              g === null ? null : g.valid ? 'valid' : 'INVALID',
            ];
          }),
        ),
      ),
    );
  }

  const charts: string[] = [];
  for (const timing of TIMINGS) {
    const group = list.filter((s) => s.timing === timing);
    if (group.length === 0) continue;
    for (const [what, pick] of [
      ['current flags', (s: HerdScenarioResult) => s.representative.samples.ffe.deliveredMs],
      ['all configs', (s: HerdScenarioResult) => s.representative.samples.allConfigs.deliveredMs],
    ] as const) {
      charts.push(
        await renderCdfSvg(
          `${what}, timing ${timing}`,
          group.map((s) => ({
            name: `${s.policy} / ${s.population}${s.fleet === undefined ? '' : ` / ${s.fleet}`}`,
            dash: s.policy,
            valuesMs: pick(s),
            total: s.tracers,
          })),
          { width: 480, height: 240 },
        ),
      );
    }
  }
  sections.push(
    '<h2>Delivery CDFs</h2>',
    '<p>One chart per timing; colour: policy and population, dashes: agent policy.</p>',
    `<div class="charts">${charts.map((svg) => `<div>${svg}</div>`).join('\n')}</div>`,
  );

  sections.push(
    '<h2>Populations</h2>',
    htmlTable(
      ['population', 'what each emulated tracer does'],
      Object.entries(POPULATION_DESCRIPTIONS).map(([k, v]) => [k, v]),
    ),
    '<h2>Configuration</h2>',
    `<pre>${escapeHtml(JSON.stringify({ run: results.run, cpu: results.cpu, config: c }, null, 2))}</pre>`,
  );
  return htmlPage('rc-agent herd benchmark', sections);
}
