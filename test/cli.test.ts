// The rc-agent command line as a user meets it: `--help` lists every command (bench included), `status` finds the
// agent where `run` puts it (the same config file and DD_ variables), and explains why new clients waited.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { formatStatus } from '../src/status.js';
import { BIN } from './helpers/agent-process.js';
import { FAKE_STATUS } from './helpers/fake-service.js';

const run = promisify(execFile);

t.test('--help lists every command', async (t) => {
  const { stdout } = await run(BIN, ['--help']);
  for (const command of ['run', 'status', 'backend', 'bench']) t.match(stdout, new RegExp(`^  ${command}\\b`, 'm'));
});

t.test('status reads the agent address from the same DD_ variables as run', async (t) => {
  const status = { ...FAKE_STATUS, backend: 'seen-by-status' };
  const server = createServer((req, res) => {
    res.writeHead(req.url === '/status' ? 200 : 404, { 'content-type': 'application/json' });
    res.end(JSON.stringify(status));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.address() as AddressInfo;
  const env = { ...process.env, DD_APM_RECEIVER_PORT: String(port), DD_BIND_HOST: '127.0.0.1' };
  const { stdout } = await run(BIN, ['status', '--json'], { env });
  t.equal((JSON.parse(stdout) as { backend: string }).backend, 'seen-by-status');
});

t.test('status text explains what is fetched and why new clients waited', (t) => {
  const text = formatStatus({
    ...FAKE_STATUS,
    fetchedProducts: ['FFE_FLAGS'],
    freshAsOf: '2026-11-30T06:00:00.000Z',
    activeClients: [
      {
        id: 'tracer-1',
        products: ['FFE_FLAGS'],
        kind: 'tracer',
        lastSeen: '2026-11-30T06:00:01.000Z',
        lastBypass: { outcome: 'joined_refresh', waitedMs: 87, at: '2026-11-30T06:00:01.000Z' },
      },
    ],
    sourceWarnings: ['FFE_FLAGS/stray: expected a directory <PRODUCT>/<config_id>/, skipped'],
  });
  t.match(text, /Fetching: +FFE_FLAGS \(backend state as of 2026-11-30T06:00:00.000Z\)/);
  t.match(text, /tracer-1 +\[FFE_FLAGS\] +joined_refresh after 87 ms/);
  t.match(text, /skipped: FFE_FLAGS\/stray/);
  t.end();
});

t.test('config prints every effective setting with its source, secrets scrubbed', async (t) => {
  const env = { ...process.env, DD_API_KEY: '0123456789abcdef0123456789abcdef', DD_LOG_LEVEL: 'debug' };
  const { stdout } = await run(BIN, ['config', '--json'], { env });
  const settings = JSON.parse(stdout) as Record<string, { value: unknown; source: string }>;
  t.same(settings.log_level, { value: 'debug', source: 'environment-variable' });
  t.same(settings.cmd_port, { value: 5001, source: 'default' });
  t.equal(settings.api_key?.value, `${'*'.repeat(27)}bcdef`, 'the API key keeps only its last characters');
  t.notMatch(stdout, /0123456789abcdef0123/);
});

t.test('a busy port or a run_path in use stops start-up with one line naming the setting', async (t) => {
  const busy = createServer();
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => busy.close(() => resolve())));
  const { port } = busy.address() as AddressInfo;
  const runPath = mkdtempSync(join(tmpdir(), 'rc-cli-'));
  t.teardown(() => rmSync(runPath, { recursive: true, force: true }));
  const env = { ...process.env, DD_RUN_PATH: runPath, DD_APM_RECEIVER_PORT: String(port), DD_CMD_PORT: '0' };
  const failed = await run(BIN, ['run'], { env }).then(
    () => undefined,
    (err: { code: number; stderr: string }) => err,
  );
  t.equal(failed?.code, 2);
  t.match(
    failed?.stderr,
    new RegExp(
      `^rc-agent: cannot listen for HTTP on 127\\.0\\.0\\.1:${port} \\(EADDRINUSE\\): set apm_config\\.receiver_port \\(DD_APM_RECEIVER_PORT\\)`,
      'm',
    ),
  );
  t.equal(
    failed?.stderr
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('rc-agent:') || l.includes(' at ')).length,
    1,
    'one line, no stack',
  );

  writeFileSync(join(runPath, 'rc-agent.pid'), `${process.pid}\n`); // a live owner: this test process
  const locked = await run(BIN, ['run'], { env: { ...env, DD_APM_RECEIVER_PORT: '0' } }).then(
    () => undefined,
    (err: { code: number; stderr: string }) => err,
  );
  t.equal(locked?.code, 2);
  t.match(
    locked?.stderr,
    /run_path .* is in use by another rc-agent \(pid \d+\): give each agent its own run_path \(DD_RUN_PATH\)/,
  );
});
