import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { binomialCdf, clopperPearsonUpper, minSamplesToPass, percentileVerdict, wilsonUpper } from './verdict-statistics.ts';

describe('verdict statistics', () => {
  it('computes the binomial CDF exactly for small n and stably for large n', () => {
    // n = 4, p = 0.5: P(X ≤ 1) = (1 + 4) / 16.
    assert.ok(Math.abs(binomialCdf(1, 4, 0.5) - 5 / 16) < 1e-12);
    assert.equal(binomialCdf(4, 4, 0.3), 1);
    // Mean of Binomial(1e6, 0.01) is 10,000: the CDF there is a little above one half.
    const mid = binomialCdf(10_000, 1_000_000, 0.01);
    assert.ok(mid > 0.5 && mid < 0.52, String(mid));
  });

  it('passes p99 on 120,000 samples with ~1,119 slow ones at α = 0.01, not with 1,200 (ANCHORS §2.5)', () => {
    assert.equal(percentileVerdict(120_000, 1100, 0.99, 0.01).passed, true);
    assert.equal(percentileVerdict(120_000, 1200, 0.99, 0.01).passed, false);
    // The boundary lies near the normal approximation np − z·√(np(1 − p)) ≈ 1,119.
    let boundary = 0;
    while (percentileVerdict(120_000, boundary + 1, 0.99, 0.01).passed) boundary++;
    assert.ok(boundary >= 1110 && boundary <= 1125, String(boundary));
  });

  it('cannot pass a percentile from too few samples', () => {
    assert.equal(percentileVerdict(100, 0, 0.99, 0.05).passed, false);
    assert.equal(percentileVerdict(minSamplesToPass(0.01, 0.05), 0, 0.99, 0.05).passed, true);
    assert.equal(percentileVerdict(0, 0, 0.99, 0.05).passed, false);
  });

  it('bounds an error ratio from above: the rule of three with no errors', () => {
    const ucb = clopperPearsonUpper(0, 3000, 0.05);
    assert.ok(Math.abs(ucb - 3 / 3000) < 0.00002, String(ucb));
    // With errors the exact bound sits above the point estimate and near Wilson's.
    const exact = clopperPearsonUpper(10, 1000, 0.05);
    const wilson = wilsonUpper(10, 1000, 1.6449);
    assert.ok(exact > 0.01 && exact < 0.02, String(exact));
    assert.ok(Math.abs(exact - wilson) < 0.002, `${exact} vs ${wilson}`);
    // P(X ≤ 10 | n, UCB) is α by construction.
    assert.ok(Math.abs(binomialCdf(10, 1000, exact) - 0.05) < 1e-6);
  });

  it('needs about 3,000 clean requests to prove errors < 0.1 % at 95 %', () => {
    const n = minSamplesToPass(0.001, 0.05);
    assert.ok(n >= 2990 && n <= 3000, String(n));
    assert.ok(clopperPearsonUpper(0, n, 0.05) < 0.001);
    assert.ok(clopperPearsonUpper(0, n - 1, 0.05) >= 0.001);
  });
});
