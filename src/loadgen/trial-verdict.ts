import { LatencyHistogram } from '../telemetry/index.ts';
import type { TrialOutcome } from './capacity-search.ts';
import type { JudgedInterval } from './load-aggregate.ts';
import type { LoadResult } from './load-result.ts';
import type { RateEvidence } from './rate-evidence.ts';
import type { Slo } from './slo.ts';
import { binomialUpperTail, clopperPearsonLower, clopperPearsonUpper, extrapolatedP99, percentileVerdict } from './verdict-statistics.ts';

/** Answers ÷ offered under which a saturated trial fails at once rather than being retested. */
const MIN_SHOWN_ACHIEVED = 0.9;

/** Send lag p99 a failing trial tolerates before it is ruled invalid (or a quarter of the SLO, if larger). */
const MAX_GENERATOR_LAG_MS = 5;

/** One capacity trial, as recorded in the result (field names are part of the journal contract). */
export interface TrialRecord {
  rateRps: number;
  durationMs: number;
  p99Ms: number;
  errorRatio: number;
  achievedRps: number;
  /** `retest`: the evidence at this rate did not settle the verdict, so the rate is tried again. */
  verdict: TrialOutcome;
}

/** The full judgement of a trial, with the numbers behind it. */
export interface TrialVerdict extends TrialRecord {
  phase: string;
  reasons: string[];
  /** Judged samples at this rate so far (this trial's and earlier ones' at the same rate). */
  samples: number;
  /** Of them, over the p99 bound, timed out or unsent. */
  slow: number;
  p99PValue: number;
  /** Upper confidence bound of the error ratio (pooled). */
  errorUpper: number;
  /** The pooled p99 extrapolated from the p95 and p98 (see {@link extrapolatedP99}), ms. */
  p99EstimateMs: number;
  achievedRatio: number;
  inFlightGrowing: boolean;
  /** Whether the failure was shown (statistically, or by saturation), not merely left unproven. */
  shown: boolean;
}

/** How to judge one trial. */
export interface JudgeOptions {
  slo: Slo;
  alpha: number;
  /** What earlier trials at this rate (in this phase) showed; none for a first trial. */
  evidence: RateEvidence;
  /** Judged time of this trial, ms. */
  judgedMs: number;
  /** Whether another trial at this rate may still be run when this one cannot settle the verdict. */
  mayRetest: boolean;
}

/**
 * Judges a trial together with the earlier trials at the same rate (their judged windows are
 * pooled): `fail` when the target saturated or was stopped by the fail-fast rule, or when the
 * pooled samples show the p99 over the bound or the error ratio over the budget; `pass` when they
 * show both under (binomial test, exact upper bound) and the extrapolated p99 is under the bound
 * too; otherwise `retest` (another trial at the same rate), or, once the rate's time budget is
 * spent, `fail` as not shown to pass (while searching: `pass` when the misses are half the SLO's or
 * fewer). A failing trial whose generator lagged is `invalid` and its
 * samples are not pooled. Returns the verdict and the evidence to keep.
 */
