// The benchmarks, as a library (bench/cli.ts is the command line). A consumer of src/: nothing in src/ imports it.
export { runHerd, renderHerdReport, scenarioKey } from './herd/index.js';
export type { HerdOptions, HerdResults, HerdScenarioResult, HerdScenarioSpec } from './herd/index.js';
export { runThroughput, renderThroughputReport } from './throughput/index.js';
export type { ThroughputOptions, ThroughputResults } from './throughput/index.js';
export { BenchError, BENCH_ERROR_CODES, type BenchErrorCode } from './error.js';
