// The benchmarks' smoke runs through the real command line (`rc-agent bench …`): real agent children and a backend
// simulator on loopback, tiny sizes. Only the shape of the output is checked, never the speed.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Test } from 'tap';
import type { HerdResults } from '../../bench/herd/index.js';

const BIN = fileURLToPath(new URL('../../bin/rc-agent', import.meta.url));

export interface BenchRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function runBench(args: readonly string[]): Promise<BenchRun> {
  return new Promise((resolve) => {
    const child = spawn(BIN, ['bench', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

export function tempDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'rc-bench-smoke-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Herd options every smoke run shares: 20 tracers over 200 ms, fast polls. */
export const HERD_SMOKE_ARGS = [
  '--tracers',
  '20',
  '--ramp-ms',
  '200',
  '--cap-ms',
  '6000',
  '--backend-rtt-ms',
  '10',
  '--populations',
  'a,c',
  '--poll-interval-ms',
  '1000',
  '--fast-poll-interval-ms',
  '200',
  '--steady-window-ms',
  '1500',
  '--no-pin',
  '--no-progress',
] as const;

/**
 * Runs `bench herd` with the smoke options and `generatorProcs` load-generator processes, and checks every scenario's
 * results; returns them and the report.
 */
export async function runHerdSmoke(
  t: Test,
  args: readonly string[],
  expectedKeys: readonly string[],
  generatorProcs: number,
): Promise<{ results: HerdResults; html: string; run: BenchRun }> {
  const out = tempDir(t);
  const procs = ['--generator-procs', String(generatorProcs)];
  const run = await runBench(['herd', ...HERD_SMOKE_ARGS, ...procs, ...args, '--out', out]);
  t.equal(run.code, 0, 'the bench exits 0', { stderr: run.stderr.slice(-4000) });
  const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as HerdResults;
  t.equal(results.kind, 'herd');
  t.same(Object.keys(results.scenarios).sort(), [...expectedKeys].sort());
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
    t.equal(r.generator?.procs, generatorProcs, `${generatorProcs} generator process(es)`);
    t.equal(r.generator?.stats.length, generatorProcs);
    t.type(r.generator?.valid, 'boolean', 'the generator verdict is recorded');
    t.type(r.generator?.stats[0]?.eventLoopDelay.p99Ms, 'number');
    t.ok(s.timing === 'ready' ? r.startAfterReadyMs < 500 : r.startAfterReadyMs >= 3000, `${s.key}: herd start`);
  }
  t.type(results.run.git, 'object', 'the commit is recorded');
  t.type(results.cpu.description, 'string', 'the core split is recorded');
  t.match(run.stdout, /report: /);
  return { results, html: readFileSync(join(out, 'report.html'), 'utf8'), run };
}
