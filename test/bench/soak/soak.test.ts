// The soak's pieces without a long run: options, growth, the chart spec, the open-loop generator's pacing against a
// real loopback server (counts only, never speed), and a seconds-long run of `rc-agent bench soak` itself.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import {
  growthPercent,
  soakChartSpec,
  startSoakLoad,
  validateSoakOptions,
  type SoakOptions,
  type SoakResults,
} from '../../../bench/soak/index.js';
import { until } from '../../helpers/until.js';

const BIN = fileURLToPath(new URL('../../../bin/rc-agent', import.meta.url));

const OPTIONS: SoakOptions = {
  repoRoot: '/x',
  outDir: '/x',
  clients: 10,
  ratePerS: 10,
  connections: 1,
  durationS: 30,
  warmupS: 10,
  sampleS: 10,
  pin: false,
  progress: false,
};

t.test('options: two samples after the warm-up at least', (t) => {
  t.doesNotThrow(() => validateSoakOptions(OPTIONS));
  t.throws(() => validateSoakOptions({ ...OPTIONS, durationS: 29 }), { code: 'INVALID_OPTION' });
  t.throws(() => validateSoakOptions({ ...OPTIONS, ratePerS: 0 }), { code: 'INVALID_OPTION' });
  t.end();
});

t.test('growth from the first to the last sample', (t) => {
  t.equal(growthPercent([100, 150, 110]), 10);
  t.equal(growthPercent([200, 190]), -5);
  t.equal(growthPercent([]), 0);
  t.end();
});

t.test('the chart has RSS and heap series and the warm-up mark', (t) => {
  const sample = { rssBytes: 2 * 1024 * 1024, heapUsedBytes: 1024 * 1024, heapTotalBytes: null };
  const spec = soakChartSpec({
    config: { clients: 10, ratePerS: 2, warmupS: 10 },
    samples: [
      { atS: 10, ...sample },
      { atS: 20, ...sample },
    ],
  } as unknown as SoakResults) as { layer: Array<{ data: { values: Array<Record<string, unknown>> } }> };
  t.same(
    spec.layer[0]!.data.values.map((v) => `${String(v.series)}@${String(v.seconds)}=${String(v.mib)}`),
    ['RSS@10=2', 'heap used@10=1', 'RSS@20=2', 'heap used@20=1'],
  );
  t.same(spec.layer[1]!.data.values, [{ seconds: 10 }]);
  t.end();
});

t.test('the generator sends polls round-robin on schedule (fake clock, real loopback server)', async (t) => {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push(body);
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  let now = 0;
  const load = startSoakLoad({
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    bodies: ['a', 'b', 'c'],
    ratePerS: 100,
    connections: 2,
    nowMs: () => now,
  });
  // 70 ms of fake time → 7 polls due, sent on the next ticks of the generator
  now = 70;
  await until(() => load.totals.ok >= 7, 'the 7 due polls answered');
  const window = load.takeWindow();
  await load.stop();
  t.equal(load.totals.sent, 7);
  t.equal(window.ok, 7);
  t.equal(window.failed, 0);
  t.same(seen.slice().sort(), ['a', 'a', 'a', 'b', 'b', 'c', 'c']);
  t.same(load.takeWindow(), { ok: 0, failed: 0, p99Ms: null }, 'a window starts empty');
});

t.test('rc-agent bench soak: seconds-long run writes results and a chart', async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'rc-bench-soak-'));
  t.teardown(() => rmSync(out, { recursive: true, force: true }));
  const args = ['bench', 'soak', '--clients', '20', '--rate', '40', '--duration-s', '3', '--warmup-s', '1'];
  const run = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const child = spawn(BIN, [...args, '--sample-s', '1', '--no-pin', '--no-progress', '--out', out], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('exit', (code) => resolve({ code, stderr }));
  });
  t.equal(run.code, 0, 'the bench exits 0', { stderr: run.stderr.slice(-4000) });
  const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as SoakResults;
  t.equal(results.kind, 'soak');
  t.equal(results.samples.length, 3);
  t.ok(results.samples.every((s) => s.rssBytes > 0));
  t.ok(results.requests.ok > 0);
  t.equal(results.requests.failed, 0);
  t.equal(results.samples.at(-1)!.activeClients, 20, 'every client tracked');
  t.type(results.rssGrowthPercent, 'number');
  t.match(readFileSync(join(out, 'report.html'), 'utf8'), /<svg /);
});
