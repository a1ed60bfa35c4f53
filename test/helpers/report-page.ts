// Checks a bench HTML report in a real headless Chromium at 1,400 px: measured in the page after layout (text as
// rendered, bounding boxes, computed strokes), asserted here.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Test } from 'tap';
import { findChromium, measurePage, screenshot } from './chromium.js';

export const REPORT_VIEWPORT_PX = 1400;

/** Where page screenshots are kept (tap's own folder, not committed). */
export const SCREENSHOT_DIR = new URL('../../.tap/screenshots/', import.meta.url).pathname;

export const CHROMIUM = findChromium();
/** Skip reason for `t.test(name, { skip }, …)` when there is no Chromium. */
export const NO_CHROMIUM: string | false =
  CHROMIUM === undefined ? 'chromium not installed (Debian: apt-get install chromium; .ci/run installs it)' : false;

interface Box {
  readonly left: number;
  readonly right: number;
  readonly top: number;
  readonly bottom: number;
}

interface ChartText extends Box {
  readonly role: string;
  readonly text: string;
}

interface ChartCheck {
  readonly title: string;
  readonly box: Box;
  readonly texts: readonly ChartText[];
  /** One per drawn line: its computed stroke colour and dash pattern. */
  readonly lines: ReadonlyArray<{ readonly stroke: string; readonly dash: string }>;
  /** One per legend entry. */
  readonly symbols: ReadonlyArray<{ readonly stroke: string; readonly dash: string }>;
}

export interface PageCheck {
  readonly innerWidth: number;
  readonly scrollWidth: number;
  readonly scrollHeight: number;
  readonly tables: ReadonlyArray<{
    readonly head: string;
    readonly scrollWidth: number;
    readonly clientWidth: number;
    readonly right: number;
  }>;
  readonly charts: readonly ChartCheck[];
}

// Runs in the page after layout. Plain JavaScript in a string: a TypeScript function's toString() would carry the
// transpiler's helpers, which the page does not have.
const MEASURE = `() => {
  const box = (el) => {
    const r = el.getBoundingClientRect();
    return { left: r.left, right: r.right, top: r.top + window.scrollY, bottom: r.bottom + window.scrollY };
  };
  const stroke = (el) => {
    const style = getComputedStyle(el);
    return { stroke: style.stroke, dash: style.strokeDasharray };
  };
  const roles = ['role-title-text', 'role-axis-title', 'role-axis-label', 'role-legend-label'];
  return {
    innerWidth: window.innerWidth,
    scrollWidth: document.documentElement.scrollWidth,
    scrollHeight: document.documentElement.scrollHeight,
    tables: [...document.querySelectorAll('table')].map((table) => ({
      head: (table.querySelector('th')?.textContent ?? '').trim(),
      scrollWidth: table.scrollWidth,
      clientWidth: table.clientWidth,
      right: table.getBoundingClientRect().right,
    })),
    charts: [...document.querySelectorAll('svg')].map((svg) => ({
      title: svg.querySelector('.role-title-text text')?.textContent ?? '',
      box: box(svg),
      texts: roles.flatMap((role) =>
        [...svg.querySelectorAll('.' + role + ' text')].map((el) => ({ role, text: el.textContent ?? '', ...box(el) })),
      ),
      lines: [...svg.querySelectorAll('.mark-line.role-mark path')].map(stroke),
      symbols: [...svg.querySelectorAll('.role-legend-symbol path')].map(stroke),
    })),
  };
}`;

export async function checkReportPage(html: string, name: string): Promise<{ page: PageCheck; pngPath: string }> {
  if (CHROMIUM === undefined) throw new Error('no chromium');
  const page = await measurePage<PageCheck>(CHROMIUM, html, { width: REPORT_VIEWPORT_PX, height: 1000 }, MEASURE);
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const pngPath = join(SCREENSHOT_DIR, `${name}.png`);
  await screenshot(CHROMIUM, html, { width: REPORT_VIEWPORT_PX, height: page.scrollHeight }, pngPath);
  return { page, pngPath };
}

const inside = (inner: Box, outer: Box, slackPx = 0.5): boolean =>
  inner.left >= outer.left - slackPx &&
  inner.right <= outer.right + slackPx &&
  inner.top >= outer.top - slackPx &&
  inner.bottom <= outer.bottom + slackPx;

const overlap = (a: Box, b: Box): boolean =>
  a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5;

/**
 * The page at 1,400 px: no horizontal overflow, every table fits without its own scroll bar, and per chart every
 * title/axis/legend text whole (as expected, no ellipsis) inside its SVG and the viewport, legend labels apart, and
 * one line per expected series with a stroke colour and dash pair no other line has.
 */
export function assertReportPage(t: Test, page: PageCheck, expectedSeries: ReadonlyArray<readonly string[]>): void {
  t.equal(page.innerWidth, REPORT_VIEWPORT_PX, 'measured at 1,400 px');
  t.ok(page.scrollWidth <= REPORT_VIEWPORT_PX, `no horizontal overflow (scrollWidth ${page.scrollWidth})`);
  for (const table of page.tables) {
    t.ok(
      table.scrollWidth <= table.clientWidth && table.right <= REPORT_VIEWPORT_PX,
      `table "${table.head}" fits (${table.scrollWidth} px of content in ${table.clientWidth} px)`,
    );
  }
  t.equal(page.charts.length, expectedSeries.length, 'one chart per expected series list');
  for (const [i, chart] of page.charts.entries()) {
    const series = expectedSeries[i] ?? [];
    const viewport: Box = { left: 0, right: REPORT_VIEWPORT_PX, top: -Infinity, bottom: Infinity };
    for (const text of chart.texts) {
      t.ok(
        inside(text, chart.box) && inside(text, viewport),
        `${chart.title}: ${text.role} "${text.text}" lies inside its chart and the viewport`,
        { text, chart: chart.box },
      );
      t.notMatch(text.text, /…$/, `${chart.title}: "${text.text}" is not cut`);
    }
    const legend = chart.texts.filter((x) => x.role === 'role-legend-label');
    t.same(
      legend.map((x) => x.text).sort(),
      [...series].sort(),
      `${chart.title}: the legend names every series in full`,
    );
    const clashes = legend.flatMap((a, j) =>
      legend
        .slice(j + 1)
        .filter((b) => overlap(a, b))
        .map((b) => [a.text, b.text]),
    );
    t.same(clashes, [], `${chart.title}: no legend labels overlap`);
    t.equal(chart.lines.length, series.length, `${chart.title}: one line per series`);
    const looks = new Set(chart.lines.map((l) => `${l.stroke} / ${l.dash}`));
    t.equal(looks.size, series.length, `${chart.title}: every line has its own colour and dash`, {
      lines: chart.lines,
    });
    t.same(
      new Set(chart.symbols.map((l) => `${l.stroke} / ${l.dash}`)),
      looks,
      `${chart.title}: each legend entry is drawn like its line`,
    );
  }
}
