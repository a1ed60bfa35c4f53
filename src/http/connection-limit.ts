// How many connections the HTTP listener holds at most. Each one is a file descriptor, so past the process's open-file
// limit accept() fails and the agent could no longer open its own files (the embedded database, backend requests,
// Redis). The cap therefore follows that limit, less a reserve for the agent's own descriptors, and is bounded above
// so that a connection flood cannot take unbounded memory. Node raises its soft limit to the hard one at start-up,
// so the soft limit read here is the one the process runs with.
import { readFileSync } from 'node:fs';

export const LIMITS_PATH = '/proc/self/limits';
/** Descriptors kept for the agent itself: database, logs, gRPC, backend and Redis sockets, with room to spare. */
export const RESERVED_FILE_DESCRIPTORS = 256;
/** The cap however high the open-file limit: ~65k idle keep-alive connections already hold several hundred MB. */
export const MAX_CONNECTIONS_CEILING = 65_536;
/** Where the limit cannot be read (not Linux, /proc hidden). */
export const FALLBACK_MAX_CONNECTIONS = 16_384;

/** The soft "Max open files" of /proc/self/limits; undefined when unreadable, `Infinity` when unlimited. */
export function openFileLimit(readLimits: () => string = () => readFileSync(LIMITS_PATH, 'utf8')): number | undefined {
  let text: string;
  try {
    text = readLimits();
  } catch {
    return undefined;
  }
  const match = /^Max open files\s+(\S+)/m.exec(text);
  if (match === null) return undefined;
  if (match[1] === 'unlimited') return Infinity;
  if (!/^\d+$/.test(match[1]!)) return undefined;
  const n = Number(match[1]);
  return n > 0 && Number.isSafeInteger(n) ? n : undefined;
}

/** The listener's connection cap for an open-file limit (see the file comment); at least 1. */
export function maxConnectionsFor(fileLimit: number | undefined): number {
  if (fileLimit === undefined) return FALLBACK_MAX_CONNECTIONS;
  return Math.max(1, Math.min(MAX_CONNECTIONS_CEILING, fileLimit - RESERVED_FILE_DESCRIPTORS));
}
