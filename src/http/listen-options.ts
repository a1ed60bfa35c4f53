// The HTTP listener's options. A herd of tracers booting at once opens thousands of connections within a second:
// Node's default backlog (511) overflows, and a dropped SYN is retried only after 1 s, then 3 s. Ask for the
// kernel's limit instead (listen(2) caps the backlog at net.core.somaxconn anyway).
import { readFileSync } from 'node:fs';

export const SOMAXCONN_PATH = '/proc/sys/net/core/somaxconn';
/** Where /proc is unreadable (not Linux, sandboxed): the Linux default of somaxconn since 5.4. */
export const FALLBACK_LISTEN_BACKLOG = 4096;

export interface HttpListenOptions {
  readonly host: string;
  readonly port: number;
  readonly backlog: number;
}

/** net.core.somaxconn, or FALLBACK_LISTEN_BACKLOG when it cannot be read or is not a positive integer. */
export function kernelMaxListenBacklog(
  readSomaxconn: () => string = () => readFileSync(SOMAXCONN_PATH, 'utf8'),
): number {
  let text: string;
  try {
    text = readSomaxconn().trim();
  } catch {
    return FALLBACK_LISTEN_BACKLOG;
  }
  if (!/^\d+$/.test(text)) return FALLBACK_LISTEN_BACKLOG;
  const n = Number(text);
  return n > 0 && Number.isSafeInteger(n) ? n : FALLBACK_LISTEN_BACKLOG;
}

/** fastify `listen()` options: the address plus the kernel's maximum backlog. */
export function httpListenOptions(host: string, port: number, readSomaxconn?: () => string): HttpListenOptions {
  return { host, port, backlog: kernelMaxListenBacklog(readSomaxconn) };
}
