// `rc-agent status`: reads GET /status of a running agent and prints it the way `datadog-agent remote-config` does.
import { request } from 'undici';
import type { StatusReport as ServiceStatusReport } from './service/index.js';
import type { ConfigStreamStatus } from './configstream/index.js';

/** GET /status: the service's report, plus the config stream section when it runs. */
export type StatusReport = ServiceStatusReport & { readonly configStream?: ConfigStreamStatus };

export async function fetchStatus(baseUrl: string): Promise<StatusReport> {
  const url = new URL('/status', baseUrl);
  let res;
  try {
    res = await request(url, { headersTimeout: 5000, bodyTimeout: 5000 });
  } catch (cause) {
    throw new Error(`cannot reach the agent at ${url.origin}: ${(cause as Error).message}`, { cause });
  }
  const body = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`GET ${url.href} answered ${res.statusCode}: ${body.trim()}`);
  return JSON.parse(body) as StatusReport;
}

/** How many of the most recent new-client answers `rc-agent status` explains. */
const RECENT_ANSWERS = 10;

export function formatStatus(s: StatusReport): string {
  const lines: string[] = [];
  const v = s.versions;
  lines.push('=== Remote Configuration ===');
  lines.push(`Enabled:        ${s.enabled}   Policy: ${s.policy}   Ready: ${s.ready}`);
  lines.push(`Backend:        ${s.backend}`);
  if (s.orgUuid) lines.push(`Org UUID:       ${s.orgUuid}`);
  if (s.orgStatus) lines.push(`Org status:     enabled ${s.orgStatus.enabled}, authorized ${s.orgStatus.authorized}`);
  lines.push(`Director repo:  root v${v.directorRoot}, targets v${v.directorTargets}`);
  lines.push(`Config repo:    root v${v.configRoot}, snapshot v${v.configSnapshot}`);
  lines.push(`Refresh:        every ${s.refreshIntervalMs / 1000} s; last update ${s.lastUpdate ?? 'never'}`);
  lines.push(`Last error:     ${s.lastError ?? 'none'}`);
  if (s.cluster) {
    const c = s.cluster;
    lines.push(
      `Cluster:        ${c.name}: ${c.mode}${c.reason ? ` (${c.reason})` : ''}; replica ${c.replicaId}; rounds published ${c.roundsPublished}, used ${c.roundsUsed}, rejected ${c.roundsRejected}; own fetches ${c.fallbackFetches}`,
    );
  }
  lines.push(
    `Fetching:       ${s.fetchedProducts.join(', ') || 'no product yet'}${s.freshAsOf ? ` (backend state as of ${s.freshAsOf})` : ''}`,
  );
  lines.push('');
  lines.push(`Configs (${s.configs.length}):`);
  if (s.configs.length === 0) {
    lines.push(
      '  none fetched yet: a product is fetched once a client asks for it (see the curl example in the README)',
    );
  }
  for (const c of s.configs) {
    lines.push(
      `  ${c.path}  v${c.version}  ${c.length} B${c.expires ? `  expires ${new Date(c.expires * 1000).toISOString()}` : ''}`,
    );
  }
  for (const w of s.sourceWarnings ?? []) lines.push(`  skipped: ${w}`);
  lines.push('');
  const byProduct = Object.entries(s.activeClientsByProduct).sort(([a], [b]) => a.localeCompare(b));
  lines.push(`Active clients: ${s.activeClients.length}`);
  for (const [product, n] of byProduct) lines.push(`  ${product}: ${n}`);
  lines.push('');
  const answered = s.activeClients.filter((c) => c.lastBypass).slice(-RECENT_ANSWERS);
  if (answered.length > 0) {
    lines.push(`Why new clients waited (last ${answered.length}):`);
    for (const c of answered) {
      const b = c.lastBypass!;
      lines.push(`  ${c.id}  [${c.products.join(',')}]  ${b.outcome} after ${b.waitedMs} ms  at ${b.at}`);
    }
    lines.push('');
  }
  lines.push('Cache bypasses (lane: outcome=count):');
  for (const [lane, outcomes] of Object.entries(s.bypass)) {
    lines.push(
      `  ${lane}: ${Object.entries(outcomes)
        .map(([k, n]) => `${k}=${n}`)
        .join(' ')}`,
    );
  }
  lines.push(
    `Backend refreshes: ${
      Object.entries(s.refreshes)
        .map(([k, n]) => `${k}=${n}`)
        .join(' ') || 'none'
    }`,
  );
  if (s.configStream) lines.push('', ...formatConfigStream(s.configStream));
  return `${lines.join('\n')}\n`;
}

function formatConfigStream(c: ConfigStreamStatus): string[] {
  const lines = ['=== Config stream ==='];
  lines.push(`Sequence ID:    ${c.sequenceId}   Origin: ${c.origin}`);
  if (c.remoteLogLevel) lines.push(`Remote log_level: ${c.remoteLogLevel} (AGENT_CONFIG)`);
  if (c.lastReloadError) lines.push(`Last reload error: ${c.lastReloadError}`);
  lines.push(`Registered remote agents: ${c.remoteAgents.length}`);
  for (const a of c.remoteAgents) {
    lines.push(`  ${a.displayName} (${a.flavor}, pid ${a.pid})  session ${a.sessionId}  last seen ${a.lastSeen}`);
  }
  lines.push(`Stream subscribers: ${c.subscribers.length}`);
  for (const s of c.subscribers) {
    lines.push(`  ${s.name}: snapshots=${s.snapshots} updates=${s.updates} resyncs=${s.resyncs}`);
  }
  if (c.pendingRestart.length > 0) {
    lines.push('Changed settings waiting for a restart:');
    for (const p of c.pendingRestart) {
      lines.push(
        `  ${p.key}: running ${JSON.stringify(p.running)}, configured ${JSON.stringify(p.configured)} [${p.source}]`,
      );
    }
  }
  return lines;
}
