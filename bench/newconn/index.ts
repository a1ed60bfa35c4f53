// `rc-agent bench newconn`: CPU per new tracer, rc-agent against the bare Node HTTP floor and a fastify route.
export { runNewconn } from './run-newconn.js';
export { type NewconnResults } from './newconn-types.js';
export { newconnSummaryText } from './newconn-report.js';
