import { LatencyHistogram } from '../telemetry/index.ts';
import type { JudgedInterval } from './load-aggregate.ts';

/** What the judged windows of one or more trials at the same rate held, pooled. */
export interface JudgedCounts {
  /** Requests due in the judged windows. */
  scheduled: number;
  /** Over the latency bound, timed out or unsent. */
  slow: number;
  /** Failed, timed out or unsent. */
  errors: number;
}

/**
 * The evidence gathered at one offered rate: the judged windows of its trials, summed (MLRsearch
 * sums trial durations at a load instead of judging each trial alone). A verdict that a trial
 * cannot settle (one stray error, a p99 near the bound) asks for another trial at the same rate,
 * whose samples join these.
 */
export class RateEvidence {
  readonly rateRps: number;
  trials = 0;
  /** Judged time summed over the trials, ms. */
  judgedMs = 0;
  readonly counts: JudgedCounts = { scheduled: 0, slow: 0, errors: 0 };
  /** Latency (from intended send) of the judged answers. */
  readonly latency = new LatencyHistogram();
  /** The counts per interval (one second), [due, slow, errors]. */
  readonly intervals: JudgedInterval[] = [];

  constructor(rateRps: number) {
    this.rateRps = rateRps;
  }

  /** Adds one trial's judged window. */
  add(counts: JudgedCounts, latency: LatencyHistogram, judgedMs: number, intervals: readonly JudgedInterval[] = []): void {
    this.trials++;
    this.intervals.push(...intervals);
    this.judgedMs += judgedMs;
    this.counts.scheduled += counts.scheduled;
    this.counts.slow += counts.slow;
    this.counts.errors += counts.errors;
    this.latency.merge(latency);
  }

  /** This evidence with one more trial, leaving this one as it is. */
  plus(counts: JudgedCounts, latency: LatencyHistogram, judgedMs: number, intervals: readonly JudgedInterval[]): RateEvidence {
    const next = new RateEvidence(this.rateRps);
    next.add(this.counts, this.latency, this.judgedMs, this.intervals);
    next.trials = this.trials;
    next.add(counts, latency, judgedMs, intervals);
    return next;
  }

  /** Dispersion (≥ 1) of the slow counts across intervals: see {@link dispersion}. */
  slowDispersion(): number {
    return dispersion(this.intervals, 1);
  }

  /** Dispersion (≥ 1) of the error counts across intervals. */
  errorDispersion(): number {
    return dispersion(this.intervals, 2);
  }

  /**
   * The q-quantile (0..1) of the latency of every judged request, where requests without an
   * answer time (timed out, unsent, failed on the connection) count as slower than any answer.
   */
  quantileMs(q: number): number {
    const answered = this.latency.count;
    const n = Math.max(this.counts.scheduled, answered);
    if (n === 0) return 0;
    const rank = q * n;
    if (rank > answered) return Number.POSITIVE_INFINITY;
    return this.latency.percentile((100 * rank) / answered);
  }
}

/**
 * How much more the per-interval counts of misses vary than independent samples would
 * (quasi-binomial dispersion φ = Σ (xᵢ − nᵢp̂)² / (nᵢp̂(1 − p̂)) / (k − 1), at least 1). Misses come
 * in bursts (one queue excursion delays a run of requests; one empty token bucket refuses a run),
 * so n samples weigh as n / φ independent ones: the binomial tests use n / φ and x / φ, which
 * keeps a burst from passing, or failing, a verdict on its own (ANCHORS §2.5's caveat).
 */
export function dispersion(intervals: readonly (readonly number[])[], column: 1 | 2): number {
  let n = 0;
  let x = 0;
  for (const row of intervals) {
    n += row[0] as number;
    x += row[column] as number;
  }
  if (n === 0 || x === 0 || x >= n || intervals.length < 2) return 1;
  const p = x / n;
  let chi2 = 0;
  let k = 0;
  for (const row of intervals) {
    const due = row[0] as number;
    if (due <= 0) continue;
    const expected = due * p;
    chi2 += ((row[column] as number) - expected) ** 2 / (expected * (1 - p));
    k++;
  }
  return k < 2 ? 1 : Math.max(1, chi2 / (k - 1));
}
