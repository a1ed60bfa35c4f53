// The soak report: RSS and heap of the agent over time (one SVG chart), the warm-up mark, growth and the goals.
import type * as vl from 'vega-lite';
import { escapeHtml, formatBytes, htmlPage, htmlTable, renderSvg, textTable } from '../report/index.js';
import { SOAK_MAX_GROWTH_PERCENT } from './soak-goals.js';
import type { SoakResults } from './soak-types.js';

const MIB = 1024 * 1024;

export function soakChartSpec(results: SoakResults): vl.TopLevelSpec {
  const values = results.samples.flatMap((s) => [
    { seconds: s.atS, series: 'RSS', mib: s.rssBytes / MIB },
    ...(s.heapUsedBytes === null ? [] : [{ seconds: s.atS, series: 'heap used', mib: s.heapUsedBytes / MIB }]),
    ...(s.heapTotalBytes === null ? [] : [{ seconds: s.atS, series: 'heap total', mib: s.heapTotalBytes / MIB }]),
  ]);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: `agent memory: ${results.config.clients} clients, ${results.config.ratePerS} polls/s`,
    width: 640,
    height: 280,
    layer: [
      {
        data: { values },
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'seconds', type: 'quantitative', title: 'seconds of load' },
          y: { field: 'mib', type: 'quantitative', title: 'MiB', scale: { zero: true } },
          color: { field: 'series', type: 'nominal', title: null },
        },
      },
      {
        data: { values: [{ seconds: results.config.warmupS }] },
        mark: { type: 'rule', strokeDash: [4, 4], color: '#888' },
        encoding: { x: { field: 'seconds', type: 'quantitative' } },
      },
    ],
  };
}

export function soakSummaryTable(results: SoakResults): string {
  const req = results.requests;
  return textTable(
    ['clients', 'polls/s', 'RSS after warm-up', 'RSS max', 'RSS growth', 'heap growth', 'ok / failed / skipped'],
    [
      [
        results.config.clients,
        results.config.ratePerS,
        formatBytes(results.rssAfterWarmupBytes),
        formatBytes(results.rssMaxBytes),
        `${results.rssGrowthPercent} %`,
        results.heapUsedGrowthPercent === null ? '–' : `${results.heapUsedGrowthPercent} %`,
        `${req.ok} / ${req.failed} / ${req.skipped}`,
      ],
    ],
  );
}

export async function renderSoakReport(results: SoakResults): Promise<string> {
  const svg = await renderSvg(soakChartSpec(results));
  const c = results.config;
  const goal = (ok: boolean | null): string => (ok === null ? 'not applicable' : ok ? 'met' : 'missed');
  return htmlPage('rc-agent bench soak', [
    `<p>${escapeHtml(
      `${c.clients} distinct known tracer clients, ${c.ratePerS} steady polls/s in total (each client every ` +
        `${(c.clients / c.ratePerS).toFixed(1)} s), ${c.durationS} s, sampled every ${c.sampleS} s; growth from ` +
        `the first sample after the ${c.warmupS} s warm-up (dashed). ${results.cpu.description}. ` +
        `Commit ${results.run.git.commit ?? 'unknown'}.`,
    )}</p>`,
    `<div class="charts">${svg}</div>`,
    htmlTable(
      ['goal', 'value', 'result'],
      [
        [
          `RSS growth after warm-up ≤ ${SOAK_MAX_GROWTH_PERCENT} %`,
          `${results.rssGrowthPercent} %`,
          goal(results.goals.growthOk),
        ],
        [
          'RSS with 10,000 tracked clients ≤ 200 MB',
          formatBytes(results.rssAfterWarmupBytes),
          goal(results.goals.rssOk),
        ],
      ],
    ),
    htmlTable(
      ['s', 'RSS', 'heap used', 'heap total', 'tracked clients', 'replies/s', 'p99 ms', 'errors'],
      results.samples.map((s) => [
        s.atS,
        formatBytes(s.rssBytes),
        formatBytes(s.heapUsedBytes),
        formatBytes(s.heapTotalBytes),
        s.activeClients,
        s.repliesPerS,
        s.p99Ms,
        s.errors,
      ]),
    ),
  ]);
}
