// `rc-agent bench throughput`: steady-state /v0.7/config load from many distinct, already-active clients against
// (a) the agent and (b) a fastify route answering the same bytes from memory — the HTTP stack's limit — plus
// ClientGetConfigs over gRPC. Servers run as child processes on the agent's core, load in worker threads elsewhere.
import { fork } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { BenchError } from '../error.js';
import {
  TRACER_PRODUCTS,
  collectRunInfo,
  createProgress,
  expectedPaths,
  pinSelf,
  planCpus,
  requireAtLeast,
  writeBenchOutput,
  readProcSample,
  startBenchStack,
  stopChild,
  trackChild,
  type AgentProcess,
  type BenchStack,
} from '../common/index.js';
import { buildClientPool } from './client-pool.js';
import { takeAgentProfile, type ProfileSummary } from './cpu-profile-summary.js';
import {
  startStaticGrpcProcess,
  startStaticProcess,
  tsxLoader,
  type CapturedReply,
  type StaticProcess,
} from './static-process.js';
import {
  AUTH_TOKEN_FILE,
  createAgentSecureClient,
  IPC_CERT_FILE,
  type AgentSecureCredentials,
} from '../../src/grpc/index.js';
import { decodeClientGetConfigsRequest } from '../../src/http/index.js';
import { pb } from '../../src/proto/index.js';
import { renderThroughputReport } from './throughput-report.js';
import type { LoadData, LoadResult, LoadWorkerMessage } from './throughput-protocol.js';
import {
  VARIANTS,
  type AgentLoadResult,
  type ThroughputOptions,
  type ThroughputResults,
  type Variant,
  type VariantResult,
} from './throughput-types.js';

export interface ThroughputRunOutput {
  readonly results: ThroughputResults;
  readonly resultsPath: string;
  readonly reportPath: string;
}

const CONFIG_PATH = '/v0.7/config';

export function validateThroughputOptions(opts: ThroughputOptions): void {
  const atLeast = requireAtLeast;
  atLeast('clients', opts.clients, 1);
  atLeast('connections', opts.connections, 1);
  atLeast('duration-s', opts.durationS, 1);
  atLeast('warmup-s', opts.warmupS, 0);
  atLeast('grpc-concurrency', opts.grpcConcurrency, 1);
  atLeast('rounds', opts.rounds, 1);
  atLeast('backend-rtt-ms', opts.backendRttMs, 0);
}

