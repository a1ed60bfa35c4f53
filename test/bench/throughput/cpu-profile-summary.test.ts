// Where the agent's CPU went: self time per function and per area, idle excluded.
import t from 'tap';
import { areaOf, summarizeCpuProfile, withoutCache } from '../../../bench/throughput/index.js';

t.test('areas', async (t) => {
  t.equal(areaOf('file:///w/node_modules/fastify/lib/route.js', 'x'), 'fastify');
  t.equal(areaOf('file:///w/node_modules/@grpc/grpc-js/build/src/server.js', 'x'), '@grpc/grpc-js');
  t.equal(areaOf('file:///w/src/http/encode-response.ts', 'x'), 'src/http');
  t.equal(areaOf('file:///w/dist/service/rc-service.js', 'x'), 'src/service', 'the built agent: dist/ mirrors src/');
  t.equal(areaOf('node:internal/streams/readable', 'x'), 'node:internal');
  t.equal(areaOf('', '(garbage collector)'), '(garbage collector)');
  t.equal(areaOf('', 'writev'), '(native)');
});

t.test('self time by function and area', async (t) => {
  const frame = (functionName: string, url: string) => ({ functionName, url, lineNumber: 0 });
  const summary = summarizeCpuProfile({
    nodes: [
      { id: 1, callFrame: frame('(root)', '') },
      { id: 2, callFrame: frame('(idle)', '') },
      { id: 3, callFrame: frame('encode', 'file:///w/src/http/encode-response.ts') },
      { id: 4, callFrame: frame('route', 'file:///w/node_modules/fastify/lib/route.js') },
    ],
    samples: [2, 3, 3, 4, 2],
    timeDeltas: [5000, 3000, 3000, 2000, 9000],
  });
  t.equal(summary.busyMs, 8);
  t.same(
    summary.byArea.map((e) => [e.name, e.selfMs, e.percent]),
    [
      ['src/http', 6, 75],
      ['fastify', 2, 25],
    ],
  );
  t.equal(summary.topFunctions[0]?.name, 'encode src/http/encode-response.ts:1');
  t.same(summary.ownCode, { name: 'src/ (all folders)', selfMs: 6, percent: 75 });
});

t.test("the agent's own code is summed across its folders even when none ranks among the top areas", async (t) => {
  const frame = (functionName: string, url: string) => ({ functionName, url, lineNumber: 0 });
  const summary = summarizeCpuProfile(
    {
      nodes: [
        { id: 1, callFrame: frame('route', 'file:///w/node_modules/fastify/lib/route.js') },
        { id: 2, callFrame: frame('encode', 'file:///w/dist/http/encode-response.js') },
        { id: 3, callFrame: frame('verify', 'file:///w/src/uptane/verify-update.ts') },
      ],
      samples: [1, 2, 3],
      timeDeltas: [6000, 1000, 1000],
    },
    1,
  );
  t.same(
    summary.byArea.map((e) => e.name),
    ['fastify'],
  );
  t.same(summary.ownCode, { name: 'src/ (all folders)', selfMs: 2, percent: 25 });
});

t.test('withoutCache empties the client cache, keeps its identity', async (t) => {
  const steady = JSON.stringify({
    client: {
      id: 'c1',
      state: { root_version: 1, targets_version: 42, config_states: [{ id: 'x' }], backend_client_state: 'abc' },
    },
    cached_target_files: [{ path: 'p' }],
  });
  const full = JSON.parse(withoutCache(steady));
  t.equal(full.client.id, 'c1');
  t.equal(full.client.state.targets_version, 0);
  t.same(full.client.state.config_states, []);
  t.same(full.cached_target_files, []);
});
