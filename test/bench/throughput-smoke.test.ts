// `bench throughput` smoke run through the real command line: rc-agent against the static route with the same
// bytes, and gRPC. Only the shape of the output is checked, never the speed.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { runBench, tempDir } from '../helpers/bench-smoke.js';

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
    '--rounds',
    '1',
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
    t.ok(results.grpcStatic[variant].requestsPerS > 0, `${variant}: the static gRPC server answered`);
    t.equal(results.grpcStatic[variant].errors, 0, `${variant}: every static gRPC call OK (token accepted)`);
  }
  t.match(readFileSync(join(out, 'results.json'), 'utf8'), /"grpcStatic"/);
  t.equal(results.http.steady.replyBytes, 2, 'steady-state clients get {}');
  t.match(readFileSync(join(out, 'report.html'), 'utf8'), /<svg /);
});
