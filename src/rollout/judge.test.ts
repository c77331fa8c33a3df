import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type JudgeSettings, StepJudge } from './judge.ts';
import { histogramSlowCounter } from './slow-requests.ts';
import { syntheticWindow } from './synthetic-window.ts';

const settings: JudgeSettings = {
  maxErrorRatio: 0.2,
  hardMinFailures: 2,
  consecutiveFailures: 3,
  noDataWindows: 3,
  alpha: 0.01 / 6,
  errorMargin: 0.01,
  latencyMargin: 0.02,
  latencyThresholdMs: 500,
  minSamples: 10,
};

function judgeOf(target: Parameters<typeof syntheticWindow>[2][string], source = { requests: 90 }, expect = true) {
  const judge = new StepJudge(settings, histogramSlowCounter);
  const w = syntheticWindow(0, 'web', { inhouse: target, vendor: source });
  return judge.observe(w.start, w.pools.inhouse, w.pools.vendor, expect);
}

describe('StepJudge', () => {
  it('passes a healthy window', () => {
    const d = judgeOf({ requests: 10 });
    assert.equal(d.verdict, 'pass');
    assert.deepEqual(d.reasons, []);
  });

  it('rolls back at once on an error ratio of 20% (hard guard)', () => {
    const d = judgeOf({ requests: 10, failed: 2 });
    assert.equal(d.verdict, 'rollback');
    assert.equal(d.hard, true);
    assert.ok(d.reasons.includes('error_ratio'));
    assert.equal(d.target.errorRatio, 0.2);
  });

  it('does not call one failure in two requests a hard failure', () => {
    assert.equal(judgeOf({ requests: 2, failed: 1 }).hard, false);
  });

  it('rolls back at once on a connection failure', () => {
    const d = judgeOf({ requests: 10, failed: 1, connectFailures: 1 });
    assert.equal(d.verdict, 'rollback');
    assert.deepEqual(d.reasons, ['connection_failures']);
  });

  it('rolls back when the p99 is over the SLO for 3 consecutive windows, not 2', () => {
    const judge = new StepJudge({ ...settings, latencyMargin: 1 }, histogramSlowCounter);
    const slow = (start: number) =>
      syntheticWindow(start, 'web', { inhouse: { requests: 10, slow: 1, slowMs: 900 }, vendor: { requests: 90 } });
    const fast = (start: number) => syntheticWindow(start, 'web', { inhouse: { requests: 10 }, vendor: { requests: 90 } });
    const seq = [slow(0), slow(1000), fast(2000), slow(3000), slow(4000), slow(5000)];
    const verdicts = seq.map((w) => judge.observe(w.start, w.pools.inhouse, w.pools.vendor, true));
    assert.deepEqual(
      verdicts.map((d) => d.verdict),
      ['pass', 'pass', 'pass', 'pass', 'pass', 'rollback'],
    );
    assert.deepEqual(verdicts[5]?.reasons, ['p99_over_slo']);
    assert.equal(verdicts[5]?.hard, false);
  });

  it('detects slower target latency from the histograms with the sequential test', () => {
    const judge = new StepJudge(settings, histogramSlowCounter);
    let rolled = -1;
    for (let i = 0; i < 10 && rolled < 0; i++) {
      // 30% of target requests over the 500 ms SLO threshold, none on the source; p99 rule disabled by a high count.
      const w = syntheticWindow(i * 1000, 'web', { inhouse: { requests: 20, slow: 6, slowMs: 800 }, vendor: { requests: 80 } });
      const d = judge.observe(w.start, w.pools.inhouse, w.pools.vendor, true);
      if (d.reasons.includes('msprt_latency')) rolled = i;
    }
    assert.ok(rolled >= 0 && rolled <= 3, `latency regression detected at window ${rolled}`);
  });

  it('holds (never passes) after 3 windows with route traffic but none on the target', () => {
    const judge = new StepJudge(settings, histogramSlowCounter);
    const verdicts = [0, 1, 2].map((i) => {
      const w = syntheticWindow(i * 1000, 'web', { inhouse: { requests: 0 }, vendor: { requests: 90 } });
      return judge.observe(w.start, w.pools.inhouse, w.pools.vendor, true);
    });
    assert.deepEqual(
      verdicts.map((d) => d.verdict),
      ['pass', 'pass', 'hold'],
    );
    assert.deepEqual(verdicts[2]?.reasons, ['no_target_data']);
    assert.equal(judge.targetRequests, 0);
  });

  it('a window whose log lines were lost never passes as a clean second: it holds and says what was missing', () => {
    const judge = new StepJudge(settings, histogramSlowCounter);
    // A quiet, clean-looking window: every request the data plane could count succeeded.
    const w = syntheticWindow(0, 'web', { inhouse: { requests: 10 }, vendor: { requests: 90 } });
    const d = judge.observe(w.start, w.pools.inhouse, w.pools.vendor, true, '40 log lines lost');
    assert.equal(d.verdict, 'hold');
    assert.deepEqual(d.reasons, ['incomplete_data']);
    assert.equal(d.incomplete, '40 log lines lost');
    // An empty one too: no data is not a quiet second.
    const empty = syntheticWindow(1000, 'web', { inhouse: { requests: 0 }, vendor: { requests: 0 } });
    assert.equal(judge.observe(empty.start, empty.pools.inhouse, empty.pools.vendor, false, 'no window for 2 s').verdict, 'hold');
  });

  it('still rolls back on the failures an incomplete window did count', () => {
    const judge = new StepJudge(settings, histogramSlowCounter);
    const w = syntheticWindow(0, 'web', { inhouse: { requests: 10, failed: 5 }, vendor: { requests: 90 } });
    const d = judge.observe(w.start, w.pools.inhouse, w.pools.vendor, true, '3 log lines cut');
    assert.equal(d.verdict, 'rollback');
    assert.ok(d.reasons.includes('error_ratio'));
    assert.ok(!d.reasons.includes('incomplete_data'));
  });
});
