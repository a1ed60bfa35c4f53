// `rc-agent bench soak`: memory of tracked clients and its growth under a long steady load.
export { runSoak, validateSoakOptions, growthPercent, type SoakRunOutput } from './run-soak.js';
export { renderSoakReport, soakChartSpec, soakSummaryTable } from './soak-report.js';
export { startSoakLoad, type SoakLoad, type SoakWindow } from './soak-load.js';
export { SOAK_MAX_GROWTH_PERCENT, SOAK_MAX_RSS_BYTES_10K_CLIENTS } from './soak-goals.js';
export type { SoakOptions, SoakResults, SoakSample } from './soak-types.js';
