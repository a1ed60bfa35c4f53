// The newconn report: server CPU per new tracer for rc-agent against the bare Node floor and a fastify route.
import { escapeHtml, htmlPage, htmlTable, renderSvg, textTable } from '../report/index.js';
import { profileSection } from '../throughput/index.js';
import { NEWCONN_TARGETS, TARGET_DESCRIPTIONS, type NewconnResults } from './newconn-types.js';

const HEADERS = [
  'target',
  'CPU ms / new tracer',
  '× floor',
  'CPU ms / request',
  '× floor (per request)',
  'valid run',
  'rounds (ms / new tracer)',
];

function rows(results: NewconnResults): Array<Array<string | number>> {
  return NEWCONN_TARGETS.map((t) => {
    const r = results.targets[t];
    const per = results.rounds.filter((x) => x.target === t).map((x) => x.cpuMsPerNewTracer);
    return [
      t,
      r.cpuMsPerNewTracer,
      r.timesFloor,
      r.cpuMsPerRequest,
      r.timesFloorPerRequest,
      r.valid ? 'yes' : 'NO',
      per.join(', '),
    ];
  });
}

export function newconnSummaryText(results: NewconnResults): string {
  const a = results.targets.agent.cpuMsPerNewTracer;
  return (
    `${textTable(HEADERS, rows(results))}\n` +
    `the bare Node floor is ${Math.round(results.platformShare * 100)} % of rc-agent's ${a} ms per new tracer` +
    ` (${Math.round(results.platformSharePerRequest * 100)} % per request)` +
    ` (${results.config.tracers} tracers over ${results.config.rampMs} ms, reply ${results.config.replyBytes} B)\n` +
    profileText(results)
  );
}

/** The agent profile's top areas, one line (the report has the tables). */
function profileText(results: NewconnResults): string {
  const p = results.profile;
  if (p === null) return '';
  const areas = p.byArea.slice(0, 8).map((e) => `${e.name} ${e.percent}%`);
  return `agent profile (${p.busyMs} ms busy, whole run): ${areas.join(', ')}; the agent's own code ${p.ownCode.percent}%\n`;
}

export async function renderNewconnReport(results: NewconnResults): Promise<string> {
  const c = results.config;
  const svg = await renderSvg({
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: 'server CPU per new tracer (connection + first poll)',
    width: 360,
    height: 180,
    data: { values: NEWCONN_TARGETS.map((t) => ({ target: t, ms: results.targets[t].cpuMsPerNewTracer })) },
    mark: 'bar',
    encoding: {
      x: { field: 'target', type: 'nominal', title: null, sort: [...NEWCONN_TARGETS] },
      y: { field: 'ms', type: 'quantitative', title: 'CPU ms' },
    },
  });
  return htmlPage('rc-agent new-connection cost', [
    `<p>${escapeHtml(
      `${c.tracers} new dd-trace-js tracers booted over ${c.rampMs} ms by the herd's raw-socket generator, one connection ` +
        `each; per target the server's CPU (from /proc) from the first boot until every tracer held all its configs, ÷ tracers ` +
        `(and ÷ requests: a request the generator timed out is retried on a new connection, as dd-trace-js does). ` +
        `Reply: ${c.replyBytes} bytes. ${c.rounds} alternating round(s), the cheapest valid one counts.`,
    )}</p>`,
    `<p>${escapeHtml(`CPU: ${results.cpu.description}. Machine: ${results.run.machine.cpuModel}, ${results.run.machine.cores} cores, node ${results.run.node}. Commit ${results.run.git.commit ?? 'unknown'}${results.run.git.dirty ? ' (with local changes)' : ''}, ${results.run.startedAt}.`)}</p>`,
    htmlTable(HEADERS, rows(results)),
    htmlTable(
      ['target', 'what'],
      NEWCONN_TARGETS.map((t) => [t, TARGET_DESCRIPTIONS[t]]),
    ),
    `<p>${escapeHtml(`The floor (bare node:http) is ${Math.round(results.platformShare * 100)} % of rc-agent's cost per new tracer: that part is the platform (TCP accept, HTTP parse, socket set-up and teardown), not the agent.`)}</p>`,
    `<div class="charts"><div>${svg}</div></div>`,
    '<h2>Rounds</h2>',
    htmlTable(
      [
        'target',
        'round',
        'CPU s',
        'ms / new tracer',
        'ms / request',
        'requests',
        'delivered',
        'timeouts',
        'errors',
        'generator',
      ],
      results.rounds.map((r) => [
        r.target,
        r.round,
        r.cpuSeconds,
        r.cpuMsPerNewTracer,
        r.cpuMsPerRequest,
        r.requests,
        r.delivered,
        r.timeouts,
        r.errors,
        r.generator.valid ? 'valid' : `INVALID: ${r.generator.invalidReasons.join('; ')}`,
      ]),
    ),
    ...(results.profile === null ? [] : profileSection(results.profile, results.cpuProfile)),
    '<h2>Configuration</h2>',
    `<pre>${escapeHtml(JSON.stringify({ run: results.run, config: c }, null, 2))}</pre>`,
  ]);
}