export async function runThroughput(opts: ThroughputOptions): Promise<ThroughputRunOutput> {
  validateThroughputOptions(opts);
  const run = collectRunInfo(opts.repoRoot);
  const cpu = planCpus(opts.pin);
  if (cpu.pinned && cpu.loadCpus !== undefined) pinSelf(cpu.loadCpus);
  const policy = opts.policy ?? 'fastlane';
  mkdirSync(opts.outDir, { recursive: true });
  const workDir = mkdtempSync(join(tmpdir(), 'rc-bench-throughput-'));
  let stack: BenchStack | undefined;
  let staticServer: StaticProcess | undefined;
  try {
    const profDir = join(workDir, 'cpu-prof');
    if (opts.cpuProf) mkdirSync(profDir);
    stack = await startBenchStack(workDir, {
      repoRoot: opts.repoRoot,
      policy,
      rttMs: opts.backendRttMs,
      ...(cpu.agentCpus === undefined ? {} : { cpus: cpu.agentCpus }),
      ...(opts.cpuProf ? { cpuProfDir: profDir } : {}),
      ...(opts.agentEnv === undefined ? {} : { env: opts.agentEnv }),
    });
    const { agent, configs } = stack;
    const agentEnvUsed = agent.env;

    const pool = await buildClientPool({
      agentUrl: agent.httpUrl,
      clients: opts.clients,
      products: TRACER_PRODUCTS,
      expectedPaths: expectedPaths(configs, TRACER_PRODUCTS),
    });
    const replies = {
      steady: await capture(agent.httpUrl, pool.bodies.steady[0]!),
      full: await capture(agent.httpUrl, pool.bodies.full[0]!),
    };
    if (replies.steady.body.toString() !== '{}') {
      throw new BenchError('LOAD_GENERATOR', `a steady-state client got ${replies.steady.body.length} bytes, not {}`);
    }

    // Rounds alternate agent and static runs on the same core, so drifting background load hits both alike; the
    // best round of each counts (other work on the machine only ever slows a run down).
    staticServer = await startStaticProcess({ repoRoot: opts.repoRoot, workDir, cpus: cpu.agentCpus, replies });
    const rounds: Record<Variant, { agent: AgentLoadResult[]; static: AgentLoadResult[] }> = {
      steady: { agent: [], static: [] },
      full: { agent: [], static: [] },
    };
    for (let round = 1; round <= opts.rounds; round++) {
      for (const variant of VARIANTS) {
        const http = {
          kind: 'http' as const,
          bodies: pool.bodies[variant],
          connections: opts.connections,
          durationS: opts.durationS,
          warmupS: opts.warmupS,
        };
        rounds[variant].agent.push(
          await measureOnAgent(agent, opts, `agent http ${variant} ${round}/${opts.rounds}`, {
            ...http,
            url: agent.httpUrl,
            path: CONFIG_PATH,
          }),
        );
        const staticPid = staticServer.pid;
        rounds[variant].static.push(
          await measureWithCpu(
            () => readProcSample(staticPid),
            opts,
            `static http ${variant} ${round}/${opts.rounds}`,
            {
              ...http,
              url: staticServer.url,
              path: `/${variant}${CONFIG_PATH}`,
            },
          ),
        );
      }
    }
    await staticServer.stop();
    staticServer = undefined;

    let grpc: Record<Variant, AgentLoadResult> | null = null;
    let grpcStatic: Record<Variant, AgentLoadResult> | null = null;
    if (opts.grpc) {
      const tokenFile = join(agent.runPath, AUTH_TOKEN_FILE);
      const pemFile = join(agent.runPath, IPC_CERT_FILE);
      const token = readFileSync(tokenFile, 'utf8').trim();
      const certPem = readFileSync(pemFile, 'utf8');
      const grpcLoad = (variant: Variant, address: string): LoadData => ({
        kind: 'grpc',
        address,
        token,
        certPem,
        bodies: pool.bodies[variant],
        concurrency: opts.grpcConcurrency,
        durationS: opts.durationS,
        warmupS: opts.warmupS,
      });
      const results: Partial<Record<Variant, AgentLoadResult>> = {};
      const floors: Partial<Record<Variant, AgentLoadResult>> = {};
      for (const variant of VARIANTS) {
        results[variant] = await measureOnAgent(
          agent,
          opts,
          `agent grpc ${variant}`,
          grpcLoad(variant, agent.grpcAddress),
        );
        // gRPC's floor: grpc-js itself, with the agent's TLS and token check, answering the agent's reply bytes
        const reply = await captureGrpc(agent.grpcAddress, { token, certPem }, pool.bodies[variant][0]!);
        staticServer = await startStaticGrpcProcess({
          repoRoot: opts.repoRoot,
          workDir,
          cpus: cpu.agentCpus,
          pemFile,
          tokenFile,
          reply,
          name: variant,
        });
        const staticPid = staticServer.pid;
        floors[variant] = await measureWithCpu(
          () => readProcSample(staticPid),
          opts,
          `static grpc ${variant}`,
          grpcLoad(variant, new URL(staticServer.url).host),
        );
        await staticServer.stop();
        staticServer = undefined;
      }
      grpc = results as Record<Variant, AgentLoadResult>;
      grpcStatic = floors as Record<Variant, AgentLoadResult>;
    }

    await stack.stop();
    stack = undefined;

    const taken = opts.cpuProf ? takeAgentProfile(profDir, join(opts.outDir, 'agent.cpuprofile')) : null;
    const cpuProfile = taken?.path ?? null;
    const profile: ProfileSummary | null = taken?.summary ?? null;

    const http = {} as Record<Variant, VariantResult>;
    for (const variant of VARIANTS) {
      const a = best(rounds[variant].agent);
      const s = best(rounds[variant].static);
      const cheapest = (runs: readonly AgentLoadResult[]): number | null => {
        const us = runs.map((r) => r.cpuUsPerReply).filter((v): v is number => v !== null);
        return us.length === 0 ? null : Math.min(...us);
      };
      const agentUs = cheapest(rounds[variant].agent);
      const staticUs = cheapest(rounds[variant].static);
      http[variant] = {
        replyBytes: replies[variant].body.length,
        agent: a,
        static: s,
        ratio: s.requestsPerS > 0 ? Math.round((a.requestsPerS / s.requestsPerS) * 100) / 100 : 0,
        cpu: {
          agentUsPerReply: agentUs,
          staticUsPerReply: staticUs,
          ratio: agentUs === null || staticUs === null ? null : Math.round((staticUs / agentUs) * 100) / 100,
        },
        rounds: rounds[variant],
      };
    }

    const results: ThroughputResults = {
      kind: 'throughput',
      run,
      cpu,
      config: {
        clients: opts.clients,
        connections: opts.connections,
        durationS: opts.durationS,
        warmupS: opts.warmupS,
        rounds: opts.rounds,
        grpc: opts.grpc,
        grpcConcurrency: opts.grpcConcurrency,
        backendRttMs: opts.backendRttMs,
        pin: opts.pin,
        cpuProf: opts.cpuProf,
        policy,
        agentEnv: agentEnvUsed,
      },
      http,
      grpc,
      grpcStatic,
      cpuProfile,
      profile,
    };
    const paths = await writeBenchOutput(opts.outDir, 'throughput', results, () => renderThroughputReport(results));
    return { results, ...paths };
  } finally {
    await staticServer?.stop();
    await stack?.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
}

/** The agent's ClientGetConfigs reply to a body, as protobuf bytes (what the static gRPC server answers). */
async function captureGrpc(address: string, creds: AgentSecureCredentials, body: string): Promise<Uint8Array> {
  const client = createAgentSecureClient(address, creds);
  try {
    const response = await client.clientGetConfigs(decodeClientGetConfigsRequest(body));
    return pb.ClientGetConfigsResponse.encode(response).finish();
  } catch (err) {
    throw new BenchError('LOAD_GENERATOR', 'the agent did not answer a gRPC ClientGetConfigs', { cause: err });
  } finally {
    client.close();
  }
}

async function capture(httpUrl: string, body: string): Promise<CapturedReply> {
  const res = await request(`${httpUrl}${CONFIG_PATH}`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json; charset=utf-8' },
  });
  const bytes = Buffer.from(await res.body.arrayBuffer());
  if (res.statusCode !== 200) {
    throw new BenchError('LOAD_GENERATOR', `the agent answered ${res.statusCode}: ${bytes.toString().slice(0, 200)}`);
  }
  const type = res.headers['content-type'];
  return { contentType: (Array.isArray(type) ? type[0] : type) ?? 'text/plain; charset=utf-8', body: bytes };
}

