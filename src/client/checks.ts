// Option checks shared by the env parser, the constructor and the setters: `INVALID_OPTION` naming the option.
import { RcClientError } from './error.js';

/** Node runs a longer timer after 1 ms (TimeoutOverflowWarning), so no delay may exceed it. */
export const MAX_DELAY_MS = 2 ** 31 - 1;

/** An integer delay in [min, MAX_DELAY_MS]; `INVALID_OPTION` naming `name` (and showing `shown`) otherwise. */
export function checkDelayMs(name: string, value: number, min: number, shown = String(value)): number {
  if (!Number.isInteger(value) || value < min || value > MAX_DELAY_MS) {
    throw invalidOption(name, `an integer number of milliseconds in [${min}, ${MAX_DELAY_MS}]`, shown);
  }
  return value;
}

/** An integer >= 1; `INVALID_OPTION` naming `name` otherwise. */
export function checkMaxConcurrent(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) throw invalidOption(name, 'an integer >= 1', String(value));
  return value;
}

export function invalidOption(name: string, expected: string, actual: string): RcClientError {
  return new RcClientError('INVALID_OPTION', `${name} must be ${expected}, got ${JSON.stringify(actual)}`);
}
