import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isPiperError } from '../core/index.ts';
import { planDurationMs, planExpectedCount, planRateAt } from './arrival-schedule.ts';
import { parseRateCurve } from './rate-curve-file.ts';
import { constantPlan, parseSpike, replayPlan, stagesPlan, withSpike } from './rate-plan.ts';

describe('rate plans', () => {
  it('parses k6-style stages, each ramping from the previous target', () => {
    const plan = stagesPlan('10s:100/s,30s:500/s,5s:0/s');
    assert.deepEqual(plan, [
      { durationMs: 10_000, fromRps: 0, toRps: 100 },
      { durationMs: 30_000, fromRps: 100, toRps: 500 },
      { durationMs: 5000, fromRps: 500, toRps: 0 },
    ]);
  });

  it('names the key and the problem on a bad stage', () => {
    assert.throws(
      () => stagesPlan('10s-100/s'),
      (e) => isPiperError(e, 'PIPER_LOADGEN_INVALID_PLAN') && e.message.startsWith('stages:'),
    );
    assert.throws(
      () => constantPlan(0, 1000),
      (e) => isPiperError(e, 'PIPER_LOADGEN_INVALID_PLAN') && e.message.startsWith('rate:'),
    );
  });

  it('lays a spike over a plan: N× within a second, held, then back', () => {
    const spike = parseSpike('5x@10s:4s');
    assert.deepEqual(spike, { factor: 5, atMs: 10_000, holdMs: 4000, riseMs: 1000 });
    const plan = withSpike(constantPlan(100, 30_000), spike);
    assert.equal(planDurationMs(plan), 30_000);
    assert.equal(planRateAt(plan, 5000), 100);
    assert.equal(planRateAt(plan, 10_500), 300); // half-way up the 1 s rise
    assert.equal(planRateAt(plan, 12_000), 500);
    assert.equal(planRateAt(plan, 20_000), 100);
    // 4 s held at +400/s, plus two 1 s ramps averaging +200/s each.
    assert.equal(planExpectedCount(plan), 3000 + 1600 + 400);
  });

  it('replays a curve scaled in rate and compressed in time', () => {
    const points = parseRateCurve('seconds,rate\n0,100\n60,200\n120,100\n', 'curve.csv');
    const plan = replayPlan(points, { scale: 2, compress: 60 });
    assert.equal(planDurationMs(plan), 1000 + 1000 + 1000 / 60);
    assert.equal(planRateAt(plan, 0), 200);
    assert.equal(planRateAt(plan, 1000), 400);
  });

  it('reads rate curves from one-column CSV and from JSON', () => {
    assert.deepEqual(parseRateCurve('5\n7\n', 'a.csv'), [
      { atS: 0, rps: 5 },
      { atS: 1, rps: 7 },
    ]);
    assert.deepEqual(parseRateCurve('[{"t":0,"rate":3},{"t":2,"rate":4}]', 'a.json'), [
      { atS: 0, rps: 3 },
      { atS: 2, rps: 4 },
    ]);
    assert.throws(
      () => parseRateCurve('0,1\nx,2\n', 'bad.csv'),
      (e) => isPiperError(e, 'PIPER_LOADGEN_INVALID_CURVE') && e.message.includes('line 2'),
    );
  });
});
