// Worker threads that run TypeScript: the bench runs under tsx, whose loader a worker does not inherit, so the
// worker registers it before importing its entry file.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

const TSX_API = import.meta.resolve('tsx/esm/api');

export function startTsWorker(entry: URL, workerData: unknown): Worker {
  const code = `import(${JSON.stringify(TSX_API)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); });`;
  return new Worker(code, { eval: true, workerData });
}

/** Wall-clock milliseconds with sub-millisecond precision, comparable across the threads of one process. */
export function absoluteNowMs(): number {
  return performance.timeOrigin + performance.now();
}

/** The `--import` URL of tsx's loader, for child processes that run TypeScript entry files. */
export function tsxLoaderUrl(repoRoot: string): string {
  return pathToFileURL(join(repoRoot, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
}
