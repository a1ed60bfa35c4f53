// Pieces every bench uses: the agent child, the in-process backend simulator, CPU pinning, /proc sampling,
// /metrics parsing, percentiles, run metadata, progress bars and TypeScript worker threads.
export { startAgentProcess, type AgentProcess, type AgentPolicy } from './agent-process.js';
export { startBenchStack, type BenchStack } from './bench-stack.js';
export {
  writeBenchConfigs,
  writeFfeRevision,
  expectedPaths,
  startBenchBackend,
  FFE_PRODUCT,
  TRACER_PRODUCTS,
  type BenchConfigs,
} from './bench-backend.js';
export { trackChild, stopChild } from './child-registry.js';
export { startListeningChild, type ListeningChild } from './listening-child.js';
export { planCpus, pinSelf, pinnedCommand, type CpuPlan } from './cpu-pinning.js';
export { getText } from './http.js';
export { readProcSample, ProcSampler } from './proc-stats.js';
export {
  parsePromText,
  deltaSamples,
  sumSamples,
  groupSamples,
  histogramMean,
  histogramQuantile,
  type PromSample,
} from './prom-text.js';
export { createProgress } from './progress.js';
export { writeBenchOutput, outputSummary, requireAtLeast, type BenchOutputPaths } from './output.js';
export { collectRunInfo, type RunInfo } from './run-info.js';
export { distribution, percentile, type Distribution } from './stats.js';
export { absoluteNowMs, tsxLoaderUrl } from './worker.js';
