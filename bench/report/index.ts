// Report rendering shared by the benches: SVG charts (vega-lite → vega → SVG in Node) and HTML pages.
export { renderCdfSvg, renderSvg, cdfSpec, cdfPoints, type CdfSeries, type CdfChartOptions } from './cdf-chart.js';
export { escapeHtml, htmlTable, htmlPage, formatMs, formatBytes, type Cell, type HtmlTableOptions } from './html.js';
export { textTable } from './text-table.js';
