// Load generators in other threads and processes: one clock they share, and the tsx loader for TypeScript children.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** Wall-clock milliseconds with sub-millisecond precision, comparable across the threads of one process. */
export function absoluteNowMs(): number {
  return performance.timeOrigin + performance.now();
}

/** The `--import` URL of tsx's loader, for child processes that run TypeScript entry files. */
export function tsxLoaderUrl(repoRoot: string): string {
  return pathToFileURL(join(repoRoot, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
}
