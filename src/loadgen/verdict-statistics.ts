/**
 * Statistics behind the capacity verdicts (ANCHORS §2.5): a one-sided binomial test for a tail
 * percentile, and an exact (Clopper–Pearson) upper confidence bound for an error ratio. Pure
 * functions, no I/O.
 */

/** P(X ≤ k) for X ~ Binomial(n, p), summed term by term in log space (no underflow at large n). */
export function binomialCdf(k: number, n: number, p: number): number {
  if (k < 0) return 0;
  if (k >= n) return 1;
  if (p <= 0) return 1;
  if (p >= 1) return 0;
  const logP = Math.log(p);
  const logQ = Math.log1p(-p);
  let logTerm = n * logQ; // i = 0
  let logSum = logTerm;
  for (let i = 0; i < k; i++) {
    logTerm += Math.log(n - i) - Math.log(i + 1) + logP - logQ;
    logSum = logAddExp(logSum, logTerm);
  }
  return Math.min(1, Math.exp(logSum));
}

function logAddExp(a: number, b: number): number {
  const hi = Math.max(a, b);
  return hi + Math.log1p(Math.exp(Math.min(a, b) - hi));
}

/** Outcome of the tail-percentile test. */
export interface PercentileVerdict {
  passed: boolean;
  /** P(seeing this few slow samples or fewer | the true exceed rate is exactly 1 − quantile). */
  pValue: number;
}

/**
 * Tests "the `quantile` latency is under the bound" from n samples of which `exceed` were over
 * it: H0 says the exceed probability is at least 1 − quantile; the verdict passes only if H0 is
 * rejected at level `alpha` (BinomCDF(E; n, 1 − q) ≤ α). A point estimate would pass half the
 * trials of a target sitting exactly on the bound.
 */
export function percentileVerdict(n: number, exceed: number, quantile: number, alpha: number): PercentileVerdict {
  if (n <= 0) return { passed: false, pValue: 1 };
  const pValue = binomialCdf(exceed, n, 1 - quantile);
  return { passed: pValue <= alpha, pValue };
}

/**
 * Exact one-sided upper confidence bound of a binomial proportion (Clopper–Pearson): the p at
 * which seeing `errors` or fewer in n has probability α. With 0 errors it is 1 − α^(1/n)
 * (≈ 3/n at 95 %, the rule of three).
 */
export function clopperPearsonUpper(errors: number, n: number, alpha: number): number {
  if (n <= 0) return 1;
  if (errors >= n) return 1;
  if (errors <= 0) return 1 - alpha ** (1 / n);
  let lo = errors / n;
  let hi = 1;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (binomialCdf(errors, n, mid) > alpha) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** Wilson score upper bound (one-sided z), a close, cheaper companion of the exact bound. */
export function wilsonUpper(errors: number, n: number, z: number): number {
  if (n <= 0) return 1;
  const p = errors / n;
  const z2 = z * z;
  return (p + z2 / (2 * n) + z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / (1 + z2 / n);
}

/**
 * Fewest samples for which a clean trial (no slow sample, no error) can pass a test whose bad
 * probability bound is `p` at level α: the smallest n with (1 − p)^n ≤ α. The same n serves the
 * percentile test (p = 1 − quantile) and the error bound (p = the error budget).
 */
export function minSamplesToPass(p: number, alpha: number): number {
  if (p <= 0) return Number.POSITIVE_INFINITY;
  if (p >= 1) return 1;
  // floor + 1 also satisfies the error bound, which must sit strictly below the budget.
  return Math.floor(Math.log(alpha) / Math.log1p(-p)) + 1;
}

/** P(X ≥ k) for X ~ Binomial(n, p): how surprising `k` or more would be if p held. */
export function binomialUpperTail(k: number, n: number, p: number): number {
  if (k <= 0) return 1;
  return Math.max(0, 1 - binomialCdf(k - 1, n, p));
}

/**
 * Exact one-sided lower confidence bound of a binomial proportion (Clopper–Pearson): the p at
 * which seeing `errors` or more in n has probability α; 0 with no errors.
 */
export function clopperPearsonLower(errors: number, n: number, alpha: number): number {
  if (n <= 0 || errors <= 0) return 0;
  if (errors >= n) return alpha ** (1 / n);
  let lo = 0;
  let hi = errors / n;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (binomialUpperTail(errors, n, mid) < alpha) lo = mid;
    else hi = mid;
  }
  return lo;
}

/**
 * The p99 extrapolated from the p95 and the p98 along an exponential tail:
 * p98 + (p98 − p95) · ln(2) / ln(2.5). Waiting times in a queue whose service times are not
 * heavy-tailed have an exponential tail (Cramér–Lundberg), so this is exact for an M/M/1 sojourn
 * and close for other queues; a lighter tail (a Gaussian one) makes it overestimate, the safe
 * side. It rests on 2–5 times as many samples as the count over the bound, which is what makes
 * it steadier when slow answers come in bursts (one queue excursion delays many requests).
 */
export function extrapolatedP99(p95: number, p98: number): number {
  return p98 + (p98 - p95) * (Math.LN2 / Math.log(2.5));
}
