import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LatencyHistogram } from '../telemetry/index.ts';
import type { LoadResult } from './load-result.ts';
import { RateEvidence } from './rate-evidence.ts';
import { judgeTrial } from './trial-verdict.ts';

/** A trial of 300 requests that kept up: all answered in 50 ms but `slow`, which took 400 ms. */
function trial(slow: number, inFlight: { first: number; last: number } = { first: 5, last: 5 }): LoadResult {
  const latency = new LatencyHistogram();
  for (let i = 0; i < 300; i++) latency.record(i < slow ? 400 : 50);
  const summary = { count: 300, min: 50, mean: 50, p50: 50, p90: 50, p99: 50, p999: 400, max: 400 };
  const encoded = latency.encode();
  return {
    target: 'http://127.0.0.1:8080/',
    model: 'open',
    workers: 1,
    plannedMs: 3000,
    durationMs: 3000,
    counts: { scheduled: 300, sent: 300, completed: 300, failed: 0, timedOut: 0, unsent: 0, errors: {}, statuses: { '2xx': 300 } },
    bookkeepingHolds: true,
    offeredRps: 100,
    achievedRps: 100,
    latency: summary,
    completedLatency: summary,
    service: summary,
    errorRatio: 0,
    generator: { sendLagP99Ms: 1, loopDelayP99MaxMs: 1, utilizationMax: 0.1, bottleneck: false, reasons: [] },
    saturation: {
      achievedRatio: 1,
      inFlightFirst: inFlight.first,
      inFlightLast: inFlight.last,
      inFlightGrowing: inFlight.last > inFlight.first * 1.1 + 2,
      saturated: false,
    },
    judged: { scheduled: 300, slow, errors: 0, latency: encoded, intervals: [] },
    thresholds: [],
    aborted: null,
    timeline: [],
    histograms: { latency: encoded, completedLatency: encoded, service: encoded },
  };
}

describe('judgeTrial', () => {
  const options = { slo: { p99Ms: 300, maxErrorRatio: 0.05 }, alpha: 0.05, judgedMs: 3000, mayRetest: true };

  it('says a p99 under the bound that the samples cannot yet prove is short of samples, not over', () => {
    const { verdict } = judgeTrial(trial(1), 100, 'search', { ...options, evidence: new RateEvidence(100) });
    assert.equal(verdict.verdict, 'retest');
    assert.deepEqual(verdict.reasons, ['too few samples to prove p99 < 300 ms: 1 of 300 over (p = 0.20, needs ≤ 0.05)']);
  });

  it("takes a queue's ordinary swing in flight for what it is, and growth toward the bound as unsettled", () => {
    // 100/s with a 300 ms bound: 30 in flight would be a mean wait of the whole bound (Little's law).
    const swing = judgeTrial(trial(0, { first: 1, last: 7 }), 100, 'search', { ...options, evidence: new RateEvidence(100) });
    assert.equal(swing.verdict.verdict, 'pass', swing.verdict.reasons.join('; '));
    const growing = judgeTrial(trial(0, { first: 4, last: 12 }), 100, 'search', { ...options, evidence: new RateEvidence(100) });
    assert.equal(growing.verdict.verdict, 'retest');
    assert.deepEqual(growing.verdict.reasons, ['in flight still growing: 4.0 → 12.0']);
  });

  it('once the budget is spent, takes a rate whose point estimates sit well inside the SLO while searching, and never to confirm', () => {
    const spent = { ...options, mayRetest: false, evidence: new RateEvidence(100) };
    // 1 of 300 over (0.33 %, under half the 1 % a p99 allows) and an extrapolated p99 of 50 ms.
    const searching = judgeTrial(trial(1), 100, 'bisect', spent).verdict;
    assert.equal(searching.verdict, 'pass');
    assert.match(searching.reasons.at(-1) ?? '', /not shown, but the pooled point estimates are well within the SLO/);
    assert.equal(judgeTrial(trial(1), 100, 'confirm', spent).verdict.verdict, 'fail');
    // 2 of 300 (0.67 %) is within the SLO but not well within: not shown, so it fails.
    assert.equal(judgeTrial(trial(2), 100, 'bisect', spent).verdict.verdict, 'fail');
  });
});
