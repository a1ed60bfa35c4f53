// CDF charts: the points (fraction over all tracers, log-scale floor, bounded size) and a real SVG from vega.
import t from 'tap';
import { cdfPoints, escapeHtml, htmlTable, renderCdfSvg } from '../../../bench/report/index.js';

t.test('points: fraction of all tracers, undelivered ones keep the curve below 1', async (t) => {
  const points = cdfPoints({ name: 'x', valuesMs: [300, 100, 200, Infinity], total: 4 });
  t.same(
    points.map((p) => [p.seconds, p.fraction]),
    [
      [0.1, 0.25],
      [0.2, 0.5],
      [0.3, 0.75],
    ],
  );
  t.equal(cdfPoints({ name: 'x', valuesMs: [0], total: 1 })[0]?.seconds, 0.001, 'floored at 1 ms for the log scale');
  t.same(cdfPoints({ name: 'x', valuesMs: [], total: 3 }), []);
});

t.test('points are bounded and keep the last one', async (t) => {
  const values = Array.from({ length: 10_000 }, (_v, i) => i + 1);
  const points = cdfPoints({ name: 'x', valuesMs: values, total: 10_000 });
  t.ok(points.length <= 302, `${points.length} points`);
  t.equal(points.at(-1)?.fraction, 1);
});

t.test('renders an SVG in Node', async (t) => {
  const svg = await renderCdfSvg('FFE <delivery>', [
    { name: 'fast', valuesMs: [10, 20, 30], total: 3 },
    { name: 'legacy', valuesMs: [5000, 7000], total: 3 },
  ]);
  t.match(svg, /^<svg /);
  t.match(svg, /FFE &lt;delivery&gt;/);
  t.match(svg, /<path/);
});

t.test('html helpers escape', async (t) => {
  t.equal(escapeHtml(`<a href="x">&'`), '&#60;a href=&#34;x&#34;&#62;&#38;&#39;');
  t.match(htmlTable(['a'], [['<b>'], [null]]), /<td>&#60;b&#62;<\/td>[\s\S]*<td>–<\/td>/);
});
