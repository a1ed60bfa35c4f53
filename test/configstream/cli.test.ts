// `rc-agent run --config FILE` and `rc-agent config-stream --json` as real processes: the snapshot, then a SIGHUP
// after a file edit streams one update per changed key; `rc-agent status` lists the remote agent and subscriber.
import t from 'tap';
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, waitUntil } from '../helpers/agent-process.js';

function childEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !k.startsWith('DD_') && k !== 'NODE_OPTIONS' && k !== 'NODE_V8_COVERAGE') env[k] = v;
  }
  return env;
}

function run(args: string[], env: Record<string, string>) {
  const child = spawn(BIN, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const io = { out: '', err: '' };
  child.stdout.on('data', (c: Buffer) => (io.out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (io.err += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, io, exited };
}

t.test('config-stream CLI against a running agent; SIGHUP re-resolves the file', async (t) => {
  const dir = t.testdir();
  const file = join(dir, 'datadog.yaml');
  const yaml = (level: string, env: string) =>
    `log_level: ${level}\ncmd_port: 0\nrun_path: ${join(dir, 'run')}\napm_config:\n  receiver_port: 0\nmy_component:\n  env: ${env}\n`;
  writeFileSync(file, yaml('info', 'prod'));
  const agent = run(['run', '--config', file], { ...childEnv(), DD_SITE: 'datadoghq.eu' });
  t.teardown(async () => {
    if (agent.child.exitCode === null) agent.child.kill('SIGTERM');
    await agent.exited;
  });
  const grpc = await waitUntil('agent listening', () => /^listening grpc (\S+)$/m.exec(agent.io.out)?.[1]);
  const http = await waitUntil('agent listening', () => /^listening http (\S+)$/m.exec(agent.io.out)?.[1]);

  const cs = run(['config-stream', '--name', 'cli-test', '--url', grpc, '--run-path', join(dir, 'run'), '--json'], {
    ...childEnv(),
  });
  t.teardown(async () => {
    if (cs.child.exitCode === null) cs.child.kill('SIGTERM');
    await cs.exited;
  });
  const lines = (): Array<Record<string, unknown>> =>
    cs.io.out
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  await waitUntil('snapshot line', () => lines().length >= 1 || undefined);
  const snapshot = lines()[0] as { type: string; settings: Array<{ key: string; value: unknown; source: string }> };
  t.equal(snapshot.type, 'snapshot');
  const get = (k: string) => snapshot.settings.find((s) => s.key === k);
  t.same(get('log_level'), { key: 'log_level', value: 'info', source: 'file' });
  t.same(get('site'), { key: 'site', value: 'datadoghq.eu', source: 'environment-variable' });
  t.same(get('my_component.env'), { key: 'my_component.env', value: 'prod', source: 'file' });

  writeFileSync(file, yaml('debug', 'staging'));
  agent.child.kill('SIGHUP');
  await waitUntil('two updates', () => lines().length >= 3 || undefined);
  const updates = lines()
    .slice(1)
    .map((l) => [l.key, l.value, l.source]);
  t.same(updates.sort(), [
    ['log_level', 'debug', 'file'],
    ['my_component.env', 'staging', 'file'],
  ]);

  const status = run(['status', '--url', http, '--json'], childEnv());
  t.equal(await status.exited, 0);
  const report = JSON.parse(status.io.out) as {
    configStream: { remoteAgents: Array<{ flavor: string }>; subscribers: Array<{ name: string }> };
  };
  t.match(report.configStream.remoteAgents, [{ flavor: 'cli-test' }]);
  t.match(report.configStream.subscribers, [{ name: 'cli-test' }]);
  t.equal(agent.child.exitCode, null, 'the agent kept running through SIGHUP');
  t.match(agent.io.err, /"reason":"SIGHUP"/, 'SIGHUP re-resolved the configuration');

  // stopping ends the open streams (UNAVAILABLE) instead of leaving the graceful stop waiting for them
  agent.child.kill('SIGTERM');
  t.equal(await agent.exited, 0);
  await waitUntil('the stream ended', () => cs.io.err.includes('stream error 14: agent stopping') || undefined);
});

t.test('AGENT_CONFIG from the local signed source: remote log_level streamed with source remote-config', async (t) => {
  const dir = t.testdir();
  const local = join(dir, 'configs');
  const put = (id: string, doc: unknown) => {
    mkdirSync(join(local, 'AGENT_CONFIG', id), { recursive: true });
    writeFileSync(join(local, 'AGENT_CONFIG', id, 'config'), JSON.stringify(doc));
  };
  put('configuration_order', { order: ['flare'], internal_order: [] });
  put('flare', { name: 'flare', config: { log_level: 'debug' } });
  const file = join(dir, 'datadog.yaml');
  writeFileSync(
    file,
    `log_level: info\ncmd_port: 0\nrun_path: ${join(dir, 'run')}\napm_config:\n  receiver_port: 0\n` +
      `remote_configuration:\n  local:\n    dir: ${local}\n`,
  );
  const agent = run(['run', '--config', file], childEnv());
  t.teardown(async () => {
    if (agent.child.exitCode === null) agent.child.kill('SIGTERM');
    await agent.exited;
  });
  const grpc = await waitUntil('agent listening', () => /^listening grpc (\S+)$/m.exec(agent.io.out)?.[1]);
  const cs = run(['config-stream', '--name', 'rc-test', '--url', grpc, '--run-path', join(dir, 'run'), '--json'], {
    ...childEnv(),
  });
  t.teardown(async () => {
    if (cs.child.exitCode === null) cs.child.kill('SIGTERM');
    await cs.exited;
  });
  type Line = { type: string; key?: string; value?: unknown; source?: string; settings?: Line[] };
  const logLevel = (): Line | undefined => {
    let last: Line | undefined;
    for (const raw of cs.io.out.split('\n').filter(Boolean)) {
      const l = JSON.parse(raw) as Line;
      if (l.type === 'snapshot') last = l.settings!.find((s) => s.key === 'log_level');
      else if (l.key === 'log_level') last = l;
    }
    return last;
  };
  const seen = await waitUntil('remote log level', () => (logLevel()?.value === 'debug' ? logLevel() : undefined));
  t.equal(seen.source, 'remote-config');
  // applied to the running agent's logger
  await waitUntil(
    'the log level change',
    () => /"level":"debug","msg":"changing the log level"/.test(agent.io.err) || undefined,
  );
});
