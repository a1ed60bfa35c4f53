// Where a bench run's output goes (results.json and report.html in the results directory), and option checks.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BenchError } from '../error.js';

export interface BenchOutputPaths {
  readonly resultsPath: string;
  readonly reportPath: string;
}

export async function writeBenchOutput(
  outDir: string,
  bench: string,
  results: unknown,
  renderReport: () => Promise<string>,
): Promise<BenchOutputPaths> {
  const resultsPath = join(outDir, 'results.json');
  const reportPath = join(outDir, 'report.html');
  try {
    writeFileSync(resultsPath, `${JSON.stringify(results, null, 2)}\n`);
    writeFileSync(reportPath, await renderReport());
  } catch (err) {
    throw new BenchError('REPORT', `cannot write the ${bench} results to ${outDir}`, { cause: err });
  }
  return { resultsPath, reportPath };
}

/** The closing lines of a bench command: the core split and where the output went. */
export function outputSummary(cpuDescription: string, paths: BenchOutputPaths): string {
  return `cpu: ${cpuDescription}\nresults: ${paths.resultsPath}\nreport: ${paths.reportPath}\n`;
}

/** Throws INVALID_OPTION unless `value` is a finite number ≥ `min`. */
export function requireAtLeast(name: string, value: number, min: number): void {
  if (!Number.isFinite(value) || value < min) {
    throw new BenchError('INVALID_OPTION', `${name} must be ≥ ${min}, got ${value}`);
  }
}
