// `rc-agent bench newconn`: what one new tracer (a new connection plus its first /v0.7/config request) costs the
// server, for rc-agent and for two references answering the same reply bytes from memory on the same core — a bare
// `http.createServer` (the platform's floor) and a fastify route (the HTTP framework) — driven by the herd's
// raw-socket generator (one connection per tracer, dd-trace-js bodies) at the same boot rate. Rounds alternate the
// three targets so drifting background load hits each alike; the cheapest round of each counts.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { BenchError } from '../error.js';
import {
  TRACER_PRODUCTS,
  collectRunInfo,
  createProgress,
  expectedPaths,
  pinSelf,
  planCpus,
  readProcSample,
  requireAtLeast,
  startBenchStack,
  startListeningChild,
  tsxLoaderUrl,
  writeBenchOutput,
  type BenchStack,
  type BenchOutputPaths,
  type ListeningChild,
} from '../common/index.js';
import {
  LaneState,
  generatorVerdict,
  loopbackSourceAddresses,
  populationLanes,
  prepareGenerators,
  type LaneProfile,
} from '../herd/index.js';
import { takeAgentProfile } from '../throughput/index.js';
import { renderNewconnReport } from './newconn-report.js';
import {
  NEWCONN_TARGETS,
  type NewconnOptions,
  type NewconnResults,
  type NewconnRound,
  type NewconnTarget,
  type NewconnTargetResult,
} from './newconn-types.js';

const AGENT_READY_TIMEOUT_MS = 30_000;
const WATCH_INTERVAL_MS = 100;
/** After a round's sockets close, before the next round samples the CPU. */
const SETTLE_MS = 500;
const CAPTURE_RETRY_MS = 200;

export function validateNewconnOptions(opts: NewconnOptions): void {
  requireAtLeast('tracers', opts.tracers, 1);
  requireAtLeast('ramp-ms', opts.rampMs, 0);
  requireAtLeast('rounds', opts.rounds, 1);
  requireAtLeast('cap-ms', opts.capMs, 0);
}

