// `rc-agent bench herd`: boot storms of tracers against a legacy and a fast-lane agent.
export {
  runHerd,
  compareScenarios,
  speedup,
  summarise,
  spread,
  generatorVerdict,
  GENERATOR_MAX_LOOP_DELAY_P99_MS,
  MAX_REPLICAS,
} from './run-herd.js';
export { renderHerdReport, herdSummaryText, herdHeadline, headlineOrder, rangeText } from './herd-report.js';
export { bootOffsetMs, prepareGenerators } from './generator-load.js';
export { loopbackSourceAddresses } from './source-addresses.js';
export { TIMINGS, FLEETS } from './herd-types.js';
export { POPULATIONS, populationLanes, nextDelayMs } from './populations.js';
export type { Population } from './populations.js';
export { isCurrent, documentIndexAt } from './freshness.js';
export { HttpReplyReader, HttpReplyError } from './http-reply.js';
export { BodyTemplate, LaneState, ReplyError, type LaneProfile } from './tracer-state.js';
export type {
  HerdResults,
  HerdRoundResult,
  HerdScenarioResult,
  HerdScenarioSpec,
  Fleet,
  Timing,
} from './herd-types.js';
export type { GeneratorStats } from './herd-protocol.js';
