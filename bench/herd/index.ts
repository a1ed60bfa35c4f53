// `rc-agent bench herd`: boot storms of tracers against a legacy and a fast-lane agent.
export {
  runHerd,
  validateHerdOptions,
  compareScenarios,
  speedup,
  summarise,
  spread,
  generatorVerdict,
  roundLine,
  GENERATOR_MAX_LOOP_DELAY_P99_MS,
  GENERATOR_MAX_CPU_BUSIEST_SECOND,
  MAX_REPLICAS,
  type HerdRunOutput,
} from './run-herd.js';
export { renderHerdReport, herdSummaryText, herdHeadline, headlineOrder, rangeText } from './herd-report.js';
export { bootOffsetMs, prepareGenerators } from './generator-load.js';
export { realTracerEnv, TRACER_APP_PATH } from './real-load.js';
export { scenarioKey, TIMINGS, FLEETS } from './herd-types.js';
export { POPULATIONS, POPULATION_DESCRIPTIONS, populationLanes, nextDelayMs } from './populations.js';
export type { Population, LaneSpec } from './populations.js';
export { isCurrent, documentIndexAt, FRESHNESS_GRACE_MS, type FfeTimeline } from './freshness.js';
export { HttpReplyReader, HttpReplyError, type HttpReply } from './http-reply.js';
export { BodyTemplate, LaneState, ReplyError, type TracerIds, type LaneProfile } from './tracer-state.js';
export type {
  HerdOptions,
  HerdResults,
  HerdRoundResult,
  HerdScenarioResult,
  HerdScenarioSpec,
  HerdComparison,
  Fleet,
  ReplicaResult,
  Samples,
  Spread,
  Timing,
} from './herd-types.js';
export type { TracerResult, GeneratorStats } from './herd-protocol.js';
