// `rc-agent bench soak`: memory of tracked clients and its growth under a long steady load.
export { runSoak, validateSoakOptions, growthPercent } from './run-soak.js';
export { soakChartSpec, soakSummaryTable } from './soak-report.js';
export { startSoakLoad } from './soak-load.js';

export type { SoakOptions, SoakResults } from './soak-types.js';
