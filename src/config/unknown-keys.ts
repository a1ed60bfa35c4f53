// Keys of datadog.yaml that rc-agent does not read: each gets a warning, with the closest known key when one is near
// (a typo like `refresh_intervall`). The Datadog agent warns about unknown keys the same way.
import { distance } from 'fastest-levenshtein';

/** The dotted paths of every leaf of a YAML document (`a: {b: 1}` and `a.b: 1` both give `a.b`). */
function leafPaths(node: Record<string, unknown>, prefix: string, known: ReadonlySet<string>, out: string[]): void {
  for (const [name, value] of Object.entries(node)) {
    const path = prefix === '' ? name : `${prefix}.${name}`;
    const isMap = value !== null && typeof value === 'object' && !Array.isArray(value);
    if (isMap && !known.has(path)) leafPaths(value as Record<string, unknown>, path, known, out);
    else out.push(path);
  }
}

/** Warnings for the keys of `doc` that are not in `knownKeys`. */
export function unknownKeyWarnings(doc: Record<string, unknown>, knownKeys: readonly string[]): string[] {
  const known = new Set(knownKeys);
  const paths: string[] = [];
  leafPaths(doc, '', known, paths);
  const warnings: string[] = [];
  for (const path of paths) {
    if (known.has(path)) continue;
    const suggestion = closest(path, knownKeys);
    warnings.push(
      `unknown key ${path} in the config file: ignored${suggestion === undefined ? '' : ` (did you mean ${suggestion}?)`}`,
    );
  }
  return warnings;
}

/** The known key nearest to `path`, if it is near enough to be a typo (at most a third of its length apart). */
function closest(path: string, knownKeys: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const key of knownKeys) {
    const d = distance(path, key);
    if (d < bestDistance) {
      best = key;
      bestDistance = d;
    }
  }
  return bestDistance <= Math.max(1, Math.floor(path.length / 3)) ? best : undefined;
}
