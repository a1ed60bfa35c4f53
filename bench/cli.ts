// `rc-agent bench …` (bin/rc-agent dispatches here, so src/ never imports bench/): `herd`, `throughput`, `soak`.
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError, Option } from 'commander';
import { TRACER_PRODUCTS, outputSummary } from './common/index.js';
import { BenchError } from './error.js';
import { runHerd, type HerdScenarioSpec } from './herd/index.js';
import { formatMs, textTable } from './report/index.js';
import { runSoak, soakSummaryTable } from './soak/index.js';
import { runThroughput, throughputSummaryTable } from './throughput/index.js';

const REPO_ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));

function integer(min: number, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value) => {
    if (!/^\d+$/.test(value)) throw new InvalidArgumentError('not a non-negative integer');
    const n = Number(value);
    if (n < min || n > max) throw new InvalidArgumentError(`must be between ${min} and ${max}`);
    return n;
  };
}

function list(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function keyValue(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError('expected KEY=VALUE');
  return { ...previous, [value.slice(0, eq)]: value.slice(eq + 1) };
}

const POLICIES = ['legacy', 'fastlane'] as const;
const ALL_SCENARIOS = 'legacy/legacy,legacy/fastlane,fastlane/legacy,fastlane/fastlane';

/** `agent/client` pairs, e.g. `legacy/legacy,fastlane/fastlane`. */
function scenarios(value: string): Array<{ agent: string; client: string }> {
  return list(value).map((pair) => {
    const [agent, client, extra] = pair.split('/');
    if (
      extra !== undefined ||
      !POLICIES.includes(agent as (typeof POLICIES)[number]) ||
      !POLICIES.includes(client as (typeof POLICIES)[number])
    ) {
      throw new InvalidArgumentError(`"${pair}" is not agent/client with each legacy or fastlane`);
    }
    return { agent: agent!, client: client! };
  });
}

function timestamp(): string {
  return new Date().toISOString().replace(/[:.]/g, '-');
}

interface HerdCliOptions {
  tracers: number;
  rampMs: number;
  capMs: number;
  backendRttMs: number;
  scenarios: Array<{ agent: string; client: string }>;
  workers: number;
  products: string[];
  pollIntervalMs: number;
  fastPollIntervalMs: number;
  requestTimeoutMs: number;
  agent?: string;
  real?: number;
  launchPerS: number;
  out?: string;
  pin: boolean;
  progress: boolean;
  agentEnv?: Record<string, string>;
  repoRoot: string;
}

interface ThroughputCliOptions {
  clients: number;
  connections: number;
  durationS: number;
  warmupS: number;
  rounds: number;
  grpcConcurrency: number;
  grpc: boolean;
  backendRttMs: number;
  out?: string;
  pin: boolean;
  progress: boolean;
  cpuProf: boolean;
  agentEnv?: Record<string, string>;
  repoRoot: string;
}

const program = new Command('rc-agent bench').description('benchmarks of rc-agent').showHelpAfterError();

program
  .command('herd')
  .description('boot a herd of tracers against a legacy and a fast-lane agent; time FFE_FLAGS delivery per tracer')
  .option('--tracers <n>', 'tracers per scenario', integer(1, 100_000), 2000)
  .option('--ramp-ms <ms>', 'boots spread evenly over this window', integer(0), 5000)
  .option('--cap-ms <ms>', 'stop a scenario this long after the last boot at the latest', integer(0), 60_000)
  .option('--backend-rtt-ms <ms>', 'backend simulator latency', integer(0, 60_000), 200)
  .addOption(
    new Option('--scenarios <list>', 'agent/client policy pairs')
      .argParser(scenarios)
      .default(scenarios(ALL_SCENARIOS), ALL_SCENARIOS),
  )
  .option('--workers <n>', 'load-generator worker threads', integer(1, 64), 2)
  .addOption(
    new Option('--products <list>', 'products each tracer asks for (must include FFE_FLAGS)')
      .argParser(list)
      .default([...TRACER_PRODUCTS], TRACER_PRODUCTS.join(',')),
  )
  .option('--poll-interval-ms <ms>', 'tracer poll interval (dd-trace-js: 5000)', integer(1), 5000)
  .option('--fast-poll-interval-ms <ms>', 'fast-lane client poll interval until first delivery', integer(1), 1000)
  .option('--request-timeout-ms <ms>', 'tracer request timeout (dd-trace-js: 2000)', integer(1), 2000)
  .option('--agent <url>', 'target this running agent instead of starting one per scenario')
  .option('--real <n>', 'use N real dd-trace-js processes instead of emulated tracers', integer(1, 2000))
  .option('--launch-per-s <n>', 'real tracer process launches per second', integer(1, 1000), 4)
  .option('--out <dir>', 'results directory (default bench/results/herd-<time>)')
  .option('--no-pin', 'do not pin agent and load to separate cores')
  .option('--no-progress', 'no progress bar')
  .option('--agent-env <KEY=VALUE>', 'extra agent setting (repeatable)', keyValue)
  .addOption(new Option('--repo-root <dir>', 'checkout whose bin/rc-agent runs').default(REPO_ROOT).hideHelp())
  .action(async (o: HerdCliOptions) => {
    const specs: HerdScenarioSpec[] =
      o.agent !== undefined
        ? [...new Set(o.scenarios.map((s) => s.client))].map((client) => ({
            agentPolicy: 'external',
            clientPolicy: o.real !== undefined ? 'dd-trace-js' : (client as 'legacy' | 'fastlane'),
          }))
        : o.real !== undefined
          ? [...new Set(o.scenarios.map((s) => s.agent))].map((agent) => ({
              agentPolicy: agent as 'legacy' | 'fastlane',
              clientPolicy: 'dd-trace-js',
            }))
          : o.scenarios.map((s) => ({
              agentPolicy: s.agent as 'legacy' | 'fastlane',
              clientPolicy: s.client as 'legacy' | 'fastlane',
            }));
    const dedup = [...new Map(specs.map((s) => [`${s.agentPolicy}/${s.clientPolicy}`, s])).values()];
    const out = await runHerd({
      repoRoot: resolve(o.repoRoot),
      outDir: resolve(o.out ?? join(REPO_ROOT, 'bench', 'results', `herd-${timestamp()}`)),
      tracers: o.real ?? o.tracers,
      rampMs: o.rampMs,
      capMs: o.capMs,
      backendRttMs: o.backendRttMs,
      scenarios: dedup,
      workers: o.workers,
      products: o.products,
      pollIntervalMs: o.pollIntervalMs,
      fastPollIntervalMs: o.fastPollIntervalMs,
      requestTimeoutMs: o.requestTimeoutMs,
      pin: o.pin,
      ...(o.agent === undefined ? {} : { agentUrl: o.agent }),
      ...(o.real === undefined ? {} : { real: { launchPerS: o.launchPerS } }),
      progress: o.progress && process.stderr.isTTY === true,
      ...(o.agentEnv === undefined ? {} : { agentEnv: o.agentEnv }),
    });
    const list = Object.values(out.results.scenarios);
    process.stdout.write(
      `${textTable(
        [
          'scenario',
          'FFE p50',
          'FFE p90',
          'FFE p99',
          'FFE max',
          'delivered',
          'all p99',
          'backend refreshes',
          'agent CPU s',
          'RSS MiB',
        ],
        list.map((s) => [
          s.loadGeneratorSaturated ? `${s.key} (LOAD GENERATOR SATURATED)` : s.key,
          formatMs(s.ffe.p50),
          formatMs(s.ffe.p90),
          formatMs(s.ffe.p99),
          formatMs(s.ffe.max),
          `${s.ffe.delivered}/${s.tracers}`,
          formatMs(s.allConfigs.p99),
          s.backend.refreshes,
          s.agent?.cpuSeconds ?? null,
          s.agent === null ? null : (s.agent.rssPeakBytes / 1048576).toFixed(0),
        ]),
      )}\n`,
    );
    for (const c of out.results.comparisons) {
      process.stdout.write(
        `${c.candidate} vs ${c.baseline}: FFE p50 ${c.ffeP50Speedup ?? '–'}× faster, p99 ${c.ffeP99Speedup ?? '–'}× faster\n`,
      );
    }
    process.stdout.write(
      `cpu: ${out.results.cpu.description}\nresults: ${out.resultsPath}\nreport: ${out.reportPath}\n`,
    );
  });

program
  .command('throughput')
  .description('steady-state /v0.7/config load on rc-agent vs a static fastify route with the same bytes; gRPC too')
  .option('--clients <n>', 'distinct RC clients (request bodies) in the pool', integer(1, 100_000), 1000)
  .option('--connections <n>', 'concurrent HTTP connections', integer(1, 10_000), 64)
  .option('--duration-s <s>', 'seconds of load per measurement', integer(1, 3600), 10)
  .option('--warmup-s <s>', 'seconds of unmeasured load before each measurement', integer(0, 600), 2)
  .option('--rounds <n>', 'alternating agent/static rounds (the best of each counts)', integer(1, 100), 2)
  .option('--grpc-concurrency <n>', 'concurrent gRPC calls', integer(1, 10_000), 64)
  .option('--no-grpc', 'skip the gRPC measurement')
  .option('--backend-rtt-ms <ms>', 'backend simulator latency', integer(0, 60_000), 0)
  .option('--out <dir>', 'results directory (default bench/results/throughput-<time>)')
  .option('--no-pin', 'do not pin servers and load to separate cores')
  .option('--no-progress', 'no progress bar')
  .option('--cpu-prof', 'run the agent under node --cpu-prof; the profile lands in the results directory')
  .option('--agent-env <KEY=VALUE>', 'extra agent setting (repeatable)', keyValue)
  .addOption(new Option('--repo-root <dir>', 'checkout whose bin/rc-agent runs').default(REPO_ROOT).hideHelp())
  .action(async (o: ThroughputCliOptions) => {
    const out = await runThroughput({
      repoRoot: resolve(o.repoRoot),
      outDir: resolve(o.out ?? join(REPO_ROOT, 'bench', 'results', `throughput-${timestamp()}`)),
      clients: o.clients,
      connections: o.connections,
      durationS: o.durationS,
      warmupS: o.warmupS,
      rounds: o.rounds,
      grpc: o.grpc,
      grpcConcurrency: o.grpcConcurrency,
      backendRttMs: o.backendRttMs,
      pin: o.pin,
      progress: o.progress && process.stderr.isTTY === true,
      cpuProf: o.cpuProf === true,
      ...(o.agentEnv === undefined ? {} : { agentEnv: o.agentEnv }),
    });
    process.stdout.write(`${throughputSummaryTable(out.results)}\n${outputSummary(out.results.cpu.description, out)}`);
    if (out.results.cpuProfile !== null) process.stdout.write(`agent CPU profile: ${out.results.cpuProfile}\n`);
  });

interface SoakCliOptions {
  clients: number;
  rate: number;
  connections: number;
  durationS: number;
  warmupS: number;
  sampleS: number;
  out?: string;
  pin: boolean;
  progress: boolean;
  repoRoot: string;
}

program
  .command('soak')
  .description('a long steady poll load on one agent: RSS and heap sampled and plotted, growth after warm-up')
  .option('--clients <n>', 'distinct known tracer clients (tracked by the agent)', integer(1, 100_000), 10_000)
  .option('--rate <n>', 'steady polls per second in total (open loop)', integer(1, 100_000), 2000)
  .option('--connections <n>', 'HTTP connections of the load generator', integer(1, 10_000), 32)
  .option('--duration-s <s>', 'seconds of load', integer(1, 86_400), 600)
  .option('--warmup-s <s>', 'seconds before growth is measured', integer(0, 86_400), 60)
  .option('--sample-s <s>', 'seconds between samples of RSS and heap', integer(1, 3600), 10)
  .option('--out <dir>', 'results directory (default bench/results/soak-<time>)')
  .option('--no-pin', 'do not pin the agent and the load to separate cores')
  .option('--no-progress', 'no progress bar')
  .addOption(new Option('--repo-root <dir>', 'checkout whose bin/rc-agent runs').default(REPO_ROOT).hideHelp())
  .action(async (o: SoakCliOptions) => {
    const out = await runSoak({
      repoRoot: resolve(o.repoRoot),
      outDir: resolve(o.out ?? join(REPO_ROOT, 'bench', 'results', `soak-${timestamp()}`)),
      clients: o.clients,
      ratePerS: o.rate,
      connections: o.connections,
      durationS: o.durationS,
      warmupS: o.warmupS,
      sampleS: o.sampleS,
      pin: o.pin,
      progress: o.progress && process.stderr.isTTY === true,
    });
    process.stdout.write(`${soakSummaryTable(out.results)}\n${outputSummary(out.results.cpu.description, out)}`);
  });

let interrupted = false;
process.on('SIGINT', () => {
  // Second Ctrl-C or not: exit now; the exit hook kills every child the bench started.
  if (interrupted) process.exit(130);
  interrupted = true;
  process.stderr.write('rc-agent bench: interrupted, stopping children\n');
  process.exit(130);
});

try {
  await program.parseAsync(process.argv);
} catch (err) {
  const code = err instanceof BenchError ? ` [${err.code}]` : '';
  process.stderr.write(`rc-agent bench${code}: ${err instanceof Error ? err.message : String(err)}\n`);
  let cause = err instanceof Error ? err.cause : undefined;
  while (cause !== undefined) {
    process.stderr.write(`  caused by: ${cause instanceof Error ? cause.message : JSON.stringify(cause)}\n`);
    cause = cause instanceof Error ? cause.cause : undefined;
  }
  process.exitCode = 1;
}
