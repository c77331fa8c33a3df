import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Random, SeededRandom } from '../core/index.ts';
import { ShareMsprt, shareMixtureRatio } from './msprt-share.ts';

function binomial(random: Random, n: number, p: number): number {
  let k = 0;
  for (let i = 0; i < n; i++) if (random.next() < p) k++;
  return k;
}

describe('ShareMsprt', () => {
  it('keeps the false-alarm rate under alpha for a share exactly at the bound, looking every window', () => {
    const random = new SeededRandom(42);
    const alpha = 0.05;
    const trials = 1000;
    for (const bound of [0.15, 0.015]) {
      let alarms = 0;
      for (let t = 0; t < trials; t++) {
        const test = new ShareMsprt({ alpha, bound, minSamples: 10 });
        for (let w = 0; w < 60; w++) {
          const n = 5 + random.int(20);
          if (test.observe(n, binomial(random, n, bound)).rejected) {
            alarms++;
            break;
          }
        }
      }
      assert.ok(alarms / trials <= alpha, `bound ${bound}: false-alarm rate ${alarms / trials} > ${alpha}`);
    }
  });

  it('does not take 3 of 20 for overwhelming evidence against a 1.5 % bound (the normal approximation does)', () => {
    // Binomially, 3 or more of 20 at 1.5 % happens about once in 300.
    const lambda = shareMixtureRatio(20, 3, 0.015);
    assert.ok(lambda > 1 && lambda < 300, `lambda ${lambda}`);
  });

  it('rejects a share twice the bound within a few hundred outcomes, and never one under it', () => {
    const random = new SeededRandom(7);
    const over = new ShareMsprt({ alpha: 0.001, bound: 0.15, minSamples: 10 });
    let n = 0;
    while (!over.result.rejected && n < 2000) {
      over.observe(20, binomial(random, 20, 0.3));
      n += 20;
    }
    assert.ok(over.result.rejected && n <= 400, `rejected after ${n}`);
    const under = new ShareMsprt({ alpha: 0.001, bound: 0.15, minSamples: 10 });
    for (let w = 0; w < 500; w++) under.observe(20, binomial(random, 20, 0.1));
    assert.equal(under.result.rejected, false);
    assert.ok(under.result.lambda < 1e-6);
  });

  it('waits for minSamples before it may reject', () => {
    const test = new ShareMsprt({ alpha: 0.05, bound: 0.1, minSamples: 10 });
    assert.equal(test.observe(9, 9).rejected, false);
    assert.equal(test.result.pValue, 1);
    assert.equal(test.observe(1, 1).rejected, true);
  });
});
