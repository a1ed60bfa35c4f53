// When a lane polls next. Pure: randomness and "now" come in as arguments.
import type { RcLaneName, RcPolicy, RcScheduledEvent } from './types.js';

export interface NextPollInput {
  readonly policy: RcPolicy;
  readonly lane: RcLaneName;
  /** The fast lane has received a full state (targets) at least once. */
  readonly delivered: boolean;
  /** Consecutive failed polls, this one included (0 after a success). */
  readonly failures: number;
  readonly pollIntervalMs: number;
  readonly fastPollIntervalMs: number;
  readonly maxBackoffMs: number;
  readonly maxRetryAfterMs: number;
  /** Director targets `custom.agent_refresh_interval`, seconds. */
  readonly agentRefreshIntervalS?: number;
  /** A 429/503 `Retry-After`, already converted to a delay. */
  readonly retryAfterMs?: number;
  /** Uniform in [0, 1). */
  readonly random: () => number;
}

/** The agent honours `agent_refresh_interval` only in [1 s, 60 s] (PROTOCOL.md §4.6); so do we. */
const REFRESH_OVERRIDE_MIN_S = 1;
const REFRESH_OVERRIDE_MAX_S = 60;

export function nextPollDelay(input: NextPollInput): Omit<RcScheduledEvent, 'lane'> {
  // dd-trace-js: a fixed delay after each completion, whatever happened (PROTOCOL.md §7).
  if (input.policy === 'legacy') return { delayMs: input.pollIntervalMs, reason: 'interval' };

  const fast = input.lane === 'fast' && !input.delivered;
  let baseMs = fast ? input.fastPollIntervalMs : input.pollIntervalMs;
  const override = input.agentRefreshIntervalS;
  if (override !== undefined && override >= REFRESH_OVERRIDE_MIN_S && override <= REFRESH_OVERRIDE_MAX_S) {
    // The agent may slow us down, never speed us up.
    baseMs = Math.max(baseMs, override * 1000);
  }
  if (input.failures === 0) {
    return { delayMs: intervalJitterMs(baseMs, input.random), reason: fast ? 'fast-interval' : 'interval' };
  }
  const backoffMs = fullJitterMs(backoffCeilingMs(baseMs, input.failures, input.maxBackoffMs), input.random);
  if (input.retryAfterMs !== undefined) {
    const retryAfterMs = Math.min(input.retryAfterMs, input.maxRetryAfterMs);
    if (retryAfterMs > backoffMs) return { delayMs: retryAfterMs, reason: 'retry-after' };
  }
  return { delayMs: backoffMs, reason: 'backoff' };
}

/**
 * Poll intervals: uniform over a whole interval centred on it, [interval/2, 3·interval/2]. A herd that booted
 * together spreads over a full interval, and the mean rate stays one poll per interval (full jitter, [0, interval],
 * would double every client's request rate).
 */
export function intervalJitterMs(intervalMs: number, random: () => number): number {
  return Math.round(intervalMs * (0.5 + random()));
}

/** "Full jitter" (errors): uniform in [0, ceiling]. */
export function fullJitterMs(ceilingMs: number, random: () => number): number {
  return Math.round(random() * ceilingMs);
}

/** `min(cap, base · 2^failures)`. */
export function backoffCeilingMs(baseMs: number, failures: number, capMs: number): number {
  return Math.min(capMs, baseMs * 2 ** Math.min(failures, 30));
}

/** `Retry-After` as delta-seconds or an HTTP date (RFC 9110 §10.2.3); undefined when absent or unparsable. */
export function parseRetryAfterMs(value: string | string[] | undefined, nowMs: number): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined) return undefined;
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const dateMs = Date.parse(trimmed);
  if (Number.isNaN(dateMs)) return undefined;
  return Math.max(0, dateMs - nowMs);
}
