import t from 'tap';
import { decodeLatestConfigsRequest } from '../../src/backend/decode-request.js';
import { encodeLatestConfigsRequest, pb, type IClient, type ILatestConfigsRequest } from '../../src/proto/index.js';

function client(i: number): IClient {
  return {
    id: `client-${i}`,
    products: ['APM_TRACING', 'FFE_FLAGS'],
    isTracer: true,
    clientTracer: { runtimeId: `runtime-${i}`, language: 'nodejs', tracerVersion: '5.80.0', service: `svc-${i}` },
    state: { rootVersion: 1, targetsVersion: i },
    capabilities: Buffer.from([i & 0xff]),
  };
}

const request: ILatestConfigsRequest = {
  hostname: 'host-1',
  agentVersion: '7.70.0',
  currentConfigSnapshotVersion: 12,
  currentConfigRootVersion: 3,
  currentDirectorRootVersion: 4,
  products: ['APM_TRACING', 'FFE_FLAGS'],
  newProducts: ['FFE_FLAGS'],
  activeClients: [client(1), client(2), client(3)],
  backendClientState: Buffer.from('opaque'),
  hasError: true,
  error: 'boom',
  orgUuid: 'org-uuid',
  tags: ['env:prod'],
  agentUuid: 'agent-uuid',
};

const plain = (r: ILatestConfigsRequest): unknown =>
  pb.LatestConfigsRequest.toObject(pb.LatestConfigsRequest.fromObject(r));

t.test('every field decodes as protobufjs decodes it, the active clients on first read', async (t) => {
  const bytes = encodeLatestConfigsRequest(request);
  const full = pb.LatestConfigsRequest.decode(Uint8Array.prototype.slice.call(bytes));
  const lazy = decodeLatestConfigsRequest(bytes);
  t.same(plain({ ...lazy, activeClients: [] }), plain({ ...full, activeClients: [] }), 'the fields it answers from');
  // the body's buffer may be reused after the answer: the clients come from the decoder's own copy
  bytes.fill(0);
  t.equal(lazy.activeClients?.length, 3);
  t.same(plain(lazy), plain(full), 'the clients, decoded when read');
  t.equal(lazy.activeClients, lazy.activeClients, 'decoded once');
  t.same(
    Object.keys(lazy).filter((k) => k === 'activeClients'),
    ['activeClients'],
    'enumerable like a decoded field',
  );
  lazy.activeClients = [client(9)];
  t.same(
    lazy.activeClients.map((c) => c.id),
    ['client-9'],
    'writable like a decoded field',
  );
});

t.test('clients split around other fields (any field order on the wire) are all kept', async (t) => {
  const w = pb.LatestConfigsRequest.encode({ hostname: 'h', activeClients: [client(1)] });
  pb.LatestConfigsRequest.encode({ agentVersion: '7.70.0', activeClients: [client(2)] }, w);
  const bytes = w.finish();
  const lazy = decodeLatestConfigsRequest(bytes);
  t.equal(lazy.hostname, 'h');
  t.equal(lazy.agentVersion, '7.70.0');
  t.same(
    lazy.activeClients?.map((c) => c.id),
    ['client-1', 'client-2'],
  );
});

t.test('a request without clients is decoded as it is', async (t) => {
  const bytes = pb.LatestConfigsRequest.encode({ hostname: 'h', products: ['FFE_FLAGS'] }).finish();
  const lazy = decodeLatestConfigsRequest(bytes);
  t.same(plain(lazy), plain(pb.LatestConfigsRequest.decode(bytes)));
  t.same(lazy.activeClients, []);
});

t.test('bytes that are not a message throw, as protobufjs does', async (t) => {
  t.throws(() => decodeLatestConfigsRequest(Buffer.from('<html>502 Bad Gateway</html>')));
  // a length running past the end inside the clients
  const bytes = encodeLatestConfigsRequest(request);
  t.throws(() => decodeLatestConfigsRequest(bytes.subarray(0, bytes.length - 40)));
});
