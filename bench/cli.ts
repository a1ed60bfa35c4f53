// `rc-agent bench …` (bin/rc-agent dispatches here, so src/ never imports bench/): `herd`, `throughput`, `soak`, `newconn`.
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError, Option } from 'commander';
import { TRACER_PRODUCTS, outputSummary } from './common/index.js';
import { BenchError } from './error.js';
import {
  herdSummaryText,
  runHerd,
  POPULATIONS,
  TIMINGS,
  FLEETS,
  MAX_REPLICAS,
  type Fleet,
  type HerdScenarioSpec,
  type Population,
  type Timing,
} from './herd/index.js';
import { newconnSummaryText, runNewconn } from './newconn/index.js';
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
/** A comma list whose items are each one of `allowed` (or an alias of one). */
function oneOf<T extends string>(
  what: string,
  allowed: readonly T[],
  aliases: Readonly<Record<string, T>> = {},
): (value: string) => T[] {
  return (value) => [
    ...new Set(
      list(value).map((item) => {
        const v = aliases[item] ?? item;
        if (!allowed.includes(v as T)) {
          throw new InvalidArgumentError(`"${item}" is not a ${what} (${allowed.join(', ')})`);
        }
        return v as T;
      }),
    ),
  ];
}

function timestamp(): string {
  return new Date().toISOString().replace(/[:.]/g, '-');
}

