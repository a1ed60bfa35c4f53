// Test helpers for the backend simulator and the local source: config directories, a simulator closed at teardown,
// raw protobuf calls that expose the status and headers.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';
import { request } from 'undici';
import {
  createHttpBackendClient,
  startBackendSimulator,
  type BackendClient,
  type BackendSimulator,
} from '../../src/backend/index.js';
import { type BackendSimulatorOptions } from '../../src/backend/simulator.js';
import { pb, type ILatestConfigsRequest, type ILatestConfigsResponse } from '../../src/proto/index.js';
import { waitUntil } from './until.js';

export const AGENT_VERSION = '7.70.0';

export const SAMPLE_CONFIGS: Record<string, string> = {
  'APM_TRACING/cfg-a/config': '{"lib_config":{"tracing_sampling_rate":0.5}}',
  'APM_TRACING/cfg-b/config': '{"lib_config":{"tracing_enabled":true}}',
  'APM_TRACING/cfg-b/config.meta.json': '{"tracer_predicates_v1":[{"service":"checkout"}],"expires":0}',
  'FFE_FLAGS/ffe-bench/config': '{"format":"SERVER","environment":{"name":"dev"},"flags":{}}',
};

export function writeConfig(dir: string, rel: string, content: string): void {
  mkdirSync(join(dir, rel, '..'), { recursive: true });
  writeFileSync(join(dir, rel), content);
}

/** A new empty directory, removed at teardown (several per test, unlike `t.testdir()`). */
export function tempDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'rc-backend-test-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A fresh config directory with `files` (default SAMPLE_CONFIGS). */
export function makeConfigDir(t: Test, files: Record<string, string> = SAMPLE_CONFIGS): string {
  const dir = tempDir(t);
  for (const [rel, content] of Object.entries(files)) writeConfig(dir, rel, content);
  return dir;
}

/** A simulator with periodic rescans off (tests call `rescan()`), closed at teardown. */
export async function startSim(
  t: Test,
  opts: Partial<BackendSimulatorOptions> & { configsDir: string },
): Promise<BackendSimulator> {
  const sim = await startBackendSimulator({ pollIntervalMs: 0, ...opts });
  t.teardown(() => sim.close());
  return sim;
}

export function simClient(
  t: Test,
  sim: BackendSimulator,
  opts: { apiKey?: string; fetchTimeoutMs?: number } = {},
): BackendClient {
  const c = createHttpBackendClient({
    baseUrl: sim.url,
    apiKey: opts.apiKey ?? 'test-api-key',
    noTls: true,
    fetchTimeoutMs: opts.fetchTimeoutMs ?? 5_000,
  });
  t.teardown(() => c.close());
  return c;
}

export interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Uint8Array;
}

/** POSTs raw bytes to `/api/v0.1/configurations`. */
export async function postRaw(url: string, body: Uint8Array, headers: Record<string, string> = {}): Promise<RawAnswer> {
  const res = await request(`${url}/api/v0.1/configurations`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-protobuf', ...headers },
    body,
  });
  return { status: res.statusCode, headers: res.headers, body: new Uint8Array(await res.body.arrayBuffer()) };
}

export async function postLatest(
  url: string,
  req: ILatestConfigsRequest,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: RawAnswer['headers']; response?: ILatestConfigsResponse }> {
  const raw = await postRaw(url, pb.LatestConfigsRequest.encode(req).finish(), headers);
  return {
    status: raw.status,
    headers: raw.headers,
    ...(raw.status === 200 ? { response: pb.LatestConfigsResponse.decode(raw.body) } : {}),
  };
}

export function text(raw: Uint8Array | null | undefined): string {
  return Buffer.from(raw ?? new Uint8Array()).toString('utf8');
}

/** `signed` of a raw TUF envelope. */
export function signedOf(raw: Uint8Array | null | undefined): Record<string, unknown> {
  return (JSON.parse(text(raw)) as { signed: Record<string, unknown> }).signed;
}

/** Polls `check` until it returns a value (real time; for fs.watch and child processes only). */
export function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 10_000, stepMs = 50): Promise<T> {
  return waitUntil('a condition', check, timeoutMs, stepMs);
}
