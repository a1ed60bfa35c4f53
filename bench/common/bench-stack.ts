// What the single-agent benches (throughput, newconn, soak) start first: the bench configs, the backend simulator
// serving them and one agent pointed at it, all under one work dir, the agent ready to serve.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { BackendSimulator } from '../../src/backend/index.js';
import { startAgentProcess, type AgentPolicy, type AgentProcess } from './agent-process.js';
import { startBenchBackend, writeBenchConfigs, type BenchConfigs } from './bench-backend.js';

const AGENT_READY_TIMEOUT_MS = 30_000;

export interface BenchStackOptions {
  readonly repoRoot: string;
  readonly policy: AgentPolicy;
  /** Backend simulator latency. */
  readonly rttMs: number;
  /** taskset CPU list of the agent. */
  readonly cpus?: string;
  /** When set, the agent runs under `node --cpu-prof` and writes its profile here on exit. */
  readonly cpuProfDir?: string;
  /** Extra `DD_…` variables of the agent. */
  readonly env?: Readonly<Record<string, string>>;
}

export interface BenchStack {
  readonly configs: BenchConfigs;
  readonly backend: BackendSimulator;
  readonly agent: AgentProcess;
  /** Stops the agent, then the backend. */
  stop(): Promise<void>;
}

export async function startBenchStack(workDir: string, opts: BenchStackOptions): Promise<BenchStack> {
  const configs = writeBenchConfigs(join(workDir, 'configs'));
  const stateDir = join(workDir, 'backend-state');
  mkdirSync(stateDir, { recursive: true });
  const backend = await startBenchBackend({ configsDir: configs.dir, stateDir, rttMs: opts.rttMs });
  let agent: AgentProcess | undefined;
  try {
    agent = await startAgentProcess({
      repoRoot: opts.repoRoot,
      policy: opts.policy,
      backendUrl: backend.url,
      backendStateDir: stateDir,
      runPath: join(workDir, 'agent'),
      ...(opts.cpus === undefined ? {} : { cpus: opts.cpus }),
      ...(opts.cpuProfDir === undefined ? {} : { cpuProfDir: opts.cpuProfDir }),
      ...(opts.env === undefined ? {} : { env: opts.env }),
    });
    await agent.waitReady(AGENT_READY_TIMEOUT_MS);
  } catch (err) {
    await agent?.stop();
    await backend.close();
    throw err;
  }
  const started = agent;
  return {
    configs,
    backend,
    agent: started,
    stop: async () => {
      await started.stop();
      await backend.close();
    },
  };
}