export function judgeTrial(
  result: LoadResult,
  rateRps: number,
  phase: string,
  options: JudgeOptions,
): { verdict: TrialVerdict; evidence: RateEvidence } {
  const { slo, alpha } = options;
  const c = result.counts;
  const judged = result.judged ?? {
    scheduled: c.scheduled,
    slow: slowCount(result, slo),
    errors: c.failed + c.timedOut + c.unsent,
    latency: result.histograms.latency,
    intervals: [] as JudgedInterval[],
  };
  const latency = LatencyHistogram.decode(judged.latency);
  const pooled = options.evidence.plus(judged, latency, options.judgedMs, judged.intervals);
  const n = pooled.counts.scheduled;
  const slow = pooled.counts.slow;
  const errors = pooled.counts.errors;
  // Bursty misses count as fewer independent samples (see `dispersion`).
  const phiSlow = pooled.slowDispersion();
  const phiErrors = pooled.errorDispersion();
  const [nS, slowS] = [Math.floor(n / phiSlow), Math.round(slow / phiSlow)];
  const [nE, errorsE] = [Math.floor(n / phiErrors), Math.round(errors / phiErrors)];
  const p99 = percentileVerdict(nS, slowS, 0.99, alpha);
  const p99ShownOver = nS > 0 && binomialUpperTail(slowS, nS, 0.01) <= alpha;
  const errorUpper = clopperPearsonUpper(errorsE, nE, alpha);
  const errorShownOver = clopperPearsonLower(errorsE, nE, alpha) > slo.maxErrorRatio;
  const p99EstimateMs = extrapolatedP99(pooled.quantileMs(0.95), pooled.quantileMs(0.98));

  const shownReasons: string[] = [];
  const saturated = `saturated: achieved ${(result.saturation.achievedRatio * 100).toFixed(1)}% of offered, in flight ${result.saturation.inFlightFirst.toFixed(1)} → ${result.saturation.inFlightLast.toFixed(1)}`;
  // Falling far behind (answers under 90 % of the offered rate) settles it; a slight lag over a
  // short tail can be one stall of a shared machine, and a longer trial at the rate will tell.
  const grossly = result.saturation.achievedRatio < MIN_SHOWN_ACHIEVED;
  if (result.saturation.saturated && grossly) shownReasons.push(saturated);
  if (result.aborted !== null) shownReasons.push(`stopped early: ${result.aborted}`);
  const bunched = (phi: number) => (phi > 1.05 ? ` (bunched: weighs as ${Math.round(n / phi)} samples)` : '');
  if (p99ShownOver) shownReasons.push(`p99 shown over ${slo.p99Ms} ms: ${slow} of ${n} over${bunched(phiSlow)}`);
  if (errorShownOver) shownReasons.push(`errors ${errors}/${n}: shown over ${pct(slo.maxErrorRatio)}${bunched(phiErrors)}`);

  const openReasons: string[] = [];
  if (!p99.passed) {
    // Unproven, not over: said so, lest it read as a contradiction beside a measured p99 under the bound.
    openReasons.push(
      `too few samples to prove p99 < ${slo.p99Ms} ms: ${slow} of ${n} over${bunched(phiSlow)} (p = ${p99.pValue.toPrecision(2)}, needs ≤ ${alpha})`,
    );
  }
  if (!(errorUpper < slo.maxErrorRatio)) {
    openReasons.push(`errors ${errors}/${n}${bunched(phiErrors)}: upper bound ${pct(errorUpper)} ≥ ${pct(slo.maxErrorRatio)}`);
  }
  if (result.saturation.saturated && !grossly) openReasons.push(saturated);
  if (!(p99EstimateMs <= slo.p99Ms)) openReasons.push(`p99 extrapolated from p95/p98: ${fmtMs(p99EstimateMs)} > ${slo.p99Ms} ms`);
  // A queue at (or just past) its limit keeps up with the offered rate for a while but keeps
  // growing: no steady state yet, so the trial cannot show a pass; a longer one will tell.
  // Growth matters once the queue holds a fair share of the bound's worth of requests (Little's
  // law: λ·T in flight is a mean wait of T); below that it is a queue's ordinary fluctuation.
  const sat = result.saturation;
  if (sat.inFlightLast > 1.5 * sat.inFlightFirst + 5 && sat.inFlightLast > (rateRps * slo.p99Ms) / 1000 / 4) {
    openReasons.push(`in flight still growing: ${sat.inFlightFirst.toFixed(1)} → ${sat.inFlightLast.toFixed(1)}`);
  }
  // A queue loaded to exactly its capacity grows by chance alone, like a random walk: with Poisson
  // arrivals it takes about λ·T² / (1 + c²) (c the service times' coefficient of variation, ≤ 1
  // unless heavy-tailed) to reach λ·T requests, a wait of the bound T. A window shorter than λ·T²
  // cannot tell a queue at its limit from one comfortably under it, so once answers come near the
  // bound (p99 over a quarter of it) a pass must have watched that long.
  const watchMs = rateRps * (slo.p99Ms / 1000) ** 2 * 1000;
  if (pooled.judgedMs < watchMs && pooled.quantileMs(0.99) > slo.p99Ms / 4) {
    openReasons.push(
      `watched ${(pooled.judgedMs / 1000).toFixed(1)} s of the ${(watchMs / 1000).toFixed(1)} s a queue at this rate needs to show its tail`,
    );
  }

  let verdict: TrialOutcome;
  let reasons: string[];
  if (shownReasons.length > 0) {
    verdict = 'fail';
    reasons = shownReasons;
  } else if (openReasons.length === 0) {
    verdict = 'pass';
    reasons = [];
  } else if (options.mayRetest) {
    verdict = 'retest';
    reasons = openReasons;
  } else if (phase !== 'confirm' && slow <= 0.005 * n && errors <= (slo.maxErrorRatio / 2) * n && p99EstimateMs <= slo.p99Ms) {
    // While searching, a rate whose budget is spent with half the allowed misses or fewer is
    // taken as passing: near a limit, bursts leave too few independent samples to show it (docs/
    // benchmarks.md), and failing it would bound the search far below the limit. The certified
    // rate still needs shown passes: confirmation never takes this way.
    verdict = 'pass';
    reasons = [...openReasons, 'not shown, but the pooled point estimates are well within the SLO (half its misses or fewer)'];
  } else {
    verdict = 'fail';
    reasons = [...openReasons, `not shown within ${(pooled.judgedMs / 1000).toFixed(0)} s at this rate`];
  }
  // Latency is timed from the intended send, so a late generator can only make the target look
  // worse: a pass stands, but anything else with a lagging generator cannot be pinned on the target.
  const lagLimitMs = Math.max(MAX_GENERATOR_LAG_MS, slo.p99Ms / 4);
  let keep = pooled;
  if (verdict !== 'pass' && result.generator.sendLagP99Ms > lagLimitMs) {
    verdict = 'invalid';
    keep = options.evidence;
    reasons = [
      `generator lagged (send lag p99 ${result.generator.sendLagP99Ms.toFixed(1)} ms > ${lagLimitMs} ms): ${result.generator.reasons.join('; ')}`,
      ...reasons,
    ];
  }
  return {
    verdict: {
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
      p99EstimateMs,
      achievedRatio: result.saturation.achievedRatio,
      inFlightGrowing: result.saturation.inFlightGrowing,
      shown: verdict === 'fail' && shownReasons.length > 0,
    },
    evidence: keep,
  };
}

// Without a judged window: every answer over the bound, plus time-outs and unsent requests.
function slowCount(result: LoadResult, slo: Slo): number {
  const latency = LatencyHistogram.decode(result.histograms.latency);
  return latency.count - latency.countAtOrBelow(slo.p99Ms) + result.counts.timedOut + result.counts.unsent;
}

function pct(x: number): string {
  return `${(x * 100).toPrecision(3)}%`;
}

function fmtMs(ms: number): string {
  return Number.isFinite(ms) ? `${ms.toFixed(0)} ms` : 'unbounded';
}
