// Reads the agent's Prometheus text exposition (/metrics) and computes what the reports need: counter deltas by
// label and histogram quantiles from cumulative buckets.
export interface PromSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

const SAMPLE_LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parsePromText(text: string): PromSample[] {
  const samples: PromSample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = SAMPLE_LINE.exec(line);
    if (!match?.[1] || match[3] === undefined) continue;
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(LABEL)) {
      if (key !== undefined && value !== undefined)
        labels[key] = value.replace(/\\(.)/g, (_m, c: string) => (c === 'n' ? '\n' : c));
    }
    samples.push({ name: match[1], labels, value: parseValue(match[3]) });
  }
  return samples;
}

function parseValue(text: string): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  return Number(text);
}

function key(sample: PromSample): string {
  const labels = Object.entries(sample.labels)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  return `${sample.name}{${labels}}`;
}

/** `after − before` for every sample of `after` (counters and histogram series; a sample absent before counts 0). */
export function deltaSamples(before: readonly PromSample[], after: readonly PromSample[]): PromSample[] {
  const base = new Map(before.map((s) => [key(s), s.value]));
  return after.map((s) => ({ ...s, value: s.value - (base.get(key(s)) ?? 0) }));
}

/** Sum of `name` samples whose labels include `where`. */
export function sumSamples(
  samples: readonly PromSample[],
  name: string,
  where: Readonly<Record<string, string>> = {},
): number {
  let total = 0;
  for (const s of samples) {
    if (s.name !== name) continue;
    if (Object.entries(where).every(([k, v]) => s.labels[k] === v)) total += s.value;
  }
  return total;
}

/** `{ "<label values joined by '/'>": sum }` over `name`, grouped by `by`; zero groups left out. */
export function groupSamples(
  samples: readonly PromSample[],
  name: string,
  by: readonly string[],
): Record<string, number> {
  const groups: Record<string, number> = {};
  for (const s of samples) {
    if (s.name !== name) continue;
    const group = by.map((label) => s.labels[label] ?? '').join('/');
    groups[group] = (groups[group] ?? 0) + s.value;
  }
  for (const [group, value] of Object.entries(groups)) if (value === 0) delete groups[group];
  return groups;
}

export interface HistogramQuantile {
  /** Observations in the histogram. */
  readonly count: number;
  /**
   * Upper bound (seconds) of the bucket holding the quantile: the true value is at most this. `Infinity` when it
   * falls in the +Inf bucket; undefined when the histogram is empty.
   */
  readonly upperBoundS: number | undefined;
}

/** Mean of histogram `name` (its `_sum` over its `_count`, every label set); undefined without observations. */
export function histogramMean(samples: readonly PromSample[], name: string): number | undefined {
  const count = sumSamples(samples, `${name}_count`);
  return count > 0 ? sumSamples(samples, `${name}_sum`) / count : undefined;
}

/** The bucket bound of quantile `q` of histogram `name` (summed over every label set). */
export function histogramQuantile(samples: readonly PromSample[], name: string, q: number): HistogramQuantile {
  const buckets = new Map<number, number>();
  for (const s of samples) {
    if (s.name !== `${name}_bucket` || s.labels.le === undefined) continue;
    const le = parseValue(s.labels.le);
    buckets.set(le, (buckets.get(le) ?? 0) + s.value);
  }
  const sorted = [...buckets.entries()].sort(([a], [b]) => a - b);
  const count = sorted.at(-1)?.[1] ?? 0;
  if (count <= 0) return { count: 0, upperBoundS: undefined };
  const rank = q * count;
  for (const [le, cumulative] of sorted) if (cumulative >= rank) return { count, upperBoundS: le };
  return { count, upperBoundS: Infinity };
}
