// Where the client's options are resolved: the seed's fast-lane environment variables, read once from the env the
// caller passes (nothing in the client reads `process.env`), and the checks shared with the setters.
import { checkDelayMs, invalidOption } from './checks.js';
import type { RcClientOptions } from './types.js';

/** The seed's client-side surface (issue 8, Part A). */
export const RC_CLIENT_ENV = {
  /** `true`/`1`: policy `fastlane`; `false`/`0`: `legacy` (one request with every product, like dd-trace-js). */
  FAST_LANE_ENABLED: 'DD_RC_FAST_LANE_ENABLED',
  /** Fast-lane poll interval until the first delivery, ms. */
  FAST_LANE_INTERVAL_MS: 'DD_RC_FAST_LANE_INTERVAL_MS',
  /** Delay before the first fast-lane request, ms (0: at once). */
  FAST_LANE_INITIAL_INTERVAL_MS: 'DD_RC_FAST_LANE_INITIAL_INTERVAL_MS',
} as const;

/** What the environment can set. */
export type RcClientEnvOptions = Pick<RcClientOptions, 'policy' | 'fastLaneIntervalMs' | 'fastLaneInitialIntervalMs'>;

export type RcClientEnv = Readonly<Record<string, string | undefined>>;

/**
 * The options the environment sets; a variable that is unset (or empty) sets nothing. Throws `INVALID_OPTION` naming
 * the variable for a value it cannot use.
 */
export function clientOptionsFromEnv(env: RcClientEnv): RcClientEnvOptions {
  const options: { -readonly [K in keyof RcClientEnvOptions]: RcClientEnvOptions[K] } = {};
  const enabled = envValue(env, RC_CLIENT_ENV.FAST_LANE_ENABLED);
  if (enabled !== undefined) {
    const value = parseBoolean(enabled);
    if (value === undefined) throw invalidOption(RC_CLIENT_ENV.FAST_LANE_ENABLED, 'true, false, 1 or 0', enabled);
    options.policy = value ? 'fastlane' : 'legacy';
  }
  const intervalMs = envValue(env, RC_CLIENT_ENV.FAST_LANE_INTERVAL_MS);
  if (intervalMs !== undefined) {
    options.fastLaneIntervalMs = parseDelayMs(RC_CLIENT_ENV.FAST_LANE_INTERVAL_MS, intervalMs, 1);
  }
  const initialMs = envValue(env, RC_CLIENT_ENV.FAST_LANE_INITIAL_INTERVAL_MS);
  if (initialMs !== undefined) {
    options.fastLaneInitialIntervalMs = parseDelayMs(RC_CLIENT_ENV.FAST_LANE_INITIAL_INTERVAL_MS, initialMs, 0);
  }
  return options;
}

/**
 * `options` over what `env` sets: an explicit option wins, an option given as `undefined` does not count. The
 * older `fastPollIntervalMs` counts as an explicit fast-lane interval.
 */
export function resolveClientOptions(options: RcClientOptions, env: RcClientEnv): RcClientOptions {
  const fromEnv: RcClientEnvOptions = clientOptionsFromEnv(env);
  const explicit = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as RcClientOptions;
  const base =
    explicit.fastPollIntervalMs !== undefined ? { ...fromEnv, fastLaneIntervalMs: undefined } : { ...fromEnv };
  return { ...base, ...explicit };
}

function envValue(env: RcClientEnv, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

function parseBoolean(text: string): boolean | undefined {
  const value = text.toLowerCase();
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  return undefined;
}

function parseDelayMs(name: string, text: string, min: number): number {
  // Digits only: Number() would also take "1e3", "0x10" or " ".
  return checkDelayMs(name, /^\d+$/.test(text) ? Number(text) : Number.NaN, min, text);
}
