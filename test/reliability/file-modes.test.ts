// Issue 13 property 5 (files and exposure): the agent makes run_path 0700 and its files 0600, repairs a token file
// others could read (and says so), and neither the token nor the API key appears in its logs or /status.
import { chmodSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import t from 'tap';
import pino from 'pino';
import { request } from 'undici';
import { startAgent } from '../../src/agent.js';
import { loadConfig } from '../../src/config/index.js';

const TOKEN = 'a'.repeat(64);
const API_KEY = 'secret-api-key-0123456789';

t.test(
  'run_path 0700, store and credentials 0600, a 0644 token repaired with a warning, no secret exposed',
  async (t) => {
    const runPath = join(t.testdir(), 'run');
    mkdirSync(runPath, { mode: 0o755 });
    chmodSync(runPath, 0o755);
    writeFileSync(join(runPath, 'auth_token'), TOKEN, { mode: 0o644 });
    chmodSync(join(runPath, 'auth_token'), 0o644);

    let logs = '';
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logs += chunk.toString();
        done();
      },
    });
    const config = loadConfig({
      env: {},
      overrides: {
        run_path: runPath,
        'apm_config.receiver_port': 0,
        cmd_port: 0,
        // the local source serves; the key still reaches the store identity
        'remote_configuration.api_key': '',
      },
    });
    const agent = await startAgent({
      config: { ...config, remoteConfiguration: { ...config.remoteConfiguration, apiKey: API_KEY } },
      announce: () => undefined,
      log: pino({ level: 'debug' }, sink),
    });
    let stopped = false;
    t.teardown(async () => {
      if (!stopped) await agent.stop();
    });

    t.equal(statSync(runPath).mode & 0o777, 0o700, 'run_path narrowed to 0700');
    for (const name of readdirSync(runPath)) {
      const mode = statSync(join(runPath, name)).mode & 0o777;
      if (statSync(join(runPath, name)).isFile()) t.equal(mode & 0o077, 0, `${name} is private (${mode.toString(8)})`);
    }
    t.equal(statSync(join(runPath, 'auth_token')).mode & 0o777, 0o600);
    t.equal(statSync(join(runPath, 'remote-config.db')).mode & 0o777, 0o600);
    t.match(logs, /auth_token had mode 0644: changed to 0600/);
    t.match(logs, /run_path was accessible to other users/);

    const status = await (await request(`${agent.httpUrl}/status`)).body.text();
    const readyz = await (await request(`${agent.httpUrl}/readyz`)).body.text();
    await agent.stop();
    stopped = true;
    for (const [where, text] of [
      ['logs', logs],
      ['/status', status],
      ['/readyz', readyz],
    ] as const) {
      t.notMatch(text, TOKEN, `the token is not in ${where}`);
      t.notMatch(text, API_KEY, `the API key is not in ${where}`);
    }
  },
);
