// `bench herd` smoke run, fast lane only, the herd booting right after the backend changed the flags: a warm-up
// client, the change, current-flags delivery, the herd split over two generator processes and their validity, agent
// CPU per tracer.
import t from 'tap';
import { runHerdSmoke } from '../helpers/bench-smoke.js';

t.test('bench herd: populations after a flags change, current-flags delivery, agent CPU per tracer', async (t) => {
  const { html, run } = await runHerdSmoke(
    t,
    ['--policies', 'fastlane', '--timings', 'changed', '--steady-delay-ms', '3000'],
    ['fastlane/fastlane/changed', 'fastlane/unchanged/changed'],
    2,
  );
  t.equal(html.match(/<svg /g)?.length, 2, 'current flags and all configs for the timing');
  t.match(run.stdout, /fastlane\/unchanged\/changed/);
});
