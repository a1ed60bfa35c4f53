// Percentiles over per-tracer delivery times. A tracer that never got its configs counts as +Infinity, so a
// percentile that lands on undelivered tracers says so instead of hiding them.
export interface Distribution {
  /** Tracers measured. */
  readonly count: number;
  /** Tracers with a finite time. */
  readonly delivered: number;
  /** Milliseconds; `null` when the percentile falls on undelivered tracers (or there is no data). */
  readonly p50: number | null;
  readonly p90: number | null;
  readonly p99: number | null;
  readonly max: number | null;
  /** Mean of the delivered ones. */
  readonly meanDelivered: number | null;
}

/** Nearest-rank percentile of an ascending array (q in (0, 1]). */
export function percentile(sorted: readonly number[], q: number): number | undefined {
  if (sorted.length === 0) return undefined;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1];
}

export function distribution(values: readonly number[]): Distribution {
  const sorted = [...values].sort((a, b) => a - b);
  const finite = sorted.filter((v) => Number.isFinite(v));
  const at = (q: number): number | null => {
    const v = percentile(sorted, q);
    return v === undefined || !Number.isFinite(v) ? null : round(v);
  };
  return {
    count: sorted.length,
    delivered: finite.length,
    p50: at(0.5),
    p90: at(0.9),
    p99: at(0.99),
    max: at(1),
    meanDelivered: finite.length === 0 ? null : round(finite.reduce((a, b) => a + b, 0) / finite.length),
  };
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
