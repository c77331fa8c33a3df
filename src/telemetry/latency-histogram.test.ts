import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { build } from 'hdr-histogram-js';
import { isPiperError, SeededRandom } from '../core/index.ts';
import { LatencyHistogram } from './latency-histogram.ts';

const within = (actual: number, expected: number, relative = 0.001): void => {
  assert.ok(Math.abs(actual - expected) <= Math.abs(expected) * relative, `${actual} not within ${relative * 100}% of ${expected}`);
};

describe('LatencyHistogram', () => {
  test('percentiles of 1..1000 ms are within 0.1 %', () => {
    const h = new LatencyHistogram();
    for (let i = 1; i <= 1000; i++) h.record(i);
    assert.equal(h.count, 1000);
    within(h.percentile(50), 500);
    within(h.percentile(90), 900);
    within(h.percentile(99), 990);
    within(h.percentile(100), 1000);
    const s = h.summary();
    assert.equal(s.count, 1000);
    within(s.min, 1);
    within(s.mean, 500.5);
    within(s.p999, 999);
    within(s.max, 1000);
  });

  test('summary() agrees with HdrHistogram percentiles on random data', () => {
    const random = new SeededRandom(9);
    const h = new LatencyHistogram();
    const reference = build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3 });
    for (let i = 0; i < 20_000; i++) {
      const ms = 0.2 + -Math.log(1 - random.next()) * 8;
      h.record(ms);
      reference.recordValue(Math.round(ms * 1000));
    }
    const s = h.summary();
    assert.equal(s.p50, h.percentile(50));
    assert.equal(s.p90, h.percentile(90));
    assert.equal(s.p99, h.percentile(99));
    assert.equal(s.p999, h.percentile(99.9));
    assert.equal(s.max, h.percentile(100));
    assert.equal(s.min, h.percentile(0));
    within(s.mean, reference.mean / 1000, 1e-9);
    assert.equal(s.p99, reference.getValueAtPercentile(99) / 1000);
  });

  test('keeps microsecond resolution for sub-millisecond latencies', () => {
    const h = new LatencyHistogram();
    h.record(0.25);
    h.record(0.001);
    assert.equal(h.percentile(100), 0.25);
    assert.equal(h.percentile(0), 0.001);
  });

  test('an empty histogram summarises to zeros', () => {
    const h = new LatencyHistogram();
    assert.deepEqual(h.summary(), { count: 0, min: 0, mean: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0 });
    assert.equal(h.percentile(99), 0);
    assert.equal(h.countAtOrBelow(10), 0);
  });

  test('clamps values outside 0..1 h instead of throwing, so every request is counted', () => {
    const h = new LatencyHistogram();
    h.record(-5);
    h.record(Number.NaN);
    h.record(10 * 3_600_000);
    assert.equal(h.count, 3);
    assert.equal(h.countAtOrBelow(0), 2);
    within(h.summary().max, LatencyHistogram.maxMs);
  });

  test('countAtOrBelow counts values at and under a bound (Prometheus le semantics)', () => {
    const h = new LatencyHistogram();
    for (const ms of [1, 5, 5, 9.999, 10, 10.5, 25, 75, 250, 2500]) h.record(ms);
    assert.equal(h.countAtOrBelow(0.5), 0);
    assert.equal(h.countAtOrBelow(5), 3);
    assert.equal(h.countAtOrBelow(10), 5);
    assert.equal(h.countAtOrBelow(25), 7);
    assert.equal(h.countAtOrBelow(100), 8);
    assert.equal(h.countAtOrBelow(10_000), 10);
    assert.deepEqual(h.countsAtOrBelow([5, 10, 25, 75, 250, 1000, 5000]), [3, 5, 7, 8, 9, 9, 10]);
  });

  test('merge adds the values of another histogram', () => {
    const a = new LatencyHistogram();
    const b = new LatencyHistogram();
    for (let i = 0; i < 100; i++) a.record(1);
    for (let i = 0; i < 100; i++) b.record(100);
    a.merge(b);
    assert.equal(a.count, 200);
    within(a.percentile(50), 1);
    within(a.percentile(51), 100);
    assert.equal(b.count, 100);
  });

  test('encode and decode round-trip every count', () => {
    const random = new SeededRandom(42);
    const h = new LatencyHistogram();
    for (let i = 0; i < 5000; i++) h.record(random.next() * 2000);
    const copy = LatencyHistogram.decode(h.encode());
    assert.equal(copy.count, h.count);
    assert.deepEqual(copy.summary(), h.summary());
    assert.deepEqual(copy.countsAtOrBelow([1, 10, 100, 1000]), h.countsAtOrBelow([1, 10, 100, 1000]));
    assert.equal(LatencyHistogram.decode(new LatencyHistogram().encode()).count, 0);
  });

  test('decode rejects text that is not an encoded histogram', () => {
    assert.throws(
      () => LatencyHistogram.decode('not a histogram'),
      (e) => isPiperError(e, 'PIPER_TELEMETRY_BAD_HISTOGRAM'),
    );
  });

  test('reset empties the histogram', () => {
    const h = new LatencyHistogram();
    h.record(3);
    h.reset();
    assert.equal(h.count, 0);
    h.record(7);
    within(h.percentile(50), 7);
  });
});
