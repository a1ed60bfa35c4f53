import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  startBenchBackend,
  writeBenchConfigs,
  startAgentProcess,
  getText,
  pinSelf,
  TRACER_PRODUCTS,
} from './common/index.js';
import { startEmulatedLoad } from './herd/emulated-load.js';
pinSelf('1');
const w = mkdtempSync(join(tmpdir(), 'diag-'));
const c = writeBenchConfigs(join(w, 'configs'));
const backend = await startBenchBackend({ configsDir: c.dir, stateDir: w, rttMs: 200 });
const agent = await startAgentProcess({
  repoRoot: process.cwd(),
  policy: 'fastlane',
  backendUrl: backend.url,
  backendStateDir: w,
  runPath: join(w, 'a'),
  cpus: '0',
  cpuProfDir: '/tmp/h5/prof',
});
await agent.waitReady(20000);
const N = Number(process.argv[2] ?? 2000);
const load = await startEmulatedLoad({
  agentUrl: agent.httpUrl,
  tracers: N,
  rampMs: 5000,
  workers: 2,
  clientPolicy: (process.argv[3] ?? 'fastlane') as 'fastlane',
  products: TRACER_PRODUCTS,
  expectedPaths: c.paths,
  ffeProduct: 'FFE_FLAGS',
  pollIntervalMs: 5000,
  fastPollIntervalMs: 1000,
  requestTimeoutMs: 2000,
});
const t0 = Date.now();
while (Date.now() - t0 < 12000) {
  await new Promise((r) => setTimeout(r, 1000));
  const p = load.progress();
  console.log(((Date.now() - t0) / 1000).toFixed(0), JSON.stringify(p));
}
const m = await getText(agent.httpUrl + '/metrics');
console.log(
  m.text
    .split('\n')
    .filter((l) => /^(rc_bypass_requests|rc_backend_refreshes|nodejs_eventloop_lag)/.test(l))
    .join('\n'),
);
const out = await load.stop();
console.log('loop', out.eventLoopDelay);
const res = out.tracers;
const f = res.map((r) => r.ffeMs ?? Infinity).sort((a, b) => a - b);
console.log('ffe p50', f[Math.floor(N / 2)], 'p90', f[Math.floor(N * 0.9)]);
await agent.stop();
await backend.close();
