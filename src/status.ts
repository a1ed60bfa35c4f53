// `rc-agent status`: reads GET /status of a running agent and prints it the way `datadog-agent remote-config` does.
import { request } from 'undici';
import type { StatusReport } from './service/index.js';

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
  return `${lines.join('\n')}\n`;
}
