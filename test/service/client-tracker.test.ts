import t from 'tap';
import { ClientTracker } from '../../src/service/client-tracker.js';

t.test('new, active, expired, bounded', (t) => {
  const tracker = new ClientTracker(30_000, 3);
  t.equal(tracker.seen({ id: 'a', products: ['X'] }, 0).isNew, true);
  t.equal(tracker.seen({ id: 'a', products: ['X', 'Y'] }, 10_000).isNew, false, 'active while now <= last_seen + ttl');
  t.equal(tracker.seen({ id: 'a' }, 40_000).isNew, false, 'exactly at the TTL edge still active');
  t.equal(tracker.seen({ id: 'a' }, 70_001).isNew, true, 'silent longer than the TTL: new again');
  tracker.seen({ id: 'b', products: ['Y'] }, 70_002);
  tracker.seen({ id: 'c', products: ['Z'] }, 70_003);
  tracker.seen({ id: 'd', products: ['W'] }, 70_004);
  t.same(
    tracker.activeClients(70_004).map((c) => c.id),
    ['b', 'c', 'd'],
    'bounded: the least recently seen is evicted',
  );
  t.equal(tracker.activeClients(70_004)[0]?.lastSeen, 70_002, 'last_seen recorded');
  t.same([...tracker.activeProducts(100_003)].sort(), ['W', 'Z']);
  t.equal(tracker.activeClients(200_000).length, 0, 'expired clients are dropped');
  t.end();
});
