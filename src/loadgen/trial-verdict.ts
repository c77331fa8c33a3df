import { LatencyHistogram } from '../telemetry/index.ts';
import type { TrialOutcome } from './capacity-search.ts';
import type { LoadResult } from './load-result.ts';
import type { Slo } from './slo.ts';
import { clopperPearsonUpper, percentileVerdict } from './verdict-statistics.ts';

/** Send lag p99 a failing trial tolerates before it is ruled invalid (or a quarter of the SLO, if larger). */
const MAX_GENERATOR_LAG_MS = 5;

/** One capacity trial, as recorded in the result (field names are part of the journal contract). */
export interface TrialRecord {
  rateRps: number;
  durationMs: number;
  p99Ms: number;
  errorRatio: number;
  achievedRps: number;
  verdict: TrialOutcome;
}

/** The full judgement of a trial, with the numbers behind it. */
export interface TrialVerdict extends TrialRecord {
  phase: string;
  reasons: string[];
  samples: number;
  /** Samples over the p99 bound, timed out or unsent. */
  slow: number;
  p99PValue: number;
  /** Upper confidence bound of the error ratio. */
  errorUpper: number;
  achievedRatio: number;
  inFlightGrowing: boolean;
}

/**
 * Judges a trial against the SLO: `fail` when the p99 binomial test or the error upper bound
 * fails, or the target saturated (answers fell behind the offered rate, or in-flight kept
 * growing); `invalid` instead of `fail` when the generator lagged; else `pass`.
 */
export function judgeTrial(result: LoadResult, rateRps: number, phase: string, slo: Slo, alpha: number): TrialVerdict {
  const c = result.counts;
  const latency = LatencyHistogram.decode(result.histograms.latency);
  const n = c.scheduled;
  // Timed-out and unsent requests are misses of the latency bound too (they never met it).
  const slow = latency.count - latency.countAtOrBelow(slo.p99Ms) + c.timedOut + c.unsent;
  const p99 = percentileVerdict(n, slow, 0.99, alpha);
  const errors = c.failed + c.timedOut + c.unsent;
  const errorUpper = clopperPearsonUpper(errors, n, alpha);
  const reasons: string[] = [];
  if (!p99.passed) reasons.push(`p99 not shown < ${slo.p99Ms} ms: ${slow} of ${n} over (p = ${p99.pValue.toPrecision(2)} > α = ${alpha})`);
  if (!(errorUpper < slo.maxErrorRatio)) {
    reasons.push(`errors ${errors}/${n}: upper bound ${(errorUpper * 100).toPrecision(3)}% ≥ ${(slo.maxErrorRatio * 100).toPrecision(3)}%`);
  }
  if (result.saturation.saturated) {
    reasons.push(
      `saturated: achieved ${(result.saturation.achievedRatio * 100).toFixed(1)}% of offered, in flight ${result.saturation.inFlightFirst.toFixed(1)} → ${result.saturation.inFlightLast.toFixed(1)}`,
    );
  }
  if (result.aborted !== null) reasons.push(`stopped early: ${result.aborted}`);
  let verdict: TrialOutcome = reasons.length > 0 ? 'fail' : 'pass';
  // Latency is timed from the intended send, so a late generator can only make the target look
  // worse: a pass stands, but a failure with a lagging generator cannot be pinned on the target.
  const lagLimitMs = Math.max(MAX_GENERATOR_LAG_MS, slo.p99Ms / 4);
  if (verdict === 'fail' && result.generator.sendLagP99Ms > lagLimitMs) {
    verdict = 'invalid';
    reasons.unshift(
      `generator lagged (send lag p99 ${result.generator.sendLagP99Ms.toFixed(1)} ms > ${lagLimitMs} ms): ${result.generator.reasons.join('; ')}`,
    );
  }
  return {
    rateRps,
    durationMs: Math.round(result.durationMs),
    p99Ms: result.latency.p99,
    errorRatio: result.errorRatio,
    // Answers per second over the steady tail of the trial (the drain after it would blur it).
    achievedRps: rateRps * result.saturation.achievedRatio,
    verdict,
    phase,
    reasons,
    samples: n,
    slow,
    p99PValue: p99.pValue,
    errorUpper,
    achievedRatio: result.saturation.achievedRatio,
    inFlightGrowing: result.saturation.inFlightGrowing,
  };
}
