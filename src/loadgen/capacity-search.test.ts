import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CapacitySearch, type CapacitySearchOptions, type SearchStep, type TrialOutcome } from './capacity-search.ts';

const base: CapacitySearchOptions = { startRps: 100, precision: 0.02, confirmations: 2, minRps: 1, maxRps: 100_000, maxTrials: 60 };

function search(options: Partial<CapacitySearchOptions>, judge: (rate: number, n: number) => TrialOutcome) {
  const s = new CapacitySearch({ ...base, ...options });
  const tried: { phase: string; rate: number; outcome: TrialOutcome }[] = [];
  let step: SearchStep = s.step();
  while (!step.done) {
    const outcome = judge(step.rateRps, tried.length);
    tried.push({ phase: step.phase, rate: step.rateRps, outcome });
    s.record(outcome);
    step = s.step();
  }
  return { end: step, tried };
}

describe('CapacitySearch', () => {
  it('brackets by doubling, bisects in log space, confirms, and lands within the precision', () => {
    const { end, tried } = search({}, (rate) => (rate <= 737 ? 'pass' : 'fail'));
    assert.equal(end.reason, 'converged');
    assert.equal(end.confirmed, true);
    // Confirmed one precision step below the highest pass.
    assert.ok(end.capacityRps <= 737 * 0.98 && end.capacityRps >= (737 / 1.02) * 0.98, String(end.capacityRps));
    assert.ok(end.failedAtRps / end.capacityRps - 1 <= 0.02 / 0.98 + 0.02);
    assert.deepEqual(
      tried.filter((t) => t.phase === 'bracket').map((t) => t.rate),
      [100, 200, 400, 800],
    );
    const bisect = tried.filter((t) => t.phase === 'bisect');
    assert.equal(bisect[0]?.rate, Math.sqrt(400 * 800));
    assert.equal(tried.filter((t) => t.phase === 'confirm').length, 2);
  });

  it('halves down from a start rate that already fails', () => {
    const { end, tried } = search({}, (rate) => (rate <= 30 ? 'pass' : 'fail'));
    assert.deepEqual(
      tried.slice(0, 3).map((t) => t.rate),
      [100, 50, 25],
    );
    assert.ok(end.capacityRps <= 30 && end.capacityRps >= (30 / 1.02) * 0.98);
  });

  it('walks down in log space to the minimum and ends below it only when a trial at the minimum itself failed', () => {
    const { end, tried } = search({ minRps: 5 }, () => 'fail');
    assert.deepEqual(
      tried.map((t) => t.rate),
      [100, 50, 25, 12.5, 6.25, 5],
    );
    assert.equal(end.reason, 'below-minimum');
    assert.equal(end.failedAtRps, 5);
  });

  it('runs the same rate again on a retest, and only a shown failure moves the search down', () => {
    let retests = 0;
    const { end, tried } = search({}, (rate) => {
      // The first trial at 200/s cannot settle its verdict (one stray error), twice.
      if (rate === 200 && retests < 2) {
        retests++;
        return 'retest';
      }
      return rate <= 737 ? 'pass' : 'fail';
    });
    assert.deepEqual(
      tried.slice(0, 5).map((t) => t.rate),
      [100, 200, 200, 200, 400],
    );
    assert.equal(end.reason, 'converged');
    assert.ok(end.capacityRps > 600);
  });

  it('lowers the rate by the precision when a confirmation fails, then confirms again', () => {
    const s = new CapacitySearch(base);
    const seen: { phase: string; rate: number }[] = [];
    let failedOnce = false;
    for (let step = s.step(); !step.done; step = s.step()) {
      seen.push({ phase: step.phase, rate: step.rateRps });
      // The first confirmation run fails (a noisy run); every later judgement is by capacity 500.
      const noisy = step.phase === 'confirm' && !failedOnce;
      if (noisy) failedOnce = true;
      s.record(noisy || step.rateRps > 500 ? 'fail' : 'pass');
    }
    const end = s.step();
    assert.ok(end.done && end.reason === 'converged');
    const confirms = seen.filter((t) => t.phase === 'confirm');
    assert.equal(confirms.length, 3);
    assert.ok(Math.abs((confirms[1] as { rate: number }).rate - (confirms[0] as { rate: number }).rate * 0.98) < 1e-9);
    assert.equal(end.capacityRps, (confirms[1] as { rate: number }).rate);
  });

  it('retries an invalid trial, and ends generator-limited after three in a row', () => {
    const { end, tried } = search({}, (rate) => (rate >= 400 ? 'invalid' : 'pass'));
    assert.equal(end.reason, 'generator-limited');
    assert.equal(end.capacityRps, 200);
    assert.deepEqual(
      tried.map((t) => t.rate),
      [100, 200, 400, 400, 400],
    );
  });

  it('stops at the maximum rate, and below the minimum', () => {
    assert.equal(search({ maxRps: 300 }, () => 'pass').end.reason, 'at-maximum');
    const low = search({ minRps: 10 }, () => 'fail').end;
    assert.equal(low.reason, 'below-minimum');
    assert.equal(low.capacityRps, 0);
  });

  it('never runs more than maxTrials trials', () => {
    const { end, tried } = search({ maxTrials: 5 }, (rate) => (rate <= 737 ? 'pass' : 'fail'));
    assert.equal(tried.length, 5);
    assert.equal(end.reason, 'trial-limit');
    assert.equal(end.confirmed, false);
  });
});
