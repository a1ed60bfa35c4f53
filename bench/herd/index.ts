// `rc-agent bench herd`: boot storms of tracers against a legacy and a fast-lane agent.
export { runHerd, validateHerdOptions, compareScenarios, summaryLine, type HerdRunOutput } from './run-herd.js';
export { renderHerdReport } from './herd-report.js';
export { bootOffsetMs } from './emulated-load.js';
export { realTracerEnv, TRACER_APP_PATH } from './real-load.js';
export { scenarioKey } from './herd-types.js';
export type {
  HerdOptions,
  HerdResults,
  HerdScenarioResult,
  HerdScenarioSpec,
  HerdComparison,
  ClientKind,
  Samples,
} from './herd-types.js';
export type { TracerResult } from './herd-protocol.js';
