// The simulator's decoding of an agent's LatestConfigsRequest. The backend answers from the versions, products and
// state the agent reports; it never reads the active clients (field 6) — yet at 10,000 tracers they are ~2 MB of a
// request, and decoding them cost the simulator ~60 ms of CPU per round, on the core the bench's load generator
// uses: time a remote backend never takes from the agent's host. They are skipped here (walked over, not decoded)
// and decoded from the kept bytes when first read (tests and benches that inspect what the agent sent).
import protobuf from 'protobufjs/minimal.js';
import { pb, type IClient, type ILatestConfigsRequest } from '../proto/index.js';

const ACTIVE_CLIENTS_FIELD = 6;

/** The request's bytes without its `active_clients` fields; throws on bytes that are not a protobuf message. */
function withoutActiveClients(body: Uint8Array): Uint8Array {
  const reader = protobuf.Reader.create(body);
  const parts: Uint8Array[] = [];
  let kept = 0;
  let skipped = false;
  while (reader.pos < reader.len) {
    const start = reader.pos;
    const tag = reader.uint32();
    reader.skipType(tag & 7);
    if (tag >>> 3 === ACTIVE_CLIENTS_FIELD) {
      skipped = true;
      continue;
    }
    parts.push(body.subarray(start, reader.pos));
    kept += reader.pos - start;
  }
  return skipped ? Buffer.concat(parts, kept) : body;
}

/**
 * Decodes a LatestConfigsRequest with `activeClients` decoded lazily, on first read, from a copy of its bytes.
 * Throws (protobufjs's error) when the bytes are not a LatestConfigsRequest outside the clients.
 */
export function decodeLatestConfigsRequest(body: Uint8Array): ILatestConfigsRequest {
  const head = withoutActiveClients(body);
  const request = pb.LatestConfigsRequest.decode(head);
  if (head === body) return request;
  // the body's buffer may be reused once the request is answered: keep a copy for the lazy decode
  const bytes = Uint8Array.prototype.slice.call(body);
  let clients: IClient[] | undefined;
  Object.defineProperty(request, 'activeClients', {
    enumerable: true,
    configurable: true,
    get(): IClient[] {
      clients ??= pb.LatestConfigsRequest.decode(bytes).activeClients;
      return clients;
    },
    set(value: IClient[]) {
      clients = value;
    },
  });
  return request;
}
