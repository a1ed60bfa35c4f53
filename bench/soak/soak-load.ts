// The soak's load: an open-loop generator in the bench process. Every 10 ms it sends the polls due by then, taking
// the client bodies round-robin, so each client polls at a steady interval (clients ÷ rate) like a real tracer.
// A generator that cannot keep up skips polls (counted) instead of bursting.
import { Pool } from 'undici';
import { percentile } from '../common/index.js';

const TICK_MS = 10;
const CONFIG_PATH = '/v0.7/config';
const HEADERS = { 'content-type': 'application/json; charset=utf-8' };

export interface SoakWindow {
  readonly ok: number;
  readonly failed: number;
  readonly p99Ms: number | null;
}

export interface SoakLoad {
  /** Counts since the previous call. */
  takeWindow(): SoakWindow;
  readonly totals: { sent: number; ok: number; failed: number; skipped: number };
  stop(): Promise<void>;
}

export function startSoakLoad(opts: {
  url: string;
  bodies: readonly string[];
  ratePerS: number;
  connections: number;
  nowMs?: () => number;
}): SoakLoad {
  const nowMs = opts.nowMs ?? (() => performance.now());
  const pool = new Pool(opts.url, { connections: opts.connections, pipelining: 1 });
  const totals = { sent: 0, ok: 0, failed: 0, skipped: 0 };
  const maxInFlight = opts.connections * 4;
  let window = { ok: 0, failed: 0, latenciesMs: [] as number[] };
  let inFlight = 0;
  let next = 0;
  const startedMs = nowMs();
  let due = 0;

  const send = (body: string): void => {
    const t0 = nowMs();
    inFlight++;
    totals.sent++;
    pool
      .request({ method: 'POST', path: CONFIG_PATH, headers: HEADERS, body })
      .then(async (res) => {
        await res.body.dump();
        return res.statusCode;
      })
      .then(
        (status) => {
          if (status === 200) {
            totals.ok++;
            window.ok++;
            window.latenciesMs.push(nowMs() - t0);
          } else {
            totals.failed++;
            window.failed++;
          }
        },
        () => {
          totals.failed++;
          window.failed++;
        },
      )
      .finally(() => inFlight--);
  };

  const timer = setInterval(() => {
    const target = Math.floor(((nowMs() - startedMs) / 1000) * opts.ratePerS);
    for (; due < target; due++) {
      if (inFlight >= maxInFlight) {
        totals.skipped++;
        continue;
      }
      send(opts.bodies[next]!);
      next = (next + 1) % opts.bodies.length;
    }
  }, TICK_MS);

  return {
    totals,
    takeWindow() {
      const w = window;
      window = { ok: 0, failed: 0, latenciesMs: [] };
      const sorted = w.latenciesMs.sort((a, b) => a - b);
      const p99 = percentile(sorted, 0.99);
      return { ok: w.ok, failed: w.failed, p99Ms: p99 === undefined ? null : Math.round(p99 * 10) / 10 };
    },
    async stop() {
      clearInterval(timer);
      await pool.close();
    },
  };
}
