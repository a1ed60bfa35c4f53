// `rc-agent backend` as a process: prints its address, serves answers the verifier accepts, picks up config edits
// on its own, and exits cleanly on SIGTERM.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t, { type Test } from 'tap';
import { createHttpBackendClient } from '../../src/backend/index.js';
import { CONFIG_ROOT_FILE, DIRECTOR_ROOT_FILE } from '../../src/backend/simulator.js';
import { createTrustedState, tufVersions, verifyUpdate, type TrustedState } from '../../src/uptane/index.js';
import { AGENT_VERSION, eventually, makeConfigDir, tempDir, text, writeConfig } from '../helpers/backend-sim.js';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(REPO_ROOT, 'bin', 'rc-agent');
const LISTENING = /^listening backend (http:\/\/127\.0\.0\.1:(\d+))$/m;

interface Running {
  child: ChildProcess;
  url: string;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

async function startCli(t: Test, args: string[]): Promise<Running> {
  const child = spawn(BIN, ['backend', ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (err += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  let exitCode: number | null | undefined;
  void exited.then((code) => (exitCode = code));
  const url = await eventually(async () => {
    if (exitCode !== undefined) throw new Error(`rc-agent backend exited with ${exitCode}: ${err}`);
    return LISTENING.exec(out)?.[1];
  }, 60_000);
  return { child, url, stdout: () => out, stderr: () => err, exited };
}

function requestFor(state: TrustedState | undefined) {
  const base = { hostname: 'cli-test', agentVersion: AGENT_VERSION, products: ['APM_TRACING', 'FFE_FLAGS'] };
  if (state === undefined) return base;
  const v = tufVersions(state);
  return {
    ...base,
    currentConfigSnapshotVersion: v.configSnapshot,
    currentConfigRootVersion: v.configRoot,
    currentDirectorRootVersion: v.directorRoot,
    backendClientState: state.opaqueBackendState,
  };
}

void t.test('rc-agent backend --port 0: address on stdout, verified answers, live edits, SIGTERM', async (t) => {
  const configs = makeConfigDir(t);
  const state = join(tempDir(t), 'state');
  const run = await startCli(t, ['--port', '0', '--configs', configs, '--state', state]);
  t.match(run.stdout(), /^listening backend http:\/\/127\.0\.0\.1:\d+\n$/, 'exactly one line on stdout');
  t.not(LISTENING.exec(run.stdout())?.[2], '0', 'a real port');

  const pinned = {
    config: new Uint8Array(readFileSync(join(state, CONFIG_ROOT_FILE))),
    director: new Uint8Array(readFileSync(join(state, DIRECTOR_ROOT_FILE))),
  };
  const client = createHttpBackendClient({ baseUrl: run.url, apiKey: 'k', noTls: true, fetchTimeoutMs: 10_000 });
  t.teardown(() => client.close());
  const first = verifyUpdate(
    createTrustedState(pinned),
    await client.fetchLatestConfigs(requestFor(undefined)),
    Date.now(),
  );
  t.equal(first.files.size, 3);

  // edit a file: the watcher re-publishes without being asked
  const edited = '{"lib_config":{"tracing_sampling_rate":0.25}}';
  writeConfig(configs, 'APM_TRACING/cfg-a/config', edited);
  const res = await eventually(async () => {
    const r = await client.fetchLatestConfigs(requestFor(first));
    return (r.targetFiles?.length ?? 0) > 0 ? r : undefined;
  }, 30_000);
  const next = verifyUpdate(first, res, Date.now());
  t.ok(tufVersions(next).directorTargets > tufVersions(first).directorTargets, 'new director targets version');
  t.equal(text(next.files.get('datadog/2/APM_TRACING/cfg-a/config')), edited, 'the new file bytes');

  run.child.kill('SIGTERM');
  t.equal(await run.exited, 0, 'clean exit on SIGTERM');
  t.match(run.stderr(), /SIGTERM: closing the backend simulator/);
});

void t.test('rc-agent backend serves the shipped examples/configs', async (t) => {
  const state = join(tempDir(t), 'state');
  const run = await startCli(t, ['--port', '0', '--configs', 'examples/configs', '--state', state]);
  const products = readdirSync(join(REPO_ROOT, 'examples/configs'), { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name);
  const pinned = {
    config: new Uint8Array(readFileSync(join(state, CONFIG_ROOT_FILE))),
    director: new Uint8Array(readFileSync(join(state, DIRECTOR_ROOT_FILE))),
  };
  const client = createHttpBackendClient({ baseUrl: run.url, apiKey: 'k', noTls: true, fetchTimeoutMs: 10_000 });
  t.teardown(() => client.close());
  const res = await client.fetchLatestConfigs({ ...requestFor(undefined), products });
  const verified = verifyUpdate(createTrustedState(pinned), res, Date.now());
  t.equal(verified.files.size, res.targetFiles?.length ?? 0, `every shipped config verifies (${products.join(', ')})`);
  run.child.kill('SIGINT');
  t.equal(await run.exited, 0, 'clean exit on SIGINT');
});

void t.test('rc-agent backend rejects bad options', async (t) => {
  const child = spawn(BIN, ['backend', '--fault', 'sometimes'], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (b: Buffer) => (err += b.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  t.not(code, 0);
  t.match(err, /Allowed choices are none, 500, 503, 504, hang, reset, garbage/);
});

void t.test('rc-agent backend reports a missing config directory and exits 1', async (t) => {
  const child = spawn(BIN, ['backend', '--configs', join(tempDir(t), 'missing')], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (err += b.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  t.equal(code, 1);
  t.equal(out, '', 'nothing on stdout');
  t.match(err, /^rc-agent backend: config directory .*missing cannot be read: ENOENT/);
});
