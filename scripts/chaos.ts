// `npm run chaos`: the long variants of the reliability tests (issue 13) — kill -9 iterations, backend faults ×
// requests, attacks, fuzz cases, in-flight requests at shutdown — run through tap with larger counts, then one
// summary line per property ("0 lost, 0 unverified, 0 crashes" or what failed). `npm test` runs the same files with
// small counts. Options: --kills N (50), --fuzz N (1000), --requests N (50 per fault mode and attack).
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    kills: { type: 'string', default: '50' },
    fuzz: { type: 'string', default: '1000' },
    requests: { type: 'string', default: '50' },
  },
});

const FILES = [
  'test/reliability/crash-safety.test.ts',
  'test/reliability/backend-faults.test.ts',
  'test/reliability/fuzz.test.ts',
  'test/reliability/shutdown.test.ts',
];

const env = {
  ...process.env,
  RC_CHAOS_KILLS: values.kills,
  RC_FUZZ_RUNS: values.fuzz,
  RC_FAULT_REQUESTS: values.requests,
  RC_ATTACKS: 'all',
};

process.stderr.write(
  `chaos: ${values.kills} kill -9 iterations, ${values.fuzz} fuzz cases per transport, ${values.requests} requests per fault/attack\n`,
);
const child = spawn(
  'npx',
  ['tap', '--disable-coverage', '--jobs', '1', '--timeout', '3600', '--reporter', 'tap', ...FILES],
  { env, stdio: ['ignore', 'pipe', 'inherit'] },
);
const summaries: string[] = [];
let failures = 0;
let buffered = '';
child.stdout.on('data', (chunk: Buffer) => {
  buffered += chunk.toString();
  const lines = buffered.split('\n');
  buffered = lines.pop() ?? '';
  for (const line of lines) {
    const summary = /# chaos (.*)$/.exec(line)?.[1];
    if (summary !== undefined) {
      summaries.push(summary);
      process.stderr.write(`  ${summary}\n`);
    }
    // progress: one line per finished subtest
    const done = /^ {4}(not ok|ok) \d+ - (.*?)(?: # time=.*)?$/.exec(line);
    if (done) {
      if (done[1] === 'not ok') failures++;
      process.stderr.write(`${done[1] === 'ok' ? '✔' : '✘'} ${done[2]}\n`);
    }
  }
});
const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
process.stdout.write('\nchaos summary\n');
for (const s of summaries) process.stdout.write(`  ${s}\n`);
process.stdout.write(failures === 0 && code === 0 ? 'all properties held\n' : `${failures} failing subtests\n`);
process.exit(code ?? 1);
