/**
 * Mixture sequential probability ratio test for "a share of Bernoulli outcomes is above a bound"
 * (H₀: share ≤ b), valid at every look like {@link Msprt} (ANCHORS.md §3.3).
 *
 * Why not the normal approximation {@link Msprt} uses: the bounds here are small (1.5 % of
 * requests slower than the source's p99), and at 20 outcomes a normal approximation of a 1.5 %
 * share calls 3 successes overwhelming evidence (Λ ≈ 17 000) where the binomial says about 1 in
 * 300. So the likelihood ratio is exact: Wald's ratio for each alternative share pⱼ = b·cⱼ,
 * Λⱼ = (pⱼ/b)^k · ((1 − pⱼ)/(1 − b))^(n − k) after k successes in n, mixed with equal weight,
 * Λ = mean Λⱼ. Under H₀ each Λⱼ is a non-negative supermartingale, so is their mean, and Ville's
 * inequality bounds the chance it ever reaches 1/α by α: p = min(p_prev, 1/Λ) is always valid.
 */
export interface ShareMsprtOptions {
  /** Largest false-alarm probability over all looks. */
  alpha: number;
  /** The share H₀ allows (in (0, 1)). */
  bound: number;
  /** Outcomes needed before the test may reject. */
  minSamples: number;
}

/** What the test concluded after the latest look. */
export interface ShareMsprtResult {
  samples: number;
  successes: number;
  /** successes / samples (0 before any sample). */
  share: number;
  bound: number;
  /** The mixture likelihood ratio Λ at this look. */
  lambda: number;
  /** Always-valid p-value (non-increasing). */
  pValue: number;
  alpha: number;
  rejected: boolean;
}

/** The alternatives, as multiples of the bound: from a half again (the most a test of a few thousand outcomes can see) to eight times. */
const ALTERNATIVES = [1.5, 2, 3, 5, 8] as const;

/** One running test; feed it each window's counts with {@link ShareMsprt.observe}. */
export class ShareMsprt {
  readonly #options: ShareMsprtOptions;
  #n = 0;
  #k = 0;
  #p = 1;
  #last: ShareMsprtResult;

  constructor(options: ShareMsprtOptions) {
    this.#options = options;
    this.#last = this.#result(1);
  }

  /** Adds one window's counts and re-evaluates. */
  observe(samples: number, successes: number): ShareMsprtResult {
    this.#n += samples;
    this.#k += Math.min(successes, samples);
    const lambda = shareMixtureRatio(this.#n, this.#k, this.#options.bound);
    if (this.#n >= this.#options.minSamples) this.#p = Math.min(this.#p, 1 / lambda);
    this.#last = this.#result(lambda);
    return this.#last;
  }

  /** The result of the latest look. */
  get result(): ShareMsprtResult {
    return this.#last;
  }

  #result(lambda: number): ShareMsprtResult {
    return {
      samples: this.#n,
      successes: this.#k,
      share: this.#n > 0 ? this.#k / this.#n : 0,
      bound: this.#options.bound,
      lambda,
      pValue: this.#p,
      alpha: this.#options.alpha,
      rejected: this.#p <= this.#options.alpha,
    };
  }
}

/** Λ after k successes in n outcomes against H₀: share ≤ bound (log-sum-exp, so thousands of outcomes do not overflow). */
export function shareMixtureRatio(n: number, k: number, bound: number): number {
  const logs = ALTERNATIVES.map((c) => bound * c)
    .filter((p) => p < 1)
    .map((p) => k * Math.log(p / bound) + (n - k) * Math.log((1 - p) / (1 - bound)));
  if (logs.length === 0) return 1;
  const top = Math.max(...logs);
  const log = top + Math.log(logs.reduce((sum, l) => sum + Math.exp(l - top), 0) / logs.length);
  return Math.exp(Math.min(log, 700));
}