interface HerdCliOptions {
  tracers: number;
  rampMs: number;
  capMs: number;
  backendRttMs: number;
  policies: Array<(typeof POLICIES)[number]>;
  populations: Population[];
  timings: Timing[];
  rounds: number;
  generatorProcs: number;
  products: string[];
  pollIntervalMs: number;
  fastPollIntervalMs: number;
  requestTimeoutMs: number;
  steadyDelayMs: number;
  steadyWindowMs: number;
  real?: number;
  launchPerS: number;
  out?: string;
  pin: boolean;
  progress: boolean;
  agentEnv?: Record<string, string>;
  replicas: number;
  independent: boolean;
  compareIndependent: boolean;
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
  .description(
    'boot a herd of emulated tracers against legacy and fast-lane agents; time each tracer to the current FFE_FLAGS',
  )
  .option('--tracers <n>', 'tracers per scenario', integer(1, 100_000), 1000)
  .option('--ramp-ms <ms>', 'boots spread evenly over this window', integer(0), 1000)
  .option('--cap-ms <ms>', 'stop a scenario this long after the last boot at the latest', integer(0), 30_000)
  .option('--backend-rtt-ms <ms>', 'backend simulator latency', integer(0, 60_000), 100)
  .addOption(
    new Option('--policies <list>', 'agent policies (DD_REMOTE_CONFIGURATION_POLICY)')
      .argParser(oneOf('policy', POLICIES))
      .default([...POLICIES], POLICIES.join(',')),
  )
  .addOption(
    new Option('--populations <list>', 'tracer populations: unchanged (a), split (b), fastlane (c)')
      .argParser(oneOf('population', POPULATIONS, { a: 'unchanged', b: 'split', c: 'fastlane' }))
      .default([...POPULATIONS], POPULATIONS.join(',')),
  )
  .addOption(
    new Option('--timings <list>', 'when the herd starts: ready, steady, changed')
      .argParser(oneOf('timing', TIMINGS))
      .default([...TIMINGS], TIMINGS.join(',')),
  )
  .option('--rounds <n>', 'runs per scenario (medians and spread are reported)', integer(1, 100), 1)
  .option(
    '--generator-procs <n>',
    "load-generator processes (default: the cores left after the agent's)",
    integer(1, 256),
    Math.max(1, availableParallelism() - 1),
  )
  .addOption(
    new Option('--products <list>', 'products each tracer asks for (must include FFE_FLAGS)')
      .argParser(list)
      .default([...TRACER_PRODUCTS], TRACER_PRODUCTS.join(',')),
  )
  .option('--poll-interval-ms <ms>', 'tracer poll interval (dd-trace-js: 5000)', integer(1), 5000)
  .option('--fast-poll-interval-ms <ms>', 'split/fastlane FFE_FLAGS interval until first delivery', integer(1), 1000)
  .option('--request-timeout-ms <ms>', 'tracer request timeout (dd-trace-js: 2000)', integer(1), 2000)
  .option('--steady-delay-ms <ms>', 'steady/changed: the herd starts this long after readiness', integer(3000), 6000)
  .option('--steady-window-ms <ms>', 'agent CPU per steady poll measured over this window (0: skip)', integer(0), 5000)
  .option('--real <n>', 'use N real dd-trace-js processes instead of emulated tracers', integer(1, 2000))
  .option('--launch-per-s <n>', 'real tracer process launches per second', integer(1, 1000), 4)
  .option('--out <dir>', 'results directory (default bench/results/herd-<time>)')
  .option('--no-pin', 'do not pin agent and load to separate cores')
  .option('--no-progress', 'no progress bar')
  .option('--agent-env <KEY=VALUE>', 'extra agent setting (repeatable)', keyValue)
  .option(
    '--replicas <n>',
    'agent replicas sharing one Redis (spawned) and one backend; the herd is spread round-robin over them',
    integer(1, MAX_REPLICAS),
    1,
  )
  .option('--independent', 'with --replicas N: the same replicas without Redis (each polls the backend itself)', false)
  .option('--compare-independent', 'with --replicas N: run every scenario on the Redis fleet and independently', false)
  .addOption(new Option('--repo-root <dir>', 'checkout whose bin/rc-agent runs').default(REPO_ROOT).hideHelp())
  .action(async (o: HerdCliOptions) => {
    if (o.replicas < 2 && (o.independent || o.compareIndependent)) {
      throw new BenchError('INVALID_OPTION', '--independent and --compare-independent need --replicas N with N ≥ 2');
    }
    if (o.independent && o.compareIndependent) {
      throw new BenchError('INVALID_OPTION', '--independent and --compare-independent exclude each other');
    }
    const fleets: ReadonlyArray<Fleet | undefined> =
      o.replicas < 2 ? [undefined] : o.independent ? ['independent'] : o.compareIndependent ? [...FLEETS] : ['redis'];
    // Real dd-trace-js processes are unchanged tracers; the `changed` timing needs an observable document hash.
    const populations = o.real !== undefined ? ['unchanged' as const] : o.populations;
    const timings =
      o.real !== undefined && o.timings.includes('changed') ? o.timings.filter((t) => t !== 'changed') : o.timings;
    const specs: HerdScenarioSpec[] = [];
    for (const timing of timings) {
      for (const population of populations) {
        for (const fleet of fleets) {
          for (const policy of o.policies) specs.push({ policy, population, timing, ...(fleet ? { fleet } : {}) });
        }
      }
    }
    const out = await runHerd({
      repoRoot: resolve(o.repoRoot),
      outDir: resolve(o.out ?? join(REPO_ROOT, 'bench', 'results', `herd-${timestamp()}`)),
      tracers: o.real ?? o.tracers,
      rampMs: o.rampMs,
      capMs: o.capMs,
      backendRttMs: o.backendRttMs,
      scenarios: specs,
      rounds: o.rounds,
      generatorProcs: o.generatorProcs,
      products: o.products,
      pollIntervalMs: o.pollIntervalMs,
      fastPollIntervalMs: o.fastPollIntervalMs,
      requestTimeoutMs: o.requestTimeoutMs,
      steadyDelayMs: o.steadyDelayMs,
      steadyWindowMs: o.steadyWindowMs,
      pin: o.pin,
      ...(o.real === undefined ? {} : { real: { launchPerS: o.launchPerS } }),
      progress: o.progress && process.stderr.isTTY === true,
      ...(o.agentEnv === undefined ? {} : { agentEnv: o.agentEnv }),
      ...(o.replicas > 1 ? { replicas: o.replicas } : {}),
    });
    process.stdout.write(`${herdSummaryText(out.results)}\nresults: ${out.resultsPath}\nreport: ${out.reportPath}\n`);
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

interface NewconnCliOptions {
  tracers: number;
  rampMs: number;
  rounds: number;
  capMs: number;
  out?: string;
  pin: boolean;
  progress: boolean;
  cpuProf?: boolean;
  agentEnv?: Record<string, string>;
  repoRoot: string;
}

program
  .command('newconn')
  .description(
    'server CPU per new tracer (connection + first poll): rc-agent vs a bare node:http server (the floor) and a fastify route with the same bytes',
  )
  .option('--tracers <n>', 'new tracers per target and round', integer(1, 1_000_000), 10_000)
  .option('--ramp-ms <ms>', 'boots spread evenly over this window', integer(0), 5000)
  .option(
    '--rounds <n>',
    'alternating rounds over the three targets (the cheapest valid one counts)',
    integer(1, 100),
    2,
  )
  .option('--cap-ms <ms>', 'stop a round this long after the last boot at the latest', integer(0), 10_000)
  .option('--out <dir>', 'results directory (default bench/results/newconn-<time>)')
  .option('--no-pin', 'do not pin servers and load to separate cores')
  .option('--no-progress', 'no progress bar')
  .option('--cpu-prof', 'run the agent under node --cpu-prof; the profile and its top frames land in the results')
  .option('--agent-env <KEY=VALUE>', 'extra agent setting (repeatable)', keyValue)
  .addOption(new Option('--repo-root <dir>', 'checkout whose bin/rc-agent runs').default(REPO_ROOT).hideHelp())
  .action(async (o: NewconnCliOptions) => {
    const out = await runNewconn({
      repoRoot: resolve(o.repoRoot),
      outDir: resolve(o.out ?? join(REPO_ROOT, 'bench', 'results', `newconn-${timestamp()}`)),
      tracers: o.tracers,
      rampMs: o.rampMs,
      rounds: o.rounds,
      capMs: o.capMs,
      pin: o.pin,
      progress: o.progress && process.stderr.isTTY === true,
      ...(o.cpuProf === true ? { cpuProf: true } : {}),
      ...(o.agentEnv === undefined ? {} : { agentEnv: o.agentEnv }),
    });
    process.stdout.write(`${newconnSummaryText(out.results)}${outputSummary(out.results.cpu.description, out)}`);
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
