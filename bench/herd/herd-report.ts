// The herd HTML report: a summary table per scenario, the speed-ups against the legacy baseline, and a CDF chart
// (SVG) of delivery times per scenario plus one with every scenario's FFE curve.
import { escapeHtml, formatBytes, formatMs, htmlPage, htmlTable, renderCdfSvg } from '../report/index.js';
import type { HerdResults, HerdScenarioResult } from './herd-types.js';

function entries(record: Readonly<Record<string, number>>): string {
  const list = Object.entries(record).map(([k, v]) => `${k}: ${v}`);
  return list.length === 0 ? 'none' : list.join(', ');
}

function summaryRows(list: readonly HerdScenarioResult[]) {
  return list.map((s) => [
    s.loadGeneratorSaturated ? `${s.key} (load generator saturated)` : s.key,
    `${s.ffe.delivered}/${s.tracers}`,
    formatMs(s.ffe.p50),
    formatMs(s.ffe.p90),
    formatMs(s.ffe.p99),
    formatMs(s.ffe.max),
    `${s.allConfigs.delivered}/${s.tracers}`,
    formatMs(s.allConfigs.p50),
    formatMs(s.allConfigs.p99),
    s.backend.refreshes,
    s.lockHold.p99AtMostMs === null ? null : `≤ ${formatMs(s.lockHold.p99AtMostMs)}`,
    s.agent === null ? null : `${s.agent.cpuSeconds} s (${s.agent.cpuCores} cores)`,
    s.agent === null ? null : formatBytes(s.agent.rssPeakBytes),
    s.loadGenerator.cpuCores === null ? null : `${s.loadGenerator.cpuCores} / ${s.loadGenerator.cores} cores`,
    s.loadGenerator.eventLoopDelay === null ? null : formatMs(s.loadGenerator.eventLoopDelay.maxMs),
    s.agentEventLoopLag.maxMs === null ? null : formatMs(s.agentEventLoopLag.maxMs),
    s.client.requests,
    s.client.timeouts,
    s.stoppedBy,
  ]);
}

export async function renderHerdReport(results: HerdResults): Promise<string> {
  const list = Object.values(results.scenarios);
  const c = results.config;
  const sections: string[] = [];

  sections.push(
    `<p>${escapeHtml(
      `${c.tracers} ${c.mode === 'real' ? 'real dd-trace-js processes' : 'emulated tracers'}, ` +
        `booted over ${c.rampMs} ms, backend latency ${c.backendRttMs} ms, products ${c.products.join(', ')}; ` +
        `a scenario stops when every tracer has its ${c.expectedPaths.length} configs or ${c.capMs} ms after the last boot.`,
    )}</p>`,
    `<p>${escapeHtml(`CPU: ${results.cpu.description}. Machine: ${results.run.machine.cpuModel}, ${results.run.machine.cores} cores, node ${results.run.node}. Commit ${results.run.git.commit ?? 'unknown'}${results.run.git.dirty ? ' (with local changes)' : ''}, ${results.run.startedAt}.`)}</p>`,
  );

  if (list.some((s) => s.loadGeneratorSaturated)) {
    sections.push(
      '<p><strong>Warning:</strong> in scenarios marked "load generator saturated" the emulated tracers\' event loop lagged (p99 &gt; 200 ms): client timeouts fired late or spuriously, so those figures describe the load generator as much as the agent. Use fewer tracers, a longer ramp or more cores.</p>',
    );
  }
  sections.push(
    '<h2>Summary</h2>',
    htmlTable(
      [
        'scenario',
        'FFE delivered',
        'FFE p50',
        'FFE p90',
        'FFE p99',
        'FFE max',
        'all delivered',
        'all p50',
        'all p99',
        'backend refreshes',
        'lock hold p99',
        'agent CPU',
        'agent RSS peak',
        'load generator CPU',
        'load event-loop delay max',
        'agent event-loop lag max',
        'client requests',
        'client timeouts',
        'stopped by',
      ],
      summaryRows(list),
    ),
  );

  if (results.comparisons.length > 0) {
    sections.push(
      '<h2>Against the legacy baseline</h2>',
      htmlTable(
        ['baseline', 'scenario', 'FFE p50 speed-up', 'FFE p99 speed-up'],
        results.comparisons.map((cmp) => [
          cmp.baseline,
          cmp.candidate,
          cmp.ffeP50Speedup === null ? null : `${cmp.ffeP50Speedup}×`,
          cmp.ffeP99Speedup === null ? null : `${cmp.ffeP99Speedup}×`,
        ]),
      ),
      '<p>A dash: a percentile fell on undelivered tracers, so no finite ratio exists.</p>',
    );
  }

  sections.push(
    '<h2>Agent counters during each scenario</h2>',
    htmlTable(
      [
        'scenario',
        'backend refreshes by reason/result',
        'bypass by lane/outcome',
        'ClientGetConfigs by lane/transport/code',
      ],
      list.map((s) => [s.key, entries(s.backend.byReason), entries(s.bypass), entries(s.getConfigs)]),
    ),
  );

  const charts: string[] = [];
  charts.push(
    await renderCdfSvg(
      'FFE_FLAGS delivery, every scenario',
      list.map((s) => ({ name: s.key, valuesMs: s.samples.ffe.deliveredMs, total: s.tracers })),
    ),
  );
  for (const s of list) {
    charts.push(
      await renderCdfSvg(s.key, [
        { name: 'first FFE_FLAGS', valuesMs: s.samples.ffe.deliveredMs, total: s.tracers },
        { name: 'all configs', valuesMs: s.samples.allConfigs.deliveredMs, total: s.tracers },
      ]),
    );
  }
  sections.push(
    '<h2>Delivery CDFs</h2>',
    `<div class="charts">${charts.map((svg) => `<div>${svg}</div>`).join('\n')}</div>`,
  );

  sections.push(
    '<h2>Configuration</h2>',
    `<pre>${escapeHtml(JSON.stringify({ run: results.run, config: c }, null, 2))}</pre>`,
  );
  return htmlPage('rc-agent herd benchmark', sections);
}
