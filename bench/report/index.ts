// Report rendering shared by the benches: SVG charts (vega-lite → vega → SVG in Node) and HTML pages.
export { renderCdfSvg, renderSvg, cdfPoints } from './cdf-chart.js';
export { escapeHtml, htmlTable, htmlPage, formatMs, formatBytes } from './html.js';
export { textTable } from './text-table.js';
