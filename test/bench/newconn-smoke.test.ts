// Smoke run of `rc-agent bench newconn` with tiny parameters, through the real command line: a real agent child, the
// two reference servers and the herd generator on loopback. Only the shape of the output is checked, never the speed.
// A file of its own: the other bench smoke runs already use most of a file's time budget on a busy machine.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { runBench } from '../helpers/bench-smoke.js';
import type { NewconnResults } from '../../bench/newconn/index.js';

t.test('bench newconn: CPU per new tracer for the bare node floor, fastify and rc-agent', async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'rc-bench-smoke-'));
  t.teardown(() => rmSync(out, { recursive: true, force: true }));
  const run = await runBench([
    'newconn',
    '--tracers',
    '20',
    '--ramp-ms',
    '100',
    '--rounds',
    '1',
    '--cap-ms',
    '5000',
    '--no-pin',
    '--no-progress',
    '--cpu-prof',
    '--out',
    out,
  ]);
  t.equal(run.code, 0, 'the bench exits 0', { stderr: run.stderr.slice(-4000) });
  const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as NewconnResults;
  t.equal(results.kind, 'newconn');
  t.same(
    results.rounds.map((r) => r.target),
    ['node', 'fastify', 'agent'],
  );
  for (const r of results.rounds) {
    t.equal(r.delivered, 20, `${r.target}: every tracer got every config (the captured reply is the agent's)`);
    t.ok(r.cpuSeconds >= 0, `${r.target}: CPU read`);
  }
  t.equal(results.targets.node.timesFloor, results.targets.node.cpuMsPerNewTracer > 0 ? 1 : 0);
  t.ok(results.config.replyBytes > 2, 'a full first-poll reply');
  t.match(readFileSync(join(out, 'report.html'), 'utf8'), /<svg /);
  t.match(run.stdout, /the bare Node floor is/);
  // --cpu-prof: the agent's profile, summarized in the results, the report and the summary line
  t.equal(results.cpuProfile, join(out, 'agent.cpuprofile'), 'the profile lands in the results directory');
  t.ok((results.profile?.busyMs ?? 0) > 0, 'busy time summarized');
  // with 20 tracers the agent's own folders rank near the 15th area, so their sum is what is checked
  t.ok((results.profile?.ownCode.selfMs ?? 0) > 0, "the agent's own code summed across its folders");
  t.match(readFileSync(join(out, 'report.html'), 'utf8'), /Agent CPU profile/);
  t.match(run.stdout, /agent profile \(\d+(\.\d+)? ms busy/);
});
