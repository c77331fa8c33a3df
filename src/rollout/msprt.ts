/**
 * Mixture sequential probability ratio test (mSPRT) for "the target's failure ratio is worse than
 * the source's by more than a margin", after Johari, Pekelis and Walsh, "Always Valid Inference:
 * Continuous Monitoring of A/B Tests" (ANCHORS.md §3.3).
 *
 * Why this test: the judge looks every second. A fixed-sample test checked that often raises false
 * alarms far above its nominal level; the mSPRT's always-valid p-value keeps the false-alarm
 * probability at most `alpha` over every look (Ville's inequality), however many there are.
 *
 * The difference of the two ratios is approximately normal with variance
 * σ² = p̄(1 − p̄)(1/nT + 1/nS) (p̄ the pooled ratio, smoothed so zero failures do not give zero
 * variance). With a normal mixing prior N(θ₀, τ²) on the effect, the mixture likelihood ratio is
 * Λ = √(σ²/(σ² + τ²)) · exp(τ²(d − θ₀)² / (2σ²(σ² + τ²))), and p = min(p_prev, 1/Λ). The test is
 * one-sided: only a target worse than the source by more than θ₀ counts against it.
 */
export interface MsprtOptions {
  /** Largest false-alarm probability over all looks. */
  alpha: number;
  /** Tolerated degradation θ₀ (absolute difference of ratios, e.g. 0.01). */
  margin: number;
  /** Standard deviation τ of the mixing prior: the effect size the test is most sensitive to. */
  tau: number;
  /** Target samples needed before the test may reject (the normal approximation needs a few). */
  minSamples: number;
}

/** What the test concluded after the latest look, with every number behind it. */
export interface MsprtResult {
  targetSamples: number;
  targetFailures: number;
  sourceSamples: number;
  sourceFailures: number;
  /** Observed target ratio minus source ratio. */
  difference: number;
  /** The mixture likelihood ratio Λ at this look. */
  lambda: number;
  /** Always-valid p-value (non-increasing). */
  pValue: number;
  alpha: number;
  rejected: boolean;
}

/** One running mSPRT; feed it each window's counts with {@link Msprt.observe}. */
export class Msprt {
  readonly #options: MsprtOptions;
  #nT = 0;
  #fT = 0;
  #nS = 0;
  #fS = 0;
  #p = 1;
  #last: MsprtResult;

  constructor(options: MsprtOptions) {
    this.#options = options;
    this.#last = this.#result(0, 1);
  }

  /** Adds one window's counts and re-evaluates. */
  observe(targetSamples: number, targetFailures: number, sourceSamples: number, sourceFailures: number): MsprtResult {
    this.#nT += targetSamples;
    this.#fT += Math.min(targetFailures, targetSamples);
    this.#nS += sourceSamples;
    this.#fS += Math.min(sourceFailures, sourceSamples);
    const { lambda, difference } = mixtureRatio(this.#nT, this.#fT, this.#nS, this.#fS, this.#options);
    if (this.#nT >= this.#options.minSamples && this.#nS > 0) this.#p = Math.min(this.#p, 1 / lambda);
    this.#last = this.#result(difference, lambda);
    return this.#last;
  }

  /** The result of the latest look. */
  get result(): MsprtResult {
    return this.#last;
  }

  #result(difference: number, lambda: number): MsprtResult {
    return {
      targetSamples: this.#nT,
      targetFailures: this.#fT,
      sourceSamples: this.#nS,
      sourceFailures: this.#fS,
      difference,
      lambda,
      pValue: this.#p,
      alpha: this.#options.alpha,
      rejected: this.#p <= this.#options.alpha,
    };
  }
}

/** Λ for cumulative counts; 1 (no evidence) when the target is not worse than source + margin. */
export function mixtureRatio(
  nT: number,
  fT: number,
  nS: number,
  fS: number,
  options: Pick<MsprtOptions, 'margin' | 'tau'>,
): { lambda: number; difference: number } {
  if (nT === 0 || nS === 0) return { lambda: 1, difference: 0 };
  const difference = fT / nT - fS / nS;
  const excess = difference - options.margin;
  if (excess <= 0) return { lambda: 1, difference };
  // Laplace smoothing: with no failures on either side the variance must not collapse to 0.
  const pooled = (fT + fS + 1) / (nT + nS + 2);
  const variance = pooled * (1 - pooled) * (1 / nT + 1 / nS);
  const tau2 = options.tau * options.tau;
  const logLambda = 0.5 * Math.log(variance / (variance + tau2)) + (tau2 * excess * excess) / (2 * variance * (variance + tau2));
  return { lambda: Math.exp(Math.min(logLambda, 700)), difference };
}
