// A real `rc-agent run` process against the backend simulator on loopback, for the reliability tests
// (shutdown, backend faults, attacks, crash safety): both live in one temporary directory removed at teardown.
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { startBackendSimulator, type BackendSimulator } from '../../src/backend/index.js';
import { type BackendSimulatorOptions } from '../../src/backend/simulator.js';
import { spawnAgent, waitUntil, type AgentProcess } from './agent-process.js';

// The tests' own copy of the example configs (users are invited to edit examples/configs/).
const EXAMPLES = new URL('../fixtures/configs/', import.meta.url);

export interface Teardown {
  teardown(fn: () => unknown): void;
}

export interface AgentWithBackend {
  readonly work: string;
  readonly runPath: string;
  readonly configsDir: string;
  readonly backendState: string;
  backend: BackendSimulator;
  agent: AgentProcess;
  /** the agent's env, to restart it on the same run_path */
  readonly env: Record<string, string>;
  /** Starts the simulator again on the same state and port (after `backend.close()`). */
  restartBackend(opts?: Partial<BackendSimulatorOptions>): Promise<BackendSimulator>;
  restartAgent(extraEnv?: Record<string, string>): Promise<AgentProcess>;
}

export async function startAgentWithBackend(
  t: Teardown,
  opts: { env?: Record<string, string>; backend?: Partial<BackendSimulatorOptions> } = {},
): Promise<AgentWithBackend> {
  const work = mkdtempSync(join(tmpdir(), 'rc-reliab-'));
  const configsDir = join(work, 'configs');
  cpSync(EXAMPLES, configsDir, { recursive: true });
  const backendState = join(work, 'backend');
  const runPath = join(work, 'agent');
  const backendOpts = (port: number, more: Partial<BackendSimulatorOptions> = {}): BackendSimulatorOptions => ({
    configsDir,
    stateDir: backendState,
    agentRefreshIntervalS: 1,
    pollIntervalMs: 0,
    port,
    ...opts.backend,
    ...more,
  });
  const backend = await startBackendSimulator(backendOpts(0));
  const port = Number(new URL(backend.url).port);
  const env = {
    DD_RUN_PATH: runPath,
    DD_API_KEY: 'reliability-key',
    DD_REMOTE_CONFIGURATION_RC_DD_URL: backend.url,
    DD_REMOTE_CONFIGURATION_NO_TLS: 'true',
    DD_REMOTE_CONFIGURATION_CONFIG_ROOT: join(backendState, 'config-root.json'),
    DD_REMOTE_CONFIGURATION_DIRECTOR_ROOT: join(backendState, 'director-root.json'),
    ...opts.env,
  };
  const h: AgentWithBackend = {
    work,
    runPath,
    configsDir,
    backendState,
    backend,
    agent: await spawnAgent(env),
    env,
    restartBackend: async (more) => {
      h.backend = await startBackendSimulator(backendOpts(port, more));
      return h.backend;
    },
    restartAgent: async (extraEnv = {}) => {
      h.agent = await spawnAgent({ ...env, ...extraEnv });
      return h.agent;
    },
  };
  t.teardown(async () => {
    await h.agent.stop('SIGKILL');
    await h.backend.close();
    rmSync(work, { recursive: true, force: true });
  });
  return h;
}

/** A dd-trace-js-shaped first poll of a new tracer client. */
export function tracerRequest(id: string, products: readonly string[], service = 'checkout'): string {
  return JSON.stringify({
    client: {
      state: { root_version: 1, targets_version: 0, config_states: [], has_error: false, error: '' },
      id,
      products,
      is_tracer: true,
      client_tracer: { runtime_id: `rt-${id}`, language: 'node', tracer_version: '5.50.0', service, env: 'dev' },
    },
    cached_target_files: [],
  });
}

export interface ConfigAnswer {
  readonly status: number;
  readonly body: string;
}

export async function postConfig(httpUrl: string, body: string): Promise<ConfigAnswer> {
  const res = await request(`${httpUrl}/v0.7/config`, { method: 'POST', body });
  return { status: res.statusCode, body: await res.body.text() };
}

export async function getJson<T>(url: string): Promise<{ status: number; body: T }> {
  const res = await request(url);
  return { status: res.statusCode, body: (await res.body.json()) as T };
}

/** Waits until the agent answers /readyz with 200. */
export async function waitReady(httpUrl: string, timeoutMs = 20_000): Promise<void> {
  await waitUntil(
    'readyz 200',
    async () => {
      const res = await request(`${httpUrl}/readyz`);
      await res.body.dump();
      return res.statusCode === 200 ? true : undefined;
    },
    timeoutMs,
  );
}

/** The files of a verified answer, by path: what a tracer would apply. */
export function servedFiles(body: string): Record<string, string> {
  const parsed = JSON.parse(body) as { target_files?: Array<{ path: string; raw: string }> };
  const out: Record<string, string> = {};
  for (const f of parsed.target_files ?? []) out[f.path] = f.raw;
  return out;
}
