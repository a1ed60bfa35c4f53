// Smoke run of `rc-agent bench herd --replicas 2 --compare-independent` through the real command line: two agent
// children sharing a Redis the bench spawns (then the same two without it), one backend simulator, a small herd spread
// over both. Checks the shape — fleet backend calls reported, one leader and one follower, every tracer served the
// current flags — never the speed.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import type { HerdResults } from '../../bench/herd/index.js';
import { redisServerAvailable } from '../helpers/redis-server.js';
import { HERD_SMOKE_ARGS, runBench, tempDir } from '../helpers/bench-smoke.js';

const TRACERS = 60;

t.test(
  'bench herd --replicas 2: a Redis fleet and independent replicas, fleet backend calls and modes',
  { skip: redisServerAvailable() ? false : 'redis-server is not installed' },
  async (t) => {
    const out = tempDir(t);
    // The shared smoke options, then this run's (the last value of an option wins).
    const run = await runBench([
      'herd',
      ...HERD_SMOKE_ARGS,
      ...['--replicas', '2', '--compare-independent', '--tracers', String(TRACERS), '--policies', 'fastlane'],
      ...['--populations', 'a', '--timings', 'ready', '--steady-window-ms', '0', '--generator-procs', '1'],
      ...['--out', out],
    ]);
    t.equal(run.code, 0, `bench exits 0\n${run.stderr}`);
    t.match(run.stdout, /fastlane\/unchanged\/ready\/redis: fleet backend calls \d+; replicas /);
    t.match(run.stdout, /Redis fleet vs independent, fastlane\/unchanged\/ready: backend calls \d+ vs \d+/);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as HerdResults;
    t.equal(results.config.replicas, 2);
    t.match(results.cpu.description, /2 agent replicas/);
    for (const fleet of ['redis', 'independent'] as const) {
      const s = results.scenarios[`fastlane/unchanged/ready/${fleet}`];
      t.ok(s, `${fleet} scenario ran`);
      const r = s!.representative;
      t.equal(r.ffe.delivered, TRACERS, `${fleet}: every tracer got the current flags`);
      t.equal(r.client.errors, 0, `${fleet}: no tracer request failed`);
      t.type(r.backend.requests, 'number', `${fleet}: the simulator's count is the fleet's backend calls`);
      t.equal(r.replicas?.length, 2, `${fleet}: per-replica figures`);
      t.ok(r.agent !== null && r.agent.herdCpuSeconds > 0, `${fleet}: agent CPU summed over the replicas`);
      const modes = (r.replicas ?? []).map((x) => x.mode).sort();
      if (fleet === 'redis') t.same(modes, ['follower', 'leader'], 'one leader, one follower');
      else t.same(modes, [null, null], 'no cluster without Redis');
    }
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    t.match(html, /Redis fleet \/ independent replicas/);
    t.match(html, /<svg/);
  },
);
