// Frozen means shared means cacheable: the caches keyed by the identity of objects that never change once made.
// The service answers many clients from one snapshot, so the same frozen reply object (or snapshot byte array) reaches
// the transports again and again: each derived value is computed once and kept beside its key, in a WeakMap that
// lets it die with the key (a new snapshot or request replaces the old object; nothing needs evicting by hand).
//
// Every such cache is here (the transports import them through service/index.ts), except three kept in their own
// module, listed for the whole picture:
// - ./request-cache.ts `DecodedRequestCache`: decoded requests (deep-frozen) keyed by the SHA-256 of the request
//   bytes (the HTTP body or the gRPC message; one cache per transport); bounded (20,000 bodies by default, oldest out
//   first; a first poll is kept from its second arrival, until its client's next body). It is what makes requests
//   frozen, so `validatedRequests` below hits.
// - src/uptane/verified-meta.ts: the parsed envelope, role databases and target maps of a VerifiedMeta (frozen),
//   keyed by it; they die with the trusted state that holds it (uptane imports nothing from the service).
// - src/proto/encode-request.ts: the protobuf bytes of an active client sent upstream, keyed by the frozen copy
//   `ClientTracker.activeClients` hands over (the same object until the client polls again); dies with the copy.
import type { IClient, IClientGetConfigsRequest, IClientGetConfigsResponse } from '../proto/index.js';
import type { Lane } from './lanes.js';
import type { Snapshot } from './snapshot.js';

/**
 * The validated client and lane of a request. Keyed by the request object, only when it is frozen (a repeat from the
 * HTTP request cache above), so a repeat skips validation; dies with the request (evicted from that cache).
 */
export const validatedRequests = new WeakMap<
  IClientGetConfigsRequest,
  { readonly client: IClient; readonly lane: Lane }
>();

/** Replies kept per snapshot, at most this many (distinct product sets) each. */
export const REPLY_MEMO_MAX_ENTRIES = 1024;
const replyMemos = new WeakMap<Snapshot, Map<string, IClientGetConfigsResponse>>();

/**
 * The frozen first-poll replies of a snapshot: what a client with nothing cached gets for a product set, built once
 * per snapshot (a herd is answered in bursts when a refresh publishes). Keyed by the snapshot, then by root version
 * and sorted products; only replies without predicates or expiry (the same for every client); dies with the snapshot.
 */
export function replyMemo(snap: Snapshot): Map<string, IClientGetConfigsResponse> {
  let memo = replyMemos.get(snap);
  if (!memo) {
    memo = new Map();
    replyMemos.set(snap, memo);
  }
  return memo;
}

/**
 * HTTP: the base64 text of a byte array the service shares between replies (a snapshot's targets, roots and target
 * files). Keyed by the array; dies with the snapshot that holds it. Only snapshot bytes reach the encoder, and
 * nothing writes to them (byte arrays cannot be frozen).
 */
export const base64OfBytes = new WeakMap<Uint8Array, string>();

/**
 * HTTP: the `/v0.7/config` body (Go encoding/json, as the UTF-8 bytes written on the socket) of a frozen reply: a first-poll reply from `replyMemo` or the
 * shared up-to-date reply `{}`. Keyed by the reply; dies with it (the snapshot's memo, or never for `{}`).
 */
export const httpBodyOfFrozenReply = new WeakMap<IClientGetConfigsResponse, Buffer>();

/** gRPC: the protobuf bytes of a frozen reply; the same keys and lifetime as `httpBodyOfFrozenReply`. */
export const grpcBytesOfFrozenReply = new WeakMap<IClientGetConfigsResponse, Buffer>();
