// Target selection (PROTOCOL.md §4.4: per-target expiry; predicates are in predicates.ts) and the cached-file
// diff (§4.5).
import type { ITargetFileMeta } from '../proto/index.js';
import { ServiceError } from './error.js';
import type { SnapshotTarget } from './snapshot.js';

export function isTargetLive(target: SnapshotTarget, nowMs: number): boolean {
  return target.expiresMs === 0 || nowMs <= target.expiresMs;
}

const HEX = /^(?:[0-9a-fA-F]{2})*$/;

/** go-tuf FileMetaEqual(cached, director) with the cached hashes hex-decoded: true = the client already has it. */
export function cachedFileIsCurrent(cached: ITargetFileMeta | undefined, target: SnapshotTarget): boolean {
  if (!cached) return false;
  if (Number(cached.length) !== target.length) return false;
  let shared = 0;
  for (const h of cached.hashes ?? []) {
    const hex = h.hash ?? '';
    if (!HEX.test(hex)) throw new ServiceError('UNKNOWN', 'failed to decode hash');
    const ours = target.hashes[h.algorithm ?? ''];
    if (ours === undefined) continue;
    shared++;
    if (ours.toLowerCase() !== hex.toLowerCase()) return false;
  }
  return shared > 0;
}
