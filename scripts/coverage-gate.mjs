// Coverage gate, run by `npm test` after the full tap run: fails when line, branch or function coverage of the shipped
// code (src/ and bench/) falls below the thresholds in package.json "config.coverageGate". tap 21 measures coverage
// but has no percentage thresholds. The thresholds sit a point or two below what the suite reaches; lowering one
// needs a note in the commit and in README "Tests" (what lost coverage and why).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const METRICS = ['lines', 'branches', 'functions'];

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const thresholds = pkg.config?.coverageGate;
if (!thresholds || METRICS.some((m) => typeof thresholds[m] !== 'number')) {
  console.error(`coverage gate: package.json config.coverageGate needs numeric ${METRICS.join(', ')}`);
  process.exit(2);
}

// Turns the last tap run's coverage (.tap/coverage) into .tap/report/coverage-summary.json.
execFileSync(
  process.execPath,
  [join(root, 'node_modules', 'tap', 'dist', 'esm', 'run.mjs'), 'report', 'json-summary'],
  {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
  },
);
const summary = JSON.parse(readFileSync(join(root, '.tap', 'report', 'coverage-summary.json'), 'utf8'));

const totals = Object.fromEntries(METRICS.map((m) => [m, { total: 0, covered: 0 }]));
let files = 0;
for (const [file, entry] of Object.entries(summary)) {
  if (file === 'total') continue;
  const rel = relative(root, file).split(sep).join('/');
  if (!rel.startsWith('src/') && !rel.startsWith('bench/')) continue;
  files++;
  for (const m of METRICS) {
    totals[m].total += entry[m].total;
    totals[m].covered += entry[m].covered;
  }
}
if (files === 0) {
  console.error('coverage gate: no coverage of src/ or bench/ found; run the full `tap` first');
  process.exit(2);
}

let failed = false;
const parts = [];
for (const m of METRICS) {
  const pct = totals[m].total === 0 ? 100 : (100 * totals[m].covered) / totals[m].total;
  const ok = pct >= thresholds[m];
  failed ||= !ok;
  parts.push(`${m} ${pct.toFixed(2)}% (min ${thresholds[m]}%)${ok ? '' : ' BELOW'}`);
}
console.log(`coverage gate (${files} files of src/ and bench/): ${parts.join(', ')}`);
if (failed) {
  console.error('coverage gate failed: add tests, or lower the threshold with a note (README "Tests")');
  process.exit(1);
}
