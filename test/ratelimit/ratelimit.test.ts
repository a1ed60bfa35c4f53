import t from 'tap';
import { ExponentialBackoff, FixedWindowLimiter, TokenBucket } from '../../src/ratelimit/index.js';

t.test('token bucket: capacity draws, then none until the next window refills it', (t) => {
  const bucket = new TokenBucket({ capacity: 3, refillIntervalMs: 60_000 });
  const draws = Array.from({ length: 5 }, (_, i) => bucket.tryTake(1_000 + i));
  t.same(draws, [true, true, true, false, false]);
  t.equal(bucket.remaining(59_999), 0, 'still empty at the end of the first window');
  t.equal(bucket.tryTake(61_000), true, 'refilled to full when the next window starts');
  t.equal(bucket.remaining(61_000), 2);
  t.equal(bucket.remaining(241_000), 3, 'windows skipped while idle still refill once');
  bucket.setRefillInterval(10_000);
  t.equal(bucket.tryTake(241_000), true);
  t.equal(bucket.remaining(250_999), 2, 'the current window keeps its start');
  t.equal(bucket.remaining(251_000), 3, 'then follows the new interval');
  const empty = new TokenBucket({ capacity: 0, refillIntervalMs: 1000 });
  t.equal(empty.tryTake(0), false, 'a zero limit never grants');
  t.equal(empty.tryTake(5_000), false);
  t.end();
});

t.test('fixed window: `limit` per window aligned on the interval, first call resets', (t) => {
  const limiter = new FixedWindowLimiter(5, 60_000);
  const base = 10 * 60_000;
  const results = Array.from({ length: 6 }, (_, i) => limiter.limited(base + i * 1000));
  t.same(results, [false, false, false, false, false, true], 'the 6th in a window is limited');
  t.equal(limiter.limited(base + 60_000), false, 'a new window resets the allowance');
  // Edges allow bursts: 5 at the end of one window and 5 at the start of the next.
  const edge = new FixedWindowLimiter(5, 60_000);
  const burst = [...Array(5).fill(base + 59_999), ...Array(5).fill(base + 60_000)].map((ms: number) =>
    edge.limited(ms),
  );
  t.equal(burst.filter((l) => !l).length, 10);
  t.end();
});

t.test('backoff follows the reference formula', (t) => {
  const low = new ExponentialBackoff(300_000, () => 0);
  const high = new ExponentialBackoff(300_000, () => 1);
  t.equal(low.delayMs(), 0);
  const ranges: Array<[number, number]> = [];
  for (let i = 0; i < 5; i++) {
    low.onError();
    high.onError();
    ranges.push([low.delayMs(), high.delayMs()]);
  }
  t.same(ranges.slice(0, 3), [
    [30_000, 60_000],
    [60_000, 120_000],
    [120_000, 240_000],
  ]);
  t.same(ranges[3], [150_000, 300_000], 'capped at max and still jittered: no lock-step retries at the cap');
  t.same(ranges[4], [150_000, 300_000]);
  t.equal(low.errorCount, 4, 'n capped at floor(log2(max/30 s)) + 1');
  low.onSuccess();
  t.equal(low.errorCount, 2, 'a success subtracts 2');
  low.onSuccess();
  low.onSuccess();
  t.equal(low.errorCount, 0);
  t.end();
});
