// The freshness rule of the herd (issue 8): a tracer holds the *current* flags only when the FFE_FLAGS document it
// got is the one the backend held at least `graceMs` before the tracer's request, or a newer one. An older document
// or a reply without FFE_FLAGS is "not delivered yet".

/** The FFE_FLAGS documents the backend held, oldest first: sha256 of the file and since when (epoch ms). */
export type FfeTimeline = ReadonlyArray<{ readonly sha256: string; readonly sinceMs: number }>;

/** Default grace: a change younger than this at request time may still be missing from the reply. */
export const FRESHNESS_GRACE_MS = 1000;

/** Index of the document the backend held at `atMs` (the first one before the timeline starts). */
export function documentIndexAt(timeline: FfeTimeline, atMs: number): number {
  let index = 0;
  for (let i = 0; i < timeline.length; i++) if (timeline[i]!.sinceMs <= atMs) index = i;
  return index;
}

/**
 * Whether a reply whose FFE_FLAGS document hashes to `sha256` (undefined: no FFE_FLAGS held) counts as current for a
 * request sent at `requestMs`.
 */
export function isCurrent(
  timeline: FfeTimeline,
  sha256: string | undefined,
  requestMs: number,
  graceMs = FRESHNESS_GRACE_MS,
): boolean {
  if (sha256 === undefined) return false;
  const got = timeline.findIndex((d) => d.sha256 === sha256);
  return got >= 0 && got >= documentIndexAt(timeline, requestMs - graceMs);
}
