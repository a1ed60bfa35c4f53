// Waiting for real I/O (sockets, child processes, gRPC streams) that fake time cannot drive. Always bounded: a
// condition that never holds fails with what was awaited instead of hanging the file until tap's timeout.
import { setTimeout as sleep } from 'node:timers/promises';

/** Polls `cond` on real time until it holds; throws `timed out waiting for <what>` after `timeoutMs`. */
export async function until(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(5);
  }
}
