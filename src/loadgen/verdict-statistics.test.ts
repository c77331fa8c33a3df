import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dispersion } from './rate-evidence.ts';
import {
  binomialCdf,
  binomialUpperTail,
  clopperPearsonLower,
  clopperPearsonUpper,
  extrapolatedP99,
  minSamplesToPass,
  percentileVerdict,
  wilsonUpper,
} from './verdict-statistics.ts';

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

  it('bounds an error ratio from below as Clopper–Pearson does, mirroring the upper bound', () => {
    assert.equal(clopperPearsonLower(0, 1000, 0.05), 0);
    // 30 errors in 1,000: the exact one-sided 95 % lower bound is ≈ 2.17 %.
    const lower = clopperPearsonLower(30, 1000, 0.05);
    assert.ok(Math.abs(lower - 0.0217) < 0.0005, String(lower));
    assert.ok(Math.abs(binomialUpperTail(30, 1000, lower) - 0.05) < 1e-6);
  });

  it('extrapolates the p99 of an exponential tail exactly from its p95 and p98', () => {
    const rate = 15.35; // an M/M/1 sojourn at its SLO limit: p99 = ln(100)/15.35 s = 300 ms
    const q = (p: number) => (-Math.log(1 - p) / rate) * 1000;
    assert.ok(Math.abs(extrapolatedP99(q(0.95), q(0.98)) - q(0.99)) < 1e-9);
    // A Gaussian tail is lighter: the extrapolation lands above the true p99 (the safe side).
    const z = { 95: 1.6449, 98: 2.0537, 99: 2.3263 };
    assert.ok(extrapolatedP99(100 + 10 * z[95], 100 + 10 * z[98]) > 100 + 10 * z[99]);
  });
});

describe('dispersion of per-interval miss counts', () => {
  it('is 1 for misses spread like independent samples and large when they come in bursts', () => {
    const even = Array.from({ length: 60 }, (_, i): [number, number, number] => [100, i % 2, 0]);
    assert.equal(dispersion(even, 1), 1);
    // The same 30 misses in one second: they weigh as far fewer independent samples.
    const burst = Array.from({ length: 60 }, (_, i): [number, number, number] => [100, i === 7 ? 30 : 0, 0]);
    assert.ok(dispersion(burst, 1) > 20, String(dispersion(burst, 1)));
    assert.equal(dispersion([], 1), 1);
  });
});
