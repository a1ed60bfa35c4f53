// `npm test`'s static steps run side by side (`node scripts/checks.mjs typecheck lint …`, each an npm script): they
// are independent and single-threaded, so on a machine with two or more cores they take the time of the longest one
// instead of their sum. Each step's output is printed whole when it ends; the exit code is 1 if any step failed.
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';

const steps = process.argv.slice(2);
if (steps.length === 0) {
  process.stderr.write('usage: node scripts/checks.mjs <npm script>...\n');
  process.exit(2);
}
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const limit = Math.max(1, Math.min(steps.length, availableParallelism()));

/** Runs one npm script; resolves with its exit code and combined output. */
function runStep(name) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(npm, ['run', '--silent', name], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', (err) => (output += `${err.message}\n`));
    child.on('close', (code) => {
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      const mark = code === 0 ? 'ok' : `FAILED (exit ${code})`;
      process.stdout.write(
        `── ${name}: ${mark} in ${seconds} s\n${output}${output.endsWith('\n') || !output ? '' : '\n'}`,
      );
      resolve(code === 0);
    });
  });
}

const queue = [...steps];
const results = [];
async function worker() {
  for (let name = queue.shift(); name !== undefined; name = queue.shift()) results.push(await runStep(name));
}
process.stdout.write(`checks: ${steps.join(', ')} (${limit} at a time)\n`);
await Promise.all(Array.from({ length: limit }, worker));
process.exit(results.every(Boolean) ? 0 : 1);