function measureOnAgent(
  agent: AgentProcess,
  opts: ThroughputOptions,
  label: string,
  data: LoadData,
): Promise<AgentLoadResult> {
  return measureWithCpu(() => agent.sample(), opts, label, data);
}

/**
 * One load run plus the server's CPU over its measured part (sampled once the warm-up is over): cores busy and CPU
 * µs per reply. On a shared machine the µs per reply is the steadier figure: other work steals the server's core
 * and lowers its req/s, but not the CPU one reply costs.
 */
async function measureWithCpu(
  sample: () => { cpuSeconds: number } | undefined,
  opts: ThroughputOptions,
  label: string,
  data: LoadData,
): Promise<AgentLoadResult> {
  let before: { cpuSeconds: number; atMs: number } | undefined;
  const timer = setTimeout(() => {
    const s = sample();
    if (s !== undefined) before = { cpuSeconds: s.cpuSeconds, atMs: Date.now() };
  }, data.warmupS * 1000);
  try {
    const result = await runLoad(opts.repoRoot, label, data, opts.progress);
    const after = sample();
    if (before === undefined || after === undefined) return { ...result, agentCpuCores: null, cpuUsPerReply: null };
    const cpuSeconds = after.cpuSeconds - before.cpuSeconds;
    const cores = cpuSeconds / ((Date.now() - before.atMs) / 1000);
    return {
      ...result,
      agentCpuCores: Math.round(cores * 100) / 100,
      cpuUsPerReply: result.requestsPerS > 0 ? Math.round((cores / result.requestsPerS) * 1e7) / 10 : null,
    };
  } finally {
    clearTimeout(timer);
  }
}

function best<T extends LoadResult>(runs: readonly T[]): T {
  return runs.reduce((a, b) => (b.requestsPerS > a.requestsPerS ? b : a));
}

/** Runs one measurement in a load child (it inherits this process's CPU affinity). */
function runLoad(repoRoot: string, label: string, data: LoadData, showProgress: boolean): Promise<LoadResult> {
  const totalS = data.warmupS + data.durationS;
  const bar = showProgress ? createProgress(`${label.padEnd(18)}`, totalS, ' s') : undefined;
  const startedMs = Date.now();
  const tick = setInterval(() => bar?.update(Math.min(totalS, Math.floor((Date.now() - startedMs) / 1000))), 500);
  const child = fork(new URL('./load-child.ts', import.meta.url).pathname, [], {
    cwd: repoRoot,
    execArgv: ['--import', tsxLoader(repoRoot)],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'advanced',
  });
  trackChild(child);
  child.send(data);
  return new Promise<LoadResult>((resolve, reject) => {
    child.on('message', (message: LoadWorkerMessage) => {
      if (message.type === 'result') resolve(message.result);
      else reject(new BenchError('LOAD_GENERATOR', `${label}: ${message.message}`));
    });
    child.on('error', (err) =>
      reject(new BenchError('LOAD_GENERATOR', `${label}: the load child failed`, { cause: err })),
    );
    child.on('exit', (code) =>
      reject(new BenchError('LOAD_GENERATOR', `${label}: the load child exited (code ${code})`)),
    );
  }).finally(async () => {
    clearInterval(tick);
    bar?.update(totalS);
    bar?.stop();
    await stopChild(child, 5000);
  });
}
