// Waiting for real I/O (sockets, child processes, gRPC streams, fs.watch) that fake time cannot drive. The one
// polling loop of the suite, always bounded: a condition that never holds fails naming what was awaited instead of
// hanging the file until tap's timeout. Never a speed assertion: the bound only turns a hang into a message.
import { setTimeout as sleep } from 'node:timers/promises';

/** Polls `fn` on real time until it gives a value (not undefined/false); throws naming `what` after `timeoutMs`. */
export async function waitUntil<T>(
  what: string,
  fn: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 20_000,
  stepMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(stepMs);
  }
}

/** Polls `cond` every 5 ms until it holds; throws naming `what` after `timeoutMs`. */
export async function until(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  await waitUntil(what, () => cond() || undefined, timeoutMs, 5);
}
