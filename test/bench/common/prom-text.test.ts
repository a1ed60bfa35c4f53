// Reading the agent's /metrics: samples with labels, deltas between two scrapes, sums, groups, bucket quantiles.
import t from 'tap';
import {
  deltaSamples,
  groupSamples,
  histogramMean,
  histogramQuantile,
  parsePromText,
  sumSamples,
} from '../../../bench/common/index.js';

const before = `# HELP rc_bypass_requests_total Cache bypass requests
# TYPE rc_bypass_requests_total counter
rc_bypass_requests_total{lane="fast",outcome="granted"} 1
rc_bypass_requests_total{lane="fast",outcome="coalesced"} 10
rc_state_lock_hold_seconds_bucket{le="0.0001"} 5
rc_state_lock_hold_seconds_bucket{le="0.001"} 6
rc_state_lock_hold_seconds_bucket{le="+Inf"} 6
rc_state_lock_hold_seconds_count 6
`;
const after = `rc_bypass_requests_total{lane="fast",outcome="granted"} 3
rc_bypass_requests_total{lane="fast",outcome="coalesced"} 110
rc_bypass_requests_total{outcome="timeout",lane="standard"} 4
rc_state_lock_hold_seconds_bucket{le="0.0001"} 105
rc_state_lock_hold_seconds_bucket{le="0.001"} 205
rc_state_lock_hold_seconds_bucket{le="+Inf"} 206
rc_state_lock_hold_seconds_count 206
process_resident_memory_bytes 1.5e+08
weird_label{path="a\\"b\\\\c"} 1
`;

t.test('parses names, labels (escapes included) and values', async (t) => {
  const samples = parsePromText(after);
  t.equal(samples.length, 9);
  t.same(samples[2], { name: 'rc_bypass_requests_total', labels: { outcome: 'timeout', lane: 'standard' }, value: 4 });
  t.equal(samples.find((s) => s.name === 'process_resident_memory_bytes')?.value, 1.5e8);
  t.equal(samples.find((s) => s.name === 'weird_label')?.labels.path, 'a"b\\c');
  t.equal(parsePromText(before).length, 6, 'comments and blank lines are skipped');
});

t.test('deltas, sums and groups across two scrapes', async (t) => {
  const delta = deltaSamples(parsePromText(before), parsePromText(after));
  t.equal(sumSamples(delta, 'rc_bypass_requests_total'), 106);
  t.equal(sumSamples(delta, 'rc_bypass_requests_total', { lane: 'fast' }), 102);
  t.same(groupSamples(delta, 'rc_bypass_requests_total', ['lane', 'outcome']), {
    'fast/granted': 2,
    'fast/coalesced': 100,
    'standard/timeout': 4,
  });
});

t.test('histogram quantile: the upper bound of the bucket holding the rank', async (t) => {
  const delta = deltaSamples(parsePromText(before), parsePromText(after));
  // 200 new observations: 100 ≤ 0.1 ms, 99 more ≤ 1 ms, 1 above.
  t.same(histogramQuantile(delta, 'rc_state_lock_hold_seconds', 0.5), { count: 200, upperBoundS: 0.0001 });
  t.same(histogramQuantile(delta, 'rc_state_lock_hold_seconds', 0.99), { count: 200, upperBoundS: 0.001 });
  t.same(histogramQuantile(delta, 'rc_state_lock_hold_seconds', 1), { count: 200, upperBoundS: Infinity });
  t.same(histogramQuantile([], 'rc_state_lock_hold_seconds', 0.99), { count: 0, upperBoundS: undefined });
});

t.test('a histogram mean is its sum over its count, across label sets, of a delta', async (t) => {
  const at = (sumA: number, countA: number, sumB: number, countB: number): string =>
    `rc_backend_refresh_seconds_sum{reason="a"} ${sumA}\nrc_backend_refresh_seconds_count{reason="a"} ${countA}\n` +
    `rc_backend_refresh_seconds_sum{reason="b"} ${sumB}\nrc_backend_refresh_seconds_count{reason="b"} ${countB}\n`;
  const delta = deltaSamples(parsePromText(at(10, 5, 1, 1)), parsePromText(at(10.5, 7, 1.1, 2)));
  t.equal(histogramMean(delta, 'rc_backend_refresh_seconds')?.toFixed(6), (0.6 / 3).toFixed(6));
  t.equal(
    histogramMean(
      deltaSamples(parsePromText(at(1, 1, 1, 1)), parsePromText(at(1, 1, 1, 1))),
      'rc_backend_refresh_seconds',
    ),
    undefined,
  );
});
