// CDF charts as SVG: a vega-lite spec compiled to vega and rendered headless in Node (no browser, no canvas).
import * as vega from 'vega';
import * as vl from 'vega-lite';

export interface CdfSeries {
  readonly name: string;
  /** Delivery times in ms of the tracers that got there (any order). */
  readonly valuesMs: readonly number[];
  /** All tracers, delivered or not: the curve tops out at delivered/total. */
  readonly total: number;
  /** Optional second grouping drawn as the line's dash pattern (e.g. the agent policy). */
  readonly dash?: string;
}

export interface CdfChartOptions {
  readonly width?: number;
  readonly height?: number;
}

/** Points kept per series: enough for a smooth curve, small enough for an inline SVG. */
const MAX_POINTS = 300;
/** Log-scale floor: anything faster than 1 ms plots at 1 ms. */
const MIN_MS = 1;

export interface CdfPoint {
  readonly series: string;
  readonly dash: string;
  readonly seconds: number;
  readonly fraction: number;
}

export function cdfPoints(series: CdfSeries): CdfPoint[] {
  const sorted = [...series.valuesMs].filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0 || series.total === 0) return [];
  const step = Math.max(1, Math.ceil(sorted.length / MAX_POINTS));
  const points: CdfPoint[] = [];
  for (let i = 0; i < sorted.length; i += step) points.push(point(series, sorted, i));
  if ((sorted.length - 1) % step !== 0) points.push(point(series, sorted, sorted.length - 1));
  return points;
}

function point(series: CdfSeries, sorted: readonly number[], i: number): CdfPoint {
  return {
    series: series.name,
    dash: series.dash ?? '',
    seconds: Math.max(MIN_MS, sorted[i]!) / 1000,
    fraction: (i + 1) / series.total,
  };
}

/** Dash patterns for the values of `CdfSeries.dash`, in order of first appearance (solid first). */
const DASHES: readonly (readonly number[])[] = [
  [1, 0],
  [6, 3],
  [2, 2],
  [8, 3, 2, 3],
  [12, 4],
];

/**
 * One legend for colour and dash: both encode the series, the dash scale mapping each series to its group's pattern,
 * so every legend entry shows the line exactly as drawn.
 */
function strokeDashEncoding(series: readonly CdfSeries[]): Record<string, unknown> {
  if (!series.some((s) => s.dash !== undefined)) return {};
  const groups = [...new Set(series.map((s) => s.dash ?? ''))];
  return {
    strokeDash: {
      field: 'series',
      type: 'nominal' as const,
      title: null,
      scale: {
        domain: series.map((s) => s.name),
        range: series.map((s) => DASHES[groups.indexOf(s.dash ?? '') % DASHES.length]),
      },
    },
  };
}

export function cdfSpec(title: string, series: readonly CdfSeries[], opts: CdfChartOptions = {}): vl.TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title,
    width: opts.width ?? 520,
    height: opts.height ?? 260,
    data: { values: series.flatMap(cdfPoints) },
    mark: { type: 'line', interpolate: 'step-after', point: false },
    encoding: {
      x: {
        field: 'seconds',
        type: 'quantitative',
        scale: { type: 'log' },
        title: 'seconds from tracer boot (log scale)',
      },
      y: { field: 'fraction', type: 'quantitative', scale: { domain: [0, 1] }, title: 'fraction of tracers delivered' },
      color: {
        field: 'series',
        type: 'nominal',
        title: null,
        scale: { domain: series.map((s) => s.name), scheme: 'tableau10' },
      },
      ...strokeDashEncoding(series),
    },
    // Full legend labels (vega cuts them at 160 px by default), below the plot so they never squeeze it.
    config: { legend: { labelLimit: 0, orient: 'bottom', columns: 2, symbolStrokeWidth: 3 } },
  };
}

export async function renderCdfSvg(
  title: string,
  series: readonly CdfSeries[],
  opts: CdfChartOptions = {},
): Promise<string> {
  return renderSvg(cdfSpec(title, series, opts));
}

export async function renderSvg(spec: vl.TopLevelSpec): Promise<string> {
  const compiled = vl.compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
