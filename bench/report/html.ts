// Minimal HTML building for the reports: escaping, tables and a page shell. Charts come in as SVG strings.
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export type Cell = string | number | null | undefined;

export interface HtmlTableOptions {
  /** A table of figures: no cell wraps except at its own line breaks (a median over its range). */
  readonly figures?: boolean;
}

/** A table; cells are escaped, `null`/`undefined` render as "–". */
export function htmlTable(
  headers: readonly string[],
  rows: ReadonlyArray<readonly Cell[]>,
  opts: HtmlTableOptions = {},
): string {
  const cell = (c: Cell): string => (c === null || c === undefined ? '–' : escapeHtml(String(c)));
  const head = headers.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${cell(c)}</td>`).join('')}</tr>`).join('\n');
  return `<table${opts.figures === true ? ' class="figures"' : ''}>\n<thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody>\n</table>`;
}

export function htmlPage(title: string, sections: readonly string[]): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(title)}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1320px; padding: 0 1em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; font-size: 13px; display: block; max-width: 100%; overflow-x: auto; }
th, td { border: 1px solid #ccc; padding: 3px 6px; text-align: right; max-width: 26em; }
td { white-space: pre-line; overflow-wrap: anywhere; }
table.figures td { white-space: pre; overflow-wrap: normal; }
th { font-weight: 600; vertical-align: bottom; }
.headline { font-size: 1.1em; }
.warning { background: #fff0f0; border: 2px solid #c00; padding: 0.6em 1em; }
th:first-child, td:first-child { text-align: left; }
th { background: #f4f4f4; }
.charts { display: flex; flex-wrap: wrap; gap: 1em; }
pre { background: #f8f8f8; padding: 1em; overflow-x: auto; font-size: 12px; }
</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
${sections.join('\n')}
</body>
</html>
`;
}

/** `1234.5` ms → `1.23 s`; `12.3` → `12.3 ms`; null → undelivered marker. */
export function formatMs(ms: number | null | undefined, undelivered = 'undelivered'): string {
  if (ms === null || ms === undefined) return undelivered;
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  return `${ms.toFixed(1)} ms`;
}

export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return '–';
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}
