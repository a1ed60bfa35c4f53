// `rc-agent bench newconn`: CPU per new tracer, rc-agent against the bare Node HTTP floor and a fastify route.
export { runNewconn, validateNewconnOptions } from './run-newconn.js';
export {
  NEWCONN_TARGETS,
  type NewconnOptions,
  type NewconnResults,
  type NewconnRound,
  type NewconnTarget,
} from './newconn-types.js';
export { newconnSummaryText, renderNewconnReport } from './newconn-report.js';
