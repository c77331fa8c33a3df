import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Random, SeededRandom } from '../core/index.ts';
import { Msprt, mixtureRatio } from './msprt.ts';

function binomial(random: Random, n: number, p: number): number {
  let k = 0;
  for (let i = 0; i < n; i++) if (random.next() < p) k++;
  return k;
}

describe('Msprt', () => {
  it('keeps the false-alarm rate under alpha when both sides are identical (A/A), looking every window', () => {
    const random = new SeededRandom(42);
    const alpha = 0.05;
    const trials = 1000;
    let alarms = 0;
    for (let t = 0; t < trials; t++) {
      const test = new Msprt({ alpha, margin: 0, tau: 0.1, minSamples: 10 });
      for (let w = 0; w < 60; w++) {
        const nT = 5 + random.int(20);
        const nS = 50 + random.int(100);
        if (test.observe(nT, binomial(random, nT, 0.02), nS, binomial(random, nS, 0.02)).rejected) {
          alarms++;
          break;
        }
      }
    }
    // A fixed-level test checked 60 times would alarm far more often than alpha.
    assert.ok(alarms / trials <= alpha, `false-alarm rate ${alarms / trials} > ${alpha}`);
  });

  it('detects a 20% error ratio against a clean source within a few windows', () => {
    const random = new SeededRandom(7);
    const trials = 500;
    const windowsNeeded: number[] = [];
    for (let t = 0; t < trials; t++) {
      const test = new Msprt({ alpha: 0.01 / 6, margin: 0.01, tau: 0.1, minSamples: 10 });
      for (let w = 1; w <= 20; w++) {
        if (test.observe(10, binomial(random, 10, 0.2), 90, binomial(random, 90, 0.005)).rejected) {
          windowsNeeded.push(w);
          break;
        }
      }
    }
    assert.equal(windowsNeeded.length, trials, 'every regression is detected');
    const within3 = windowsNeeded.filter((w) => w <= 3).length / trials;
    assert.ok(within3 >= 0.8, `detected within 3 windows in ${within3} of trials`);
  });

  it('never rejects when the target is better than the source', () => {
    const test = new Msprt({ alpha: 0.05, margin: 0, tau: 0.1, minSamples: 10 });
    for (let w = 0; w < 100; w++) assert.equal(test.observe(50, 0, 50, 10).rejected, false);
    assert.equal(test.result.pValue, 1);
  });

  it('keeps its p-value non-increasing and reports the counts behind it', () => {
    const test = new Msprt({ alpha: 0.01, margin: 0, tau: 0.1, minSamples: 10 });
    let last = 1;
    for (let w = 0; w < 10; w++) {
      const r = test.observe(10, w % 2, 100, 0);
      assert.ok(r.pValue <= last);
      last = r.pValue;
    }
    assert.equal(test.result.targetSamples, 100);
    assert.equal(test.result.targetFailures, 5);
    assert.equal(test.result.sourceSamples, 1000);
  });

  it('gives no evidence with no samples or within the margin', () => {
    assert.equal(mixtureRatio(0, 0, 10, 1, { margin: 0, tau: 0.1 }).lambda, 1);
    assert.equal(mixtureRatio(100, 2, 100, 1, { margin: 0.02, tau: 0.1 }).lambda, 1);
    assert.ok(mixtureRatio(100, 30, 100, 1, { margin: 0.02, tau: 0.1 }).lambda > 1000);
  });
});
