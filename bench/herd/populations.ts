// The tracer populations of the herd (issue 8): what each emulated tracer sends, in how many requests, and when it
// polls next. Pure: the generator child turns these into sockets and timers.
import {
  DD_TRACE_JS_CAPABILITIES,
  DEFAULT_MAX_BACKOFF_MS,
  DEFAULT_MAX_RETRY_AFTER_MS,
  encodeCapabilities,
  FFE_FLAG_CONFIGURATION_RULES,
  nextPollDelay,
} from '../../src/client/index.js';
import { FFE_PRODUCT } from '../common/index.js';
import type { LaneProfile } from './tracer-state.js';

export const POPULATIONS = ['unchanged', 'split', 'fastlane'] as const;
export type Population = (typeof POPULATIONS)[number];

export const POPULATION_DESCRIPTIONS: Readonly<Record<Population, string>> = {
  unchanged:
    'dd-trace-js 5.x as shipped: one client id, one request with every product, a poll 5 s after each completion',
  split:
    'FFE_FLAGS alone on its own client id, polled every 1 s until a full state arrives, then every 5 s; the other products on a second client id every 5 s; no jitter',
  fastlane:
    "this project's RcClient `fastlane` policy, emulated on the wire: the same two requests, intervals from src/client nextPollDelay (fast lane 1 s until delivered, 5 s otherwise, jittered over [½, 1½]; exponential backoff on errors)",
};

export type ScheduleKind = 'fixed' | 'fast-until-delivered' | 'rc-client-fastlane';

export interface LaneSpec {
  readonly name: 'main' | 'fast';
  readonly profile: LaneProfile;
  readonly schedule: ScheduleKind;
}

export interface PollTiming {
  readonly pollIntervalMs: number;
  readonly fastPollIntervalMs: number;
}

/** dd-trace-js advertises bit 46 when FFE over RC is on; RcClient sends the same capabilities in every lane. */
const CAPABILITIES = encodeCapabilities(DD_TRACE_JS_CAPABILITIES | FFE_FLAG_CONFIGURATION_RULES);

export function populationLanes(population: Population, products: readonly string[]): LaneSpec[] {
  const profile = (list: readonly string[]): LaneProfile => ({
    products: list,
    capabilities: CAPABILITIES,
    env: 'bench',
    appVersion: '1.0.0',
  });
  if (population === 'unchanged') return [{ name: 'main', profile: profile(products), schedule: 'fixed' }];
  const fast = products.filter((p) => p === FFE_PRODUCT);
  const main = products.filter((p) => p !== FFE_PRODUCT);
  const lanes: LaneSpec[] = [];
  const kind: ScheduleKind = population === 'split' ? 'fixed' : 'rc-client-fastlane';
  if (main.length > 0) lanes.push({ name: 'main', profile: profile(main), schedule: kind });
  if (fast.length > 0) {
    lanes.push({
      name: 'fast',
      profile: profile(fast),
      schedule: population === 'split' ? 'fast-until-delivered' : 'rc-client-fastlane',
    });
  }
  return lanes;
}

/** Milliseconds from a poll's completion to the next one. */
export function nextDelayMs(
  lane: LaneSpec,
  timing: PollTiming,
  state: { readonly delivered: boolean; readonly failures: number },
  random: () => number,
): number {
  switch (lane.schedule) {
    case 'fixed':
      return timing.pollIntervalMs;
    case 'fast-until-delivered':
      return state.delivered ? timing.pollIntervalMs : timing.fastPollIntervalMs;
    case 'rc-client-fastlane':
      return nextPollDelay({
        policy: 'fastlane',
        lane: lane.name,
        delivered: state.delivered,
        failures: state.failures,
        pollIntervalMs: timing.pollIntervalMs,
        fastPollIntervalMs: timing.fastPollIntervalMs,
        maxBackoffMs: DEFAULT_MAX_BACKOFF_MS,
        maxRetryAfterMs: DEFAULT_MAX_RETRY_AFTER_MS,
        random,
      }).delayMs;
  }
}
