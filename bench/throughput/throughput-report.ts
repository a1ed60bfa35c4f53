// The throughput report: req/s and latency of the agent against the static route with the same bytes, the ratio,
// gRPC, and (with --cpu-prof) where the agent's CPU went.
import { escapeHtml, htmlPage, htmlTable, renderSvg, textTable } from '../report/index.js';
import type { ProfileSummary } from './cpu-profile-summary.js';
import type { LoadResult } from './throughput-protocol.js';
import { VARIANTS, type ThroughputResults, type Variant } from './throughput-types.js';

function loadRow(name: string, r: LoadResult, extra: Array<string | number | null> = []) {
  return [
    name,
    Math.round(r.requestsPerS),
    r.latencyMs.p50,
    r.latencyMs.p90,
    r.latencyMs.p99,
    r.latencyMs.max,
    r.errors,
    r.transportErrors,
    ...extra,
  ];
}

const LOAD_HEADERS = [
  'target',
  'req/s',
  'p50 ms',
  'p90 ms',
  'p99 ms',
  'max ms',
  'non-2xx / failed',
  'transport errors',
];

const EXTRA_HEADERS = ['server CPU cores', 'CPU µs/reply', 'ratio (req/s)', 'ratio (CPU/reply)'];

function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  return a === null || a === undefined || b === null || b === undefined || b === 0
    ? null
    : Math.round((a / b) * 100) / 100;
}

/** gRPC against HTTP for the same variant: by req/s, and by CPU per reply (HTTP µs ÷ gRPC µs). */
export function grpcRatios(results: ThroughputResults, v: Variant): { rps: number | null; cpu: number | null } {
  const g = results.grpc?.[v];
  const h = results.http[v].agent;
  if (g === undefined) return { rps: null, cpu: null };
  return { rps: ratio(g.requestsPerS, h.requestsPerS), cpu: ratio(h.cpuUsPerReply, g.cpuUsPerReply) };
}

function rows(results: ThroughputResults) {
  const out: Array<Array<string | number | null>> = [];
  for (const v of VARIANTS) {
    const h = results.http[v];
    out.push(
      loadRow(`rc-agent http ${v} (${h.replyBytes} B)`, h.agent, [
        h.agent.agentCpuCores,
        h.agent.cpuUsPerReply,
        `${h.ratio}`,
        h.cpu.ratio,
      ]),
    );
    out.push(loadRow(`static route http ${v}`, h.static, [h.static.agentCpuCores, h.static.cpuUsPerReply, null, null]));
  }
  if (results.grpc !== null) {
    for (const v of VARIANTS) {
      const g = grpcRatios(results, v);
      out.push(
        loadRow(`rc-agent grpc ${v} (÷ http)`, results.grpc[v], [
          results.grpc[v].agentCpuCores,
          results.grpc[v].cpuUsPerReply,
          g.rps,
          g.cpu,
        ]),
      );
      const floor = results.grpcStatic?.[v];
      if (floor !== undefined) {
        const h = results.http[v].agent;
        out.push(
          loadRow(`static grpc-js ${v} (÷ http)`, floor, [
            floor.agentCpuCores,
            floor.cpuUsPerReply,
            ratio(floor.requestsPerS, h.requestsPerS),
            ratio(h.cpuUsPerReply, floor.cpuUsPerReply),
          ]),
        );
      }
    }
  }
  return out;
}

export function throughputSummaryTable(results: ThroughputResults): string {
  return textTable([...LOAD_HEADERS, ...EXTRA_HEADERS], rows(results));
}

export async function renderThroughputReport(results: ThroughputResults): Promise<string> {
  const c = results.config;
  const sections: string[] = [
    `<p>${escapeHtml(
      `${c.clients} distinct active clients, ${c.connections} HTTP connections (autocannon), ${c.grpcConcurrency} concurrent gRPC calls, ` +
        `${c.warmupS} s warm-up + ${c.durationS} s per measurement; agent policy ${c.policy}.`,
    )}</p>`,
    `<p>${escapeHtml(`CPU: ${results.cpu.description}. Machine: ${results.run.machine.cpuModel}, ${results.run.machine.cores} cores, node ${results.run.node}. Commit ${results.run.git.commit ?? 'unknown'}${results.run.git.dirty ? ' (with local changes)' : ''}, ${results.run.startedAt}.`)}</p>`,
    '<h2>Results</h2>',
    htmlTable([...LOAD_HEADERS, ...EXTRA_HEADERS], rows(results)),
    '<p>steady: up-to-date clients, the agent answers <code>{}</code>; full: the same clients with no cached files, the agent answers every file. Ratio (req/s) = rc-agent req/s ÷ static route req/s (goal ≥ 0.7; gRPC rows: gRPC ÷ rc-agent HTTP, goal ≥ 0.5; the static grpc-js rows are the limit of gRPC itself: a grpc-js server with the TLS certificate, server options and token check of the agent, answering its reply bytes without decoding the request). Ratio (CPU/reply) = static route CPU µs per reply ÷ rc-agent CPU µs per reply (gRPC rows: HTTP ÷ gRPC): the figure other load on a shared machine does not skew, and the one that says what the agent would do with the core to itself.</p>',
  ];
  sections.push(
    '<h3>Every round (req/s)</h3>',
    htmlTable(
      ['variant', 'rc-agent', 'static route', 'agent CPU cores'],
      VARIANTS.map((v) => {
        const r = results.http[v].rounds;
        return [
          v,
          r.agent.map((x) => Math.round(x.requestsPerS)).join(', '),
          r.static.map((x) => Math.round(x.requestsPerS)).join(', '),
          r.agent.map((x) => x.agentCpuCores ?? '–').join(', '),
        ];
      }),
    ),
  );
  const bars = VARIANTS.flatMap((v) => [
    { variant: v, target: 'rc-agent', rps: Math.round(results.http[v].agent.requestsPerS) },
    { variant: v, target: 'static route', rps: Math.round(results.http[v].static.requestsPerS) },
  ]);
  const svg = await renderSvg({
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: '/v0.7/config requests per second',
    width: 360,
    height: 200,
    data: { values: bars },
    mark: 'bar',
    encoding: {
      x: { field: 'variant', type: 'nominal', title: null },
      xOffset: { field: 'target' },
      y: { field: 'rps', type: 'quantitative', title: 'req/s' },
      color: { field: 'target', type: 'nominal', title: null },
    },
  });
  sections.push(`<div class="charts"><div>${svg}</div></div>`);
  if (results.profile !== null) sections.push(...profileSection(results.profile, results.cpuProfile));
  sections.push(
    '<h2>Configuration</h2>',
    `<pre>${escapeHtml(JSON.stringify({ run: results.run, config: c }, null, 2))}</pre>`,
  );
  return htmlPage('rc-agent throughput benchmark', sections);
}

/** A report's "Agent CPU profile" section: busy time, self time by area and the top functions. */
export function profileSection(profile: ProfileSummary, path: string | null): string[] {
  return [
    `<h2>Agent CPU profile</h2><p>${escapeHtml(`${profile.busyMs} ms busy (idle excluded), ${profile.ownCode.percent} % of it in the agent's own code (src/); profile: ${path ?? ''}`)}</p>`,
    htmlTable(
      ['area', 'self ms', '%'],
      profile.byArea.map((e) => [e.name, e.selfMs, e.percent]),
    ),
    htmlTable(
      ['function', 'self ms', '%'],
      profile.topFunctions.map((e) => [e.name, e.selfMs, e.percent]),
    ),
  ];
}
