// The upstream request encoder that reuses each unchanged active client's bytes (src/proto/encode-request.ts): its
// bytes are exactly LatestConfigsRequest.encode's, whatever fields are set, and a frozen client is encoded once.
import t from 'tap';
import { encodeLatestConfigsRequest, pb, type IClient, type ILatestConfigsRequest } from '../../src/proto/index.js';
import { ClientTracker } from '../../src/service/client-tracker.js';

const client = (id: string, lastSeen: number): IClient => ({
  state: { rootVersion: 1, targetsVersion: 7, configStates: [{ id: 'a', version: 2, product: 'FFE_FLAGS' }] },
  id,
  products: ['FFE_FLAGS', 'APM_TRACING'],
  isTracer: true,
  clientTracer: { runtimeId: `rt-${id}`, language: 'node', tracerVersion: '5.0.0', service: 's', env: 'e' },
  lastSeen,
  capabilities: Buffer.from([1, 2, 3]),
});

const full: ILatestConfigsRequest = {
  hostname: 'h',
  agentVersion: '7.72.0',
  currentConfigSnapshotVersion: 12,
  products: ['APM_TRACING'],
  newProducts: ['FFE_FLAGS'],
  activeClients: [client('a', 1), Object.freeze(client('b', 2)), client('c', 3)],
  currentDirectorRootVersion: 2,
  currentConfigRootVersion: 3,
  backendClientState: Buffer.from('opaque'),
  hasError: true,
  error: 'boom',
  traceAgentEnv: 'prod',
  orgUuid: 'org',
  tags: ['t:1'],
  agentUuid: 'uuid',
};

t.test('the same bytes as LatestConfigsRequest.encode', async (t) => {
  const same = (req: ILatestConfigsRequest, what: string): void => {
    t.same(
      Buffer.from(encodeLatestConfigsRequest(req)),
      Buffer.from(pb.LatestConfigsRequest.encode(req).finish()),
      what,
    );
  };
  same(full, 'every field set');
  same({ ...full, activeClients: [] }, 'no active clients');
  same({ activeClients: full.activeClients }, 'only active clients');
  same({ hostname: 'h', activeClients: full.activeClients, orgUuid: 'o' }, 'fields on both sides of the clients');
  same({}, 'empty');
  // twice: the second time from the kept bytes of the frozen client
  same(full, 'every field set, again');
  t.same(pb.LatestConfigsRequest.decode(encodeLatestConfigsRequest(full)).activeClients[1]?.id, 'b');
});

t.test('the tracker hands an unchanged client over as the same frozen object until it is seen again', async (t) => {
  const tracker = new ClientTracker(30_000);
  tracker.seen(client('a', 0), 1000);
  tracker.seen(client('b', 0), 1001);
  const [a1, b1] = tracker.activeClients(2000);
  const [a2, b2] = tracker.activeClients(3000);
  t.ok(Object.isFrozen(a1), 'frozen');
  t.equal(a2, a1, 'the same object while not seen again');
  t.equal(b2, b1);
  t.equal(a1?.lastSeen, 1000);
  tracker.seen(client('a', 0), 4000);
  const after = tracker.activeClients(5000);
  const a3 = after.find((c) => c.id === 'a');
  t.not(a3, a1, 'a new copy once seen again');
  t.equal(a3?.lastSeen, 4000, 'with its new last_seen');
  t.equal(
    after.find((c) => c.id === 'b'),
    b1,
    'the other one unchanged',
  );
  const bytes = encodeLatestConfigsRequest({ activeClients: after });
  t.same(
    pb.LatestConfigsRequest.decode(bytes).activeClients.map((c) => Number(c.lastSeen)),
    [1001, 4000],
  );
});
