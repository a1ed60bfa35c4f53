// Pieces every bench uses: the agent child, the in-process backend simulator, CPU pinning, /proc sampling,
// /metrics parsing, percentiles, run metadata, progress bars and TypeScript worker threads.
export {
  startAgentProcess,
  agentEnv,
  type AgentProcess,
  type AgentProcessOptions,
  type AgentPolicy,
} from './agent-process.js';
export {
  writeBenchConfigs,
  writeFfeRevision,
  ffeDocument,
  expectedPaths,
  startBenchBackend,
  BENCH_ORG_ID,
  FFE_PRODUCT,
  TRACER_PRODUCTS,
  type BenchConfigs,
} from './bench-backend.js';
export { trackChild, stopChild } from './child-registry.js';
export { startListeningChild, type ListeningChild } from './listening-child.js';
export { planCpus, pinSelf, pinnedCommand, hasTaskset, type CpuPlan } from './cpu-pinning.js';
export { getText, waitReady } from './http.js';
export { readProcSample, ProcSampler, type ProcSample } from './proc-stats.js';
export {
  parsePromText,
  deltaSamples,
  sumSamples,
  groupSamples,
  histogramQuantile,
  type PromSample,
  type HistogramQuantile,
} from './prom-text.js';
export { createProgress, type Progress } from './progress.js';
export { writeBenchOutput, outputSummary, requireAtLeast, type BenchOutputPaths } from './output.js';
export { collectRunInfo, type RunInfo } from './run-info.js';
export { distribution, percentile, type Distribution } from './stats.js';
export { startTsWorker, absoluteNowMs, tsxLoaderUrl } from './worker.js';
