// The upstream LatestConfigsRequest, encoded with each active client's bytes reused between refreshes. A herd makes
// a refresh every second or so, each naming up to 10,000 active clients, most of them unchanged since the last one:
// the service hands an unchanged client over as the same frozen object, so its encoding (its `Client` message) is
// kept in a WeakMap and copied instead of re-encoded. The bytes are those of `LatestConfigsRequest.encode`: a message
// is the concatenation of its fields, and the generated encoder writes them by field number, so the fields before
// `active_clients` (1–5), the clients (6) and the fields after them (8 on) are written in that order.
import protobuf from 'protobufjs/minimal.js';
import { datadog } from './generated.js';

type ILatestConfigsRequest = datadog.config.ILatestConfigsRequest;
type IClient = datadog.config.IClient;

/** Fields numbered below `active_clients` (6). */
const BEFORE_CLIENTS = ['hostname', 'agentVersion', 'currentConfigSnapshotVersion', 'products', 'newProducts'] as const;
/** `active_clients`, field 6, length-delimited: (6 << 3) | 2. */
const ACTIVE_CLIENTS_TAG = 50;

const clientBytes = new WeakMap<IClient, Uint8Array>();

function encodeClient(client: IClient): Uint8Array {
  const cached = clientBytes.get(client);
  if (cached !== undefined) return cached;
  const bytes = datadog.config.Client.encode(client).finish();
  // only a frozen client is handed over again unchanged
  if (Object.isFrozen(client)) clientBytes.set(client, bytes);
  return bytes;
}

export function encodeLatestConfigsRequest(req: ILatestConfigsRequest): Uint8Array {
  const clients = req.activeClients;
  if (clients === null || clients === undefined || clients.length === 0) {
    return datadog.config.LatestConfigsRequest.encode(req).finish();
  }
  const before: Record<string, unknown> = {};
  const after: Record<string, unknown> = { ...req };
  delete after.activeClients;
  for (const field of BEFORE_CLIENTS) {
    if (Object.hasOwn(req, field)) before[field] = req[field];
    delete after[field];
  }
  const w = protobuf.Writer.create();
  datadog.config.LatestConfigsRequest.encode(before, w);
  for (const client of clients) w.uint32(ACTIVE_CLIENTS_TAG).bytes(encodeClient(client));
  datadog.config.LatestConfigsRequest.encode(after, w);
  return w.finish();
}
