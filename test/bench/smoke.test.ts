// Smoke runs of both benchmarks with tiny parameters, through the real command line (`rc-agent bench …`): they
// start real agent children and a backend simulator on loopback, and must write results.json and an HTML report
// with SVG charts. Only the shape of the output is checked, never the speed.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { runBench } from '../helpers/run-bench.js';
import type { HerdResults } from '../../bench/herd/index.js';

function tempDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'rc-bench-smoke-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

t.test(
  'bench herd: populations × timings, current-flags delivery, generator validity, agent CPU per tracer',
  async (t) => {
    const out = tempDir(t);
    const run = await runBench([
      'herd',
      '--tracers',
      '20',
      '--ramp-ms',
      '200',
      '--cap-ms',
      '6000',
      '--backend-rtt-ms',
      '10',
      '--policies',
      'fastlane',
      '--populations',
      'a,c',
      '--timings',
      'ready,changed',
      '--poll-interval-ms',
      '1000',
      '--fast-poll-interval-ms',
      '200',
      '--steady-delay-ms',
      '3000',
      '--steady-window-ms',
      '1500',
      '--generator-procs',
      '2',
      '--no-pin',
      '--no-progress',
      '--out',
      out,
    ]);
    t.equal(run.code, 0, 'the bench exits 0', { stderr: run.stderr.slice(-4000) });
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as HerdResults;
    t.equal(results.kind, 'herd');
    t.same(Object.keys(results.scenarios).sort(), [
      'fastlane/fastlane/changed',
      'fastlane/fastlane/ready',
      'fastlane/unchanged/changed',
      'fastlane/unchanged/ready',
    ]);
    for (const s of Object.values(results.scenarios)) {
      const r = s.representative;
      t.equal(s.tracers, 20);
      t.equal(r.ffe.count, 20, `${s.key}: one FFE time (or undelivered) per tracer`);
      t.equal(r.ffe.delivered, 20, `${s.key}: every tracer got the current flags`);
      t.equal(r.stoppedBy, 'all-delivered', `${s.key}: everyone got everything`);
      t.type(r.backend.requests, 'number');
      t.ok(r.agent !== null && r.agent.rssPeakBytes > 0, 'agent RSS sampled');
      t.type(r.agent?.cpuSecondsPer1kNewTracers, 'number', 'agent CPU per 1k new tracers');
      t.ok(r.agent?.steady !== null && r.agent!.steady.polls > 0, 'steady polls counted');
      t.equal(r.generator?.procs, 2, 'two generator processes');
      t.equal(r.generator?.stats.length, 2);
      t.type(r.generator?.valid, 'boolean', 'the generator verdict is recorded');
      t.type(r.generator?.stats[0]?.eventLoopDelay.p99Ms, 'number');
      t.ok(s.timing === 'ready' ? r.startAfterReadyMs < 500 : r.startAfterReadyMs >= 3000, `${s.key}: herd start`);
    }
    t.type(results.run.git, 'object', 'the commit is recorded');
    t.type(results.cpu.description, 'string', 'the core split is recorded');
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    t.equal(html.match(/<svg /g)?.length, 4, 'current flags and all configs per timing');
    t.match(run.stdout, /report: /);
    t.match(run.stdout, /fastlane\/unchanged\/changed/);
  },
);

t.test('bench throughput: rc-agent vs the static route, and gRPC', async (t) => {
  const out = tempDir(t);
  const run = await runBench([
    'throughput',
    '--clients',
    '10',
    '--connections',
    '2',
    '--duration-s',
    '1',
    '--warmup-s',
    '0',
    '--grpc-concurrency',
    '2',
    '--no-pin',
    '--no-progress',
    '--out',
    out,
  ]);
  t.equal(run.code, 0, 'the bench exits 0', { stderr: run.stderr.slice(-4000) });
  const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
  t.equal(results.kind, 'throughput');
  for (const variant of ['steady', 'full']) {
    const v = results.http[variant];
    t.ok(v.agent.requestsPerS > 0, `${variant}: the agent answered`);
    t.ok(v.static.requestsPerS > 0, `${variant}: the static route answered`);
    t.equal(v.agent.errors, 0, `${variant}: no non-2xx from the agent`);
    t.type(v.ratio, 'number');
    // CPU per reply of both servers (null only if /proc could not be read)
    t.ok(v.cpu.agentUsPerReply === null || v.cpu.agentUsPerReply > 0, `${variant}: agent CPU per reply`);
    t.ok(v.cpu.staticUsPerReply === null || v.cpu.staticUsPerReply > 0, `${variant}: static CPU per reply`);
    t.ok(results.grpc[variant].requestsPerS > 0, `${variant}: gRPC answered`);
  }
  t.equal(results.http.steady.replyBytes, 2, 'steady-state clients get {}');
  t.match(readFileSync(join(out, 'report.html'), 'utf8'), /<svg /);
});
