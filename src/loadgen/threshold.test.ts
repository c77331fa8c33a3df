import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isPiperError } from '../core/index.ts';
import { LatencyHistogram } from '../telemetry/index.ts';
import { parseSlo } from './slo.ts';
import { evaluateThresholds, parseThreshold } from './threshold.ts';

describe('thresholds and SLOs', () => {
  it('parses k6-style latency and error thresholds', () => {
    assert.deepEqual(parseThreshold('p99<200ms'), { text: 'p99<200ms', metric: 'latency', percentile: 99, limit: 200 });
    assert.deepEqual(parseThreshold('p(99.9) < 1s'), { text: 'p(99.9) < 1s', metric: 'latency', percentile: 99.9, limit: 1000 });
    assert.equal(parseThreshold('avg<50ms').percentile, undefined);
    assert.equal(parseThreshold('max<2s').percentile, 100);
    assert.equal(parseThreshold('errors<0.1%').limit, 0.001);
  });

  it('rejects malformed thresholds, naming them', () => {
    for (const bad of ['p99>200ms', 'p99<200', 'latency<1s', 'errors<0.1', 'p0<1s']) {
      assert.throws(
        () => parseThreshold(bad),
        (e) => isPiperError(e, 'PIPER_LOADGEN_INVALID_THRESHOLD') && e.message.includes(bad),
        bad,
      );
    }
  });

  it('counts failed, timed-out and unsent requests as errors, and fails latency bounds by percentile', () => {
    const h = new LatencyHistogram();
    for (let i = 0; i < 98; i++) h.record(10);
    h.record(300);
    h.record(400);
    const counts = { scheduled: 1000, failed: 1, timedOut: 1, unsent: 1 };
    const results = evaluateThresholds([parseThreshold('p50<20ms'), parseThreshold('p99<250ms'), parseThreshold('errors<0.5%')], counts, h);
    assert.deepEqual(
      results.map((r) => r.passed),
      [true, false, true],
    );
    assert.equal(results[2]?.actual, 0.003);
  });

  it('parses an SLO with both parts and refuses anything else', () => {
    assert.deepEqual(parseSlo('p99<200ms,errors<0.1%'), { p99Ms: 200, maxErrorRatio: 0.001 });
    assert.deepEqual(parseSlo('errors<1%, p99<1s'), { p99Ms: 1000, maxErrorRatio: 0.01 });
    for (const bad of ['p99<200ms', 'p95<200ms,errors<1%', 'p99<200ms,errors<0%']) {
      assert.throws(
        () => parseSlo(bad),
        (e) => isPiperError(e, 'PIPER_LOADGEN_INVALID_SLO') && e.message.startsWith('slo:'),
        bad,
      );
    }
  });
});
