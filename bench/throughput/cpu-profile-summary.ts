// Where an agent's CPU time went, from a V8 .cpuprofile (node --cpu-prof): self time by function and by area
// (src folder, npm package, node internals, GC), idle excluded.
import { readFileSync, readdirSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
export interface ProfileEntry {
  readonly name: string;
  readonly selfMs: number;
  /** Share of the non-idle time, percent. */
  readonly percent: number;
}

export interface ProfileSummary {
  readonly busyMs: number;
  readonly byArea: readonly ProfileEntry[];
  /** All of the agent's own folders (`src/…`) together, ranked or not among the top areas. */
  readonly ownCode: ProfileEntry;
  readonly topFunctions: readonly ProfileEntry[];
}

interface CpuProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
}

interface CpuProfile {
  readonly nodes: readonly CpuProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

const IDLE = new Set(['(idle)', '(program)']);

/** `src/http`, `fastify`, `@grpc/grpc-js`, `node:internal`, `(garbage collector)`… */
export function areaOf(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  const pkg = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (pkg?.[1]) return pkg[1];
  const src = /\/(src|bench)\/([^/]+)\//.exec(url);
  if (src?.[1] && src[2]) return `${src[1]}/${src[2]}`;
  // the built agent (`npm run build`): dist/ mirrors src/
  const built = /\/dist\/([^/]+)\//.exec(url);
  if (built?.[1]) return `src/${built[1]}`;
  if (url.startsWith('node:')) return url.startsWith('node:internal') ? 'node:internal' : url;
  return url.replace(/^.*\//, '');
}

export function summarizeCpuProfile(profile: CpuProfile, top = 15): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    // timeDeltas[i] is the time before sample i; attributing it to sample i is what DevTools does.
    selfUs.set(id, (selfUs.get(id) ?? 0) + Math.max(0, profile.timeDeltas[i] ?? 0));
  }
  const functions = new Map<string, number>();
  const areas = new Map<string, number>();
  let busyUs = 0;
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)?.callFrame;
    if (frame === undefined || IDLE.has(frame.functionName)) continue;
    busyUs += us;
    const fn = `${frame.functionName || '(anonymous)'} ${frame.url.replace(/^.*\/(node_modules|src|bench)\//, '$1/')}:${frame.lineNumber + 1}`;
    functions.set(fn, (functions.get(fn) ?? 0) + us);
    const area = areaOf(frame.url, frame.functionName);
    areas.set(area, (areas.get(area) ?? 0) + us);
  }
  const entry = (name: string, us: number): ProfileEntry => ({
    name,
    selfMs: Math.round(us / 100) / 10,
    percent: busyUs === 0 ? 0 : Math.round((us / busyUs) * 1000) / 10,
  });
  const entries = (m: Map<string, number>): ProfileEntry[] =>
    [...m.entries()]
      .sort(([, a], [, b]) => b - a)
      .slice(0, top)
      .map(([name, us]) => entry(name, us));
  let ownUs = 0;
  for (const [area, us] of areas) if (area.startsWith('src/')) ownUs += us;
  return {
    busyMs: Math.round(busyUs / 1000),
    byArea: entries(areas),
    ownCode: entry('src/ (all folders)', ownUs),
    topFunctions: entries(functions),
  };
}

/**
 * The agent's profile once it has exited: the largest `.cpuprofile` in `dir` (its main thread; helper threads write
 * small ones), moved to `dest` and summarized. Null when the agent wrote none.
 */
export function takeAgentProfile(dir: string, dest: string): { path: string; summary: ProfileSummary } | null {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .sort((a, b) => statSync(join(dir, b)).size - statSync(join(dir, a)).size);
  if (files[0] === undefined) return null;
  renameSync(join(dir, files[0]), dest);
  return { path: dest, summary: summarizeCpuProfile(JSON.parse(readFileSync(dest, 'utf8')) as CpuProfile) };
}
