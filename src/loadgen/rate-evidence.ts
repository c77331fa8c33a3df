import { LatencyHistogram } from '../telemetry/index.ts';

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

  constructor(rateRps: number) {
    this.rateRps = rateRps;
  }

  /** Adds one trial's judged window. */
  add(counts: JudgedCounts, latency: LatencyHistogram, judgedMs: number): void {
    this.trials++;
    this.judgedMs += judgedMs;
    this.counts.scheduled += counts.scheduled;
    this.counts.slow += counts.slow;
    this.counts.errors += counts.errors;
    this.latency.merge(latency);
  }

  /** This evidence with one more trial, leaving this one as it is. */
  plus(counts: JudgedCounts, latency: LatencyHistogram, judgedMs: number): RateEvidence {
    const next = new RateEvidence(this.rateRps);
    next.add(this.counts, this.latency, this.judgedMs);
    next.trials = this.trials;
    next.add(counts, latency, judgedMs);
    return next;
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
