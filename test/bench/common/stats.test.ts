// Delivery-time percentiles: nearest rank, undelivered tracers count as +Infinity and are never hidden.
import t from 'tap';
import { distribution, percentile } from '../../../bench/common/index.js';

t.test('nearest-rank percentiles', async (t) => {
  const sorted = Array.from({ length: 100 }, (_v, i) => i + 1);
  t.equal(percentile(sorted, 0.5), 50);
  t.equal(percentile(sorted, 0.99), 99);
  t.equal(percentile(sorted, 1), 100);
  t.equal(percentile([], 0.5), undefined);
  t.equal(percentile([7], 0.01), 7);
});

t.test('undelivered tracers push high percentiles to null', async (t) => {
  const values = [...Array.from({ length: 95 }, (_v, i) => i + 1), ...Array.from({ length: 5 }, () => Infinity)];
  const d = distribution(values);
  t.equal(d.count, 100);
  t.equal(d.delivered, 95);
  t.equal(d.p50, 50);
  t.equal(d.p90, 90);
  t.equal(d.p99, null, 'p99 falls on an undelivered tracer');
  t.equal(d.max, null);
  t.equal(d.meanDelivered, 48);
});

t.test('no data', async (t) => {
  t.same(distribution([]), { count: 0, delivered: 0, p50: null, p90: null, p99: null, max: null, meanDelivered: null });
});