export async function runNewconn(opts: NewconnOptions): Promise<{ results: NewconnResults } & BenchOutputPaths> {
  validateNewconnOptions(opts);
  const run = collectRunInfo(opts.repoRoot);
  const cpu = planCpus(opts.pin);
  if (cpu.pinned && cpu.loadCpus !== undefined) pinSelf(cpu.loadCpus);
  mkdirSync(opts.outDir, { recursive: true });
  const workDir = mkdtempSync(join(tmpdir(), 'rc-bench-newconn-'));
  let stack: BenchStack | undefined;
  const floors: ListeningChild[] = [];
  try {
    const profDir = join(workDir, 'cpu-prof');
    if (opts.cpuProf === true) mkdirSync(profDir);
    stack = await startBenchStack(workDir, {
      repoRoot: opts.repoRoot,
      policy: 'fastlane',
      rttMs: 0,
      ...(opts.cpuProf === true ? { cpuProfDir: profDir } : {}),
      ...(cpu.agentCpus === undefined ? {} : { cpus: cpu.agentCpus }),
      ...(opts.agentEnv === undefined ? {} : { env: opts.agentEnv }),
    });
    const { agent, configs } = stack;
    // dd-trace-js as shipped: one lane, every product
    const lanes = populationLanes('unchanged', TRACER_PRODUCTS);
    const expected = expectedPaths(configs, TRACER_PRODUCTS);
    const reply = await captureFirstPoll(agent.httpUrl, lanes[0]!.profile, expected);
    const replyFile = join(workDir, 'reply.json');
    writeFileSync(
      replyFile,
      JSON.stringify({ contentType: reply.contentType, bodyBase64: reply.body.toString('base64') }),
    );
    for (const kind of ['node', 'fastify'] as const) {
      floors.push(await startFloorServer(opts.repoRoot, kind, replyFile, cpu.agentCpus));
    }
    const agentPid = agent.pid;
    const targets: Record<NewconnTarget, { port: number; sample: () => number | undefined }> = {
      node: floorTarget(floors[0]!),
      fastify: floorTarget(floors[1]!),
      agent: { port: Number(new URL(agent.httpUrl).port), sample: () => readProcSample(agentPid)?.cpuSeconds },
    };
    const rounds: NewconnRound[] = [];
    // As the herd does: connections spread over loopback source addresses, so the kernel's port search stays cheap.
    const sourceAddresses = await loopbackSourceAddresses('127.0.0.1');
    for (let round = 1; round <= opts.rounds; round++) {
      for (const target of NEWCONN_TARGETS) {
        const label = `${target} ${round}/${opts.rounds}`;
        const generators = await prepareGenerators({
          repoRoot: opts.repoRoot,
          procs: 1,
          tracers: opts.tracers,
          rampMs: opts.rampMs,
          lanes,
          timing: { pollIntervalMs: 5000, fastPollIntervalMs: 1000 },
          requestTimeoutMs: 2000,
          expectedPaths: expected,
          ffePath: configs.ffePath,
        });
        try {
          const { port, sample } = targets[target];
          const before = sample();
          const load = generators.start('127.0.0.1', [port], sourceAddresses, [
            { sha256: configs.ffeSha256, sinceMs: 0 },
          ]);
          const bar = opts.progress ? createProgress(label.padEnd(14), load.total, '') : undefined;
          const deadlineMs = Date.now() + opts.rampMs + opts.capMs;
          let stoppedBy: NewconnRound['stoppedBy'] = 'cap';
          while (Date.now() < deadlineMs) {
            const p = load.progress();
            bar?.update(p.all);
            if (p.all >= load.total) {
              stoppedBy = 'all-delivered';
              break;
            }
            await Promise.race([sleep(WATCH_INTERVAL_MS), load.failed]);
          }
          bar?.stop();
          const after = sample();
          const { tracers, generators: stats } = await load.stop();
          if (before === undefined || after === undefined || stats === null) {
            throw new BenchError('LOAD_GENERATOR', `${label}: no server CPU from /proc or no generator statistics`);
          }
          const sum = (f: (t: (typeof tracers)[number]) => number | null): number =>
            tracers.reduce((s, t) => s + (f(t) ?? 0), 0);
          const cpuSeconds = after - before;
          const r: NewconnRound = {
            target,
            round,
            cpuSeconds: round3(cpuSeconds),
            cpuMsPerNewTracer: round3((cpuSeconds * 1000) / opts.tracers),
            cpuMsPerRequest: round3(
              (cpuSeconds * 1000) /
                Math.max(
                  1,
                  sum((t) => t.requests),
                ),
            ),
            requests: sum((t) => t.requests),
            delivered: tracers.filter((t) => t.allMs !== null).length,
            timeouts: sum((t) => t.timeouts),
            errors: sum((t) => t.errors),
            stoppedBy,
            generator: generatorVerdict(stats, cpu),
          };
          rounds.push(r);
          process.stderr.write(`newconn: ${label}: ${roundLine(r, opts.tracers)}\n`);
        } finally {
          await generators.close();
        }
        await sleep(SETTLE_MS);
      }
    }
    // The agent writes its profile when it exits.
    await stack.stop();
    stack = undefined;
    const taken = opts.cpuProf === true ? takeAgentProfile(profDir, join(opts.outDir, 'agent.cpuprofile')) : null;

    const pick = (target: NewconnTarget): { perTracer: number; perRequest: number; valid: boolean } => {
      const all = rounds.filter((r) => r.target === target);
      const valid = all.filter((r) => r.generator.valid && r.delivered === opts.tracers);
      const from = valid.length > 0 ? valid : all;
      return {
        perTracer: Math.min(...from.map((r) => r.cpuMsPerNewTracer)),
        perRequest: Math.min(...from.map((r) => r.cpuMsPerRequest)),
        valid: valid.length > 0,
      };
    };
    const floor = pick('node');
    const agentCost = pick('agent');
    const ratio = (a: number, b: number): number => (b > 0 ? round2(a / b) : 0);
    const result = (target: NewconnTarget): NewconnTargetResult => {
      const { perTracer, perRequest, valid } = pick(target);
      return {
        cpuMsPerNewTracer: perTracer,
        cpuMsPerRequest: perRequest,
        timesFloor: ratio(perTracer, floor.perTracer),
        timesFloorPerRequest: ratio(perRequest, floor.perRequest),
        valid,
      };
    };
    const results: NewconnResults = {
      kind: 'newconn',
      run,
      cpu,
      config: {
        tracers: opts.tracers,
        rampMs: opts.rampMs,
        rounds: opts.rounds,
        capMs: opts.capMs,
        pin: opts.pin,
        ...(opts.cpuProf === true ? { cpuProf: true } : {}),
        replyBytes: reply.body.length,
        ...(opts.agentEnv === undefined ? {} : { agentEnv: opts.agentEnv }),
      },
      targets: { node: result('node'), fastify: result('fastify'), agent: result('agent') },
      platformShare: ratio(floor.perTracer, agentCost.perTracer),
      platformSharePerRequest: ratio(floor.perRequest, agentCost.perRequest),
      rounds,
      cpuProfile: taken?.path ?? null,
      profile: taken?.summary ?? null,
    };
    const paths = await writeBenchOutput(opts.outDir, 'newconn', results, () => renderNewconnReport(results));
    return { results, ...paths };
  } finally {
    for (const f of floors) await f.stop();
    await stack?.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
}

function roundLine(r: NewconnRound, tracers: number): string {
  return (
    `${r.cpuMsPerNewTracer} ms CPU per new tracer, ${r.cpuMsPerRequest} ms per request (${r.cpuSeconds} s), ` +
    `${r.delivered}/${tracers} delivered, ` +
    `${r.requests} requests, timeouts ${r.timeouts}, errors ${r.errors}, stopped by ${r.stoppedBy}` +
    (r.generator.valid ? '' : ` — INVALID: ${r.generator.invalidReasons.join('; ')}`)
  );
}

/**
 * The agent's reply to a new dd-trace-js tracer's first poll once it serves every product (right after readiness
 * only the prefetched fast-lane products are there): the bytes every reference server answers with.
 */
async function captureFirstPoll(
  httpUrl: string,
  profile: LaneProfile,
  expected: readonly string[],
): Promise<{ contentType: string; body: Buffer }> {
  const deadlineMs = Date.now() + AGENT_READY_TIMEOUT_MS;
  const initial = LaneState.initial(profile);
  let last = 'no reply';
  while (Date.now() < deadlineMs) {
    const ids = { clientId: crypto.randomUUID(), runtimeId: crypto.randomUUID(), service: 'bench-svc-capture' };
    const res = await request(`${httpUrl}/v0.7/config`, {
      method: 'POST',
      body: initial.template.render(ids),
      headers: { 'content-type': 'application/json; charset=utf-8' },
    });
    const body = Buffer.from(await res.body.arrayBuffer());
    if (res.statusCode === 200) {
      const held = initial.after(body.toString()).held;
      if (expected.every((path) => held.has(path))) {
        const type = res.headers['content-type'];
        return { contentType: (Array.isArray(type) ? type[0] : type) ?? 'text/plain; charset=utf-8', body };
      }
      last = `${held.size}/${expected.length} configs`;
    } else last = `status ${res.statusCode}`;
    await sleep(CAPTURE_RETRY_MS);
  }
  throw new BenchError('AGENT_NOT_READY', `a new tracer's first poll never got every config (last: ${last})`);
}

function floorTarget(f: ListeningChild): { port: number; sample: () => number | undefined } {
  return { port: Number(new URL(f.url).port), sample: () => readProcSample(f.pid)?.cpuSeconds };
}

function startFloorServer(
  repoRoot: string,
  kind: 'node' | 'fastify',
  replyFile: string,
  cpus: string | undefined,
): Promise<ListeningChild> {
  const script = new URL('./floor-server.ts', import.meta.url).pathname;
  return startListeningChild({
    what: kind,
    command: process.execPath,
    args: ['--import', tsxLoaderUrl(repoRoot), script, kind, replyFile],
    cwd: repoRoot,
    cpus,
  });
}

function round2(v: number): number {
  return Math.round(v * 100) / 100;
}

function round3(v: number): number {
  return Math.round(v * 1000) / 1000;
}
