// `bench herd` smoke run, legacy and fast-lane agents, the herd booting the instant the agent is ready; then its
// HTML report in a real headless Chromium at 1,400 px: no label cut, no overflow, every scenario line its own look.
// Chromium is Debian's `chromium` (`.ci/run` installs it); without it the browser check is skipped, saying so.
import t from 'tap';
import { herdHeadline } from '../../bench/herd/index.js';
import { runHerdSmoke } from '../helpers/bench-smoke.js';
import { assertReportPage, checkReportPage, NO_CHROMIUM } from '../helpers/report-page.js';

t.test('bench herd at readiness, legacy against fast lane; the report in Chromium', async (t) => {
  const { results, html, run } = await runHerdSmoke(
    t,
    ['--policies', 'legacy,fastlane', '--timings', 'ready'],
    ['legacy/unchanged/ready', 'legacy/fastlane/ready', 'fastlane/unchanged/ready', 'fastlane/fastlane/ready'],
    // One generator process per round (the changed run splits over two): four rounds stay cheap under load.
    1,
  );
  t.equal(html.match(/<svg /g)?.length, 2, 'current flags and all configs for the timing');
  t.same(
    results.comparisons.map((c) => [c.population, c.timing, c.rounds]),
    [
      ['unchanged', 'ready', 1],
      ['fastlane', 'ready', 1],
    ],
    'fast lane against legacy per population',
  );
  const headline = herdHeadline(results);
  t.match(headline[0], /^Unchanged dd-trace-js tracers booting the instant the agent is ready: /);
  t.ok(run.stdout.startsWith(`${headline[0]}\n`), 'the printed summary leads with the headline');
  t.match(html, /<h2>Headline<\/h2>/);

  t.test('the report page in headless Chromium', { skip: NO_CHROMIUM }, async (t) => {
    const { page, pngPath } = await checkReportPage(html, 'herd-report');
    t.comment(`screenshot: ${pngPath}`);
    // Series are named policy / population; one chart of current flags and one of all configs.
    const series = Object.values(results.scenarios).map((s) => `${s.policy} / ${s.population}`);
    assertReportPage(t, page, [series, series]);
  });
});
