const keepAlive = setInterval(() => undefined, 1000);
import { performance } from 'node:perf_hooks';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config/index.js';
import { RemoteConfigService, StateStore, systemClock } from '../src/service/index.js';
import { SignedTestBackend, FFE_FILE, APM_FILE, ASM_FILE } from '../test/helpers/signed-backend.js';
import { tracerRequest, ctx } from '../test/helpers/service-harness.js';

const backend = new SignedTestBackend(systemClock, [FFE_FILE, APM_FILE, ASM_FILE], { latencyMs: 2 });
const dataDir = mkdtempSync(join(tmpdir(), 'svc-cost-'));
const config = loadConfig({ env: {}, overrides: { run_path: dataDir } });
const { store } = await StateStore.open(dataDir, { agentVersion: 'test', apiKey: '', backendUrl: backend.url });
const service = new RemoteConfigService({ config: config.remoteConfiguration, hostname: 'h', agentVersion: '7.72.0', backend, pinnedRoots: backend.pinnedRoots, store });
service.start();
while (!service.isReady()) await new Promise((r) => setTimeout(r, 5));
const products = process.argv[2] === 'split' ? ['FFE_FLAGS'] : ['APM_TRACING', 'AGENT_CONFIG', 'AGENT_TASK', 'ASM_FEATURES', 'FFE_FLAGS'];
const N = 20000;
const reqs = Array.from({ length: N }, (_, i) => tracerRequest({ id: `t-${i}`, products }));
const c0 = process.cpuUsage(); const t0 = performance.now();
let pending: Promise<unknown>[] = [];
for (let i = 0; i < N; i++) {
  pending.push(service.clientGetConfigs(reqs[i]!, ctx()));
  if (i % 500 === 499) { await Promise.all(pending); pending = []; }
}
await Promise.all(pending);
const cpu = process.cpuUsage(c0); const wall = performance.now() - t0;
console.log(`${N} new clients: wall ${wall.toFixed(0)} ms, cpu ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms → ${((cpu.user + cpu.system) / 1000 / N).toFixed(4)} ms/new client; backend calls ${backend.requests.length}`);
console.log(JSON.stringify(service.status().bypass));
for (let k = 0; k < 3; k++) {
  const c1 = process.cpuUsage(); const t1 = performance.now();
  await service.refreshNow();
  const cpu1 = process.cpuUsage(c1);
  console.log(`refresh with ${N} active clients: wall ${(performance.now() - t1).toFixed(0)} ms, cpu ${((cpu1.user + cpu1.system) / 1000).toFixed(0)} ms (incl. in-process backend encode/decode)`);
}
await service.stop(); await store.close();
clearInterval(keepAlive);
