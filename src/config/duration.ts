// Durations as Datadog config accepts them: a number of seconds, or a Go-style string ("500ms", "30s", "1m", "1h30m").
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Returns milliseconds, or undefined when `value` is not a duration. */
export function parseDurationMs(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value * 1000 : undefined;
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  const parts = /^(-?)((?:\d+(?:\.\d+)?(?:ms|s|m|h))+)$/.exec(text);
  if (!parts) return undefined;
  let total = 0;
  for (const [, amount, unit] of (parts[2] ?? '').matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) {
    total += Number(amount) * (UNIT_MS[unit ?? ''] ?? NaN);
  }
  return parts[1] === '-' ? -total : total;
}

/**
 * A parsed duration setting. It carries no unit of its own: read it as `.ms` or `.seconds`, so a key's name
 * (`clients.ttl_seconds` says how users write it) never decides how the program reads it.
 */
export class Duration {
  constructor(readonly ms: number) {
    Object.freeze(this);
  }

  get seconds(): number {
    return this.ms / 1000;
  }

  /** As datadog.yaml would write it: `90s`, `1500ms`. */
  toString(): string {
    return this.ms % 1000 === 0 ? `${this.ms / 1000}s` : `${this.ms}ms`;
  }
}
