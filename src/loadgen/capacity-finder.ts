import { type Clock, PiperError, type Random } from '../core/index.ts';
import type { ArrivalProcess } from './arrival-schedule.ts';
import { CapacitySearch, type SearchPhase, type SearchStep } from './capacity-search.ts';
import type { HttpSenderKind } from './http-sender.ts';
import type { LoadProgress, RunLoadOptions } from './load-run.ts';
import { runLoad } from './load-run.ts';
import { RateEvidence } from './rate-evidence.ts';
import { constantPlan } from './rate-plan.ts';
import type { RequestSpec } from './request-mix.ts';
import type { Slo } from './slo.ts';
import { drainTarget } from './target-drain.ts';
import { parseThreshold } from './threshold.ts';
import { judgeTrial, type TrialRecord, type TrialVerdict } from './trial-verdict.ts';
import { minSamplesToPass } from './verdict-statistics.ts';
import { loadgenErrors } from './loadgen-errors.ts';

/** Headroom to certify: capacity ≥ factor × peak. */
export interface CapacityRequirement {
  factor: number;
  peakRps: number;
}

/** Options of {@link findCapacity}. */
export interface FindCapacityOptions {
  target: string;
  /** Pool the target stands for (journal subject); the target URL when absent. */
  pool?: string;
  requests: readonly RequestSpec[];
  slo: Slo;
  clock: Clock;
  random: Random;
  require?: CapacityRequirement;
  /** First rate tried. Default: the required peak × factor, else 100/s. */
  startRps?: number;
  minRps?: number;
  maxRps?: number;
  /** Shortest trial; lengthened until a clean trial can pass the statistics. Default 10 s. */
  trialMs?: number;
  /**
   * Longest trial, and the judged time a rate may gather while searching before a verdict the
   * statistics cannot settle counts as a failure. Confirmation trials run this long. Stretched at
   * low rates by `maxTrialRequests`. Default 60 s.
   */
  maxTrialMs?: number;
  /**
   * Requests a longest trial must hold: at rates where `maxTrialMs` holds fewer, the longest trial,
   * a rate's judged budget and the confirmations stretch to hold this many, up to `maxTrialCapMs`.
   * 0 (the default) keeps `maxTrialMs` at every rate. 12,000 (60 s at 200/s) narrows a low-rate
   * search's spread several times over at several times its length (docs/loadgen.md).
   */
  maxTrialRequests?: number;
  /** Ceiling of the stretch by `maxTrialRequests` (never below `maxTrialMs`). Default 300 s. */
  maxTrialCapMs?: number;
  /** Arrivals of every trial: `poisson` (default: what real traffic looks like) or `constant`. */
  arrivals?: ArrivalProcess;
  /** Longest wait for the target to work off a trial's backlog before the next one. Default 30 s. */
  drainMaxMs?: number;
  /** Warm-up before the search, discarded. Default: one trial length at half the start rate. */
  warmupMs?: number;
  /** Stop when U/L − 1 ≤ precision. Default 0.02. */
  precision?: number;
  /** Confirmation runs at the final rate. Default 2. */
  confirmations?: number;
  /** Confidence of each verdict, e.g. 0.95 (α = 0.05). Default 0.95. */
  confidence?: number;
  maxTrials?: number;
  workers?: number;
  connections?: number;
  /** HTTP client of the trials (see {@link RunLoadOptions.httpSender}). */
  httpSender?: HttpSenderKind;
  signal?: AbortSignal;
  onProgress?: (event: CapacityProgress) => void;
  /** Runs a trial (tests may replace the HTTP run). Default {@link runLoad}. */
  run?: typeof runLoad;
}

/** Progress of a capacity search, for a live display. */
export type CapacityProgress =
  | { type: 'warmup'; rateRps: number; durationMs: number }
  | { type: 'drain'; durationMs: number }
  | { type: 'trial-start'; phase: SearchPhase; rateRps: number; durationMs: number; index: number }
  | { type: 'trial-tick'; phase: SearchPhase; rateRps: number; load: LoadProgress }
  | { type: 'trial-end'; verdict: TrialVerdict }
  | { type: 'done'; result: CapacityResult };

/** The result, as written with -o and journaled (the shape of `data` in the capacity.result event). */
export interface CapacityResult {
  target: string;
  pool: string | null;
  slo: { p99Ms: number; maxErrorRatio: number };
  /** Highest rate that passed (and was confirmed, when `confirmed`). */
  capacityRps: number;
  /**
   * Where the capacity lies, as far as the trials showed: `lowerRps` passed (the certified
   * capacity), `upperRps` is the lowest rate shown to fail (saturated, stopped by the fail-fast
   * rule, or statistically over the SLO); null when no trial showed a failure.
   */
  interval: { lowerRps: number; upperRps: number | null };
  /** Arrival process of the trials. */
  arrivals: ArrivalProcess;
  /** Confidence level of each verdict (1 − α). */
  confidence: number;
  /** Epoch ms when the result was certified. */
  certifiedAt: number;
  require?: { factor: number; peakRps: number; passed: boolean };
  trials: TrialRecord[];
  /**
   * Why the search ended, the lowest rate that failed or could not be shown to pass (with
   * `below-minimum`, the minimum rate, whose own trial failed), and whether confirmations passed.
   */
  reason: Extract<SearchStep, { done: true }>['reason'];
  failedAtRps: number | null;
  confirmed: boolean;
  /** What the failing trials showed (saturation signals, slow samples, errors). */
  limits: string[];
}

/**
 * Finds the highest rate the target sustains under the SLO: warm-up, exponential bracketing,
 * log-space bisection, confirmation (ANCHORS §2.6). Each trial is an open-model run at one rate
 * (Poisson arrivals by default) whose first quarter settles unjudged; the rest is judged, pooled
 * with earlier trials at the same rate, by a binomial test for p99, an extrapolated p99, and
 * confidence bounds for errors; saturation fails it. A verdict the pooled samples cannot settle
 * is retested at the same rate (never a step down for one stray error); between trials the
 * target works off any backlog. A rate the generator could not offer three times in a row ends
 * the search as generator-limited.
 */
export async function findCapacity(options: FindCapacityOptions): Promise<CapacityResult> {
  const run = options.run ?? runLoad;
  const confidence = options.confidence ?? 0.95;
  if (!(confidence > 0 && confidence < 1)) {
    throw new PiperError(loadgenErrors.PIPER_LOADGEN_INVALID_OPTIONS, `confidence: must be between 0 and 1, got ${confidence}`);
  }
  const alpha = Number((1 - confidence).toPrecision(12));
  const arrivals = options.arrivals ?? 'poisson';
  const requiredRps = options.require ? options.require.factor * options.require.peakRps : undefined;
  const startRps = options.startRps ?? requiredRps ?? 100;
  const trialMs = options.trialMs ?? 10_000;
  const maxTrialMs = Math.max(trialMs, options.maxTrialMs ?? 60_000);
  const maxTrialRequests = options.maxTrialRequests ?? 0;
  const maxTrialCapMs = options.maxTrialCapMs ?? 300_000;
  if (!(maxTrialRequests >= 0 && Number.isFinite(maxTrialRequests))) {
    throw new PiperError(loadgenErrors.PIPER_LOADGEN_INVALID_OPTIONS, `maxTrialRequests: must be 0 or more, got ${maxTrialRequests}`);
  }
  if (!(maxTrialCapMs > 0 && Number.isFinite(maxTrialCapMs))) {
    throw new PiperError(loadgenErrors.PIPER_LOADGEN_INVALID_OPTIONS, `maxTrialCapMs: must be above 0, got ${maxTrialCapMs}`);
  }
  const longestAt = longestTrial(maxTrialMs, maxTrialRequests, Math.max(maxTrialMs, maxTrialCapMs));
  const confirmations = options.confirmations ?? 2;
  // A clean trial must hold enough samples to pass both tests at this confidence.
  const minSamples = Math.max(minSamplesToPass(0.01, alpha), minSamplesToPass(options.slo.maxErrorRatio, alpha));
  const search = new CapacitySearch({
    startRps,
    precision: options.precision ?? 0.02,
    confirmations,
    minRps: options.minRps ?? 1,
    maxRps: options.maxRps ?? 100_000,
    maxTrials: options.maxTrials ?? 60,
  });
  // Anything slower than 5× the bound is a miss already; waiting longer only delays the verdict.
  const timeoutMs = Math.max(1000, 5 * options.slo.p99Ms);
  const trialOptions = (rate: number, durationMs: number): RunLoadOptions => ({
    target: options.target,
    requests: options.requests,
    model: { kind: 'open', plan: constantPlan(rate, durationMs), arrivals },
    clock: options.clock,
    random: options.random,
    timeoutMs,
    // The start of a trial is not judged: a queue fills from empty (or works off what the drain
    // left) before it shows the rate's steady state.
    judge: { fromMs: settleMs(durationMs), boundMs: options.slo.p99Ms },
    // Fail fast (k6 abortOnFail): far over the bound for 2 s in a row settles the verdict.
    thresholds: [
      parseThreshold(`p99<${5 * options.slo.p99Ms}ms`),
      parseThreshold(`errors<${Math.min(50, 1000 * options.slo.maxErrorRatio)}%`),
    ],
    abortAfterMs: 2000,
    ...(options.workers === undefined ? {} : { workers: options.workers }),
    ...(options.connections === undefined ? {} : { connections: options.connections }),
    ...(options.httpSender === undefined ? {} : { httpSender: options.httpSender }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  const interrupted = (): PiperError =>
    new PiperError(loadgenErrors.PIPER_LOADGEN_INTERRUPTED, 'capacity search interrupted before it concluded');
  const drain = async (): Promise<void> => {
    const durationMs = await drainTarget({
      target: options.target,
      requests: options.requests,
      clock: options.clock,
      random: options.random,
      run,
      boundMs: options.slo.p99Ms,
      maxMs: options.drainMaxMs ?? 30_000,
      ...(options.httpSender === undefined ? {} : { httpSender: options.httpSender }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    options.onProgress?.({ type: 'drain', durationMs });
    if (options.signal?.aborted) throw interrupted();
  };

  const warmRate = Math.max(options.minRps ?? 1, startRps / 2);
  const warmMs = options.warmupMs ?? trialMs;
  if (warmMs > 0) {
    options.onProgress?.({ type: 'warmup', rateRps: warmRate, durationMs: warmMs });
    await run({ ...trialOptions(warmRate, warmMs), thresholds: [] });
    if (options.signal?.aborted) throw interrupted();
    await drain();
  }

  // Evidence per rate, kept apart for the search and for the confirmation (which starts afresh).
  const evidence = new Map<string, RateEvidence>();
  const lengths = new Map<string, number>();
  const verdicts: TrialVerdict[] = [];
  for (let step = search.step(); !step.done; step = search.step()) {
    const phase = step.phase;
    const rate = step.rateRps;
    const key = `${phase === 'confirm' ? 'confirm' : 'search'}@${rate}`;
    const before = evidence.get(key) ?? new RateEvidence(rate);
    // A rate near the bound must be watched λ·T² before it can pass (see judgeTrial): its budget
    // stretches to 1.5 × that when --max-trial is shorter, or it could never pass.
    const watchMs = 1.5 * rate * (options.slo.p99Ms / 1000) ** 2 * 1000;
    const longestMs = longestAt(rate);
    const budgetMs = Math.max(watchMs, phase === 'confirm' ? Math.max(1, confirmations) * longestMs : longestMs);
    // Short trials while searching, the full length to confirm (MLRsearch); a retest doubles.
    const first = phase === 'confirm' ? longestMs : Math.min(longestMs, Math.max(trialMs, samplesMs(minSamples, rate)));
    const durationMs = Math.min(Math.max(longestMs, watchMs), lengths.get(key) ?? first);
    lengths.set(key, durationMs * 2);
    const judgedMs = durationMs - settleMs(durationMs);
    options.onProgress?.({ type: 'trial-start', phase, rateRps: rate, durationMs, index: verdicts.length });
    const result = await run({
      ...trialOptions(rate, durationMs),
      onProgress: (load) => options.onProgress?.({ type: 'trial-tick', phase, rateRps: rate, load }),
    });
    if (options.signal?.aborted) throw interrupted();
    const judged = judgeTrial(result, rate, phase, {
      slo: options.slo,
      alpha,
      evidence: before,
      judgedMs,
      mayRetest: before.judgedMs + judgedMs < budgetMs,
    });
    evidence.set(key, judged.evidence);
    verdicts.push(judged.verdict);
    options.onProgress?.({ type: 'trial-end', verdict: judged.verdict });
    search.record(judged.verdict.verdict);
    // After a pass (or a retest) the next trial is at a nearby rate and continues from the
    // queue this one left, closer to the steady state than an empty start; a failure leaves a
    // backlog that would fail the next trial for this one's sake.
    const outcome = judged.verdict.verdict;
    if (!search.step().done && (outcome === 'fail' || outcome === 'invalid')) await drain();
  }
  const end = search.step() as Extract<SearchStep, { done: true }>;
  // A failure shown below the certified rate (a stall while bracketing, later outweighed) bounds nothing.
  const shownFailures = verdicts.filter((v) => v.shown && v.rateRps > end.capacityRps).map((v) => v.rateRps);
  const upperRps = shownFailures.length > 0 ? Math.min(...shownFailures) : null;
  const result: CapacityResult = {
    target: options.target,
    pool: options.pool ?? null,
    slo: { p99Ms: options.slo.p99Ms, maxErrorRatio: options.slo.maxErrorRatio },
    capacityRps: round2(end.capacityRps),
    interval: { lowerRps: round2(end.capacityRps), upperRps: upperRps === null ? null : round2(upperRps) },
    arrivals,
    confidence,
    certifiedAt: options.clock.now(),
    ...(options.require === undefined
      ? {}
      : { require: { ...options.require, passed: end.capacityRps >= options.require.factor * options.require.peakRps } }),
    trials: verdicts.map((v) => ({
      rateRps: round2(v.rateRps),
      durationMs: v.durationMs,
      p99Ms: v.p99Ms,
      errorRatio: v.errorRatio,
      achievedRps: round2(v.achievedRps),
      verdict: v.verdict,
    })),
    reason: end.reason,
    failedAtRps: Number.isFinite(end.failedAtRps) ? round2(end.failedAtRps) : null,
    confirmed: end.confirmed,
    limits: [
      ...new Set(verdicts.filter((v) => v.verdict === 'fail').flatMap((v) => v.reasons.map((r) => `${round2(v.rateRps)}/s: ${r}`))),
    ].slice(0, 10),
  };
  options.onProgress?.({ type: 'done', result });
  return result;
}

/**
 * The longest trial at a rate: `maxTrialMs`, stretched at low rates to hold `requests` requests,
 * up to `capMs`. Near a queue's limit its slow answers come in excursions that each delay a run
 * of requests, and how many excursions a window holds grows with the requests in it, not with its
 * seconds: at 40/s a 30 s window holds about one, so a verdict there rests on one event whichever
 * way it goes (docs/benchmarks.md, "The same finder on virtual time").
 */
function longestTrial(maxTrialMs: number, requests: number, capMs: number): (rateRps: number) => number {
  return (rateRps) => Math.max(maxTrialMs, Math.min(capMs, Math.ceil((requests / rateRps) * 1000)));
}

/** Unjudged start of a trial: a quarter of it, between 0.5 s and 10 s. */
function settleMs(durationMs: number): number {
  return Math.min(10_000, Math.max(500, durationMs / 4));
}

/** Trial length whose judged window holds `samples` requests at `rate` (with 10 % to spare). */
function samplesMs(samples: number, rate: number): number {
  const judged = Math.ceil((samples / rate) * 1000 * 1.1);
  // The judged part is three quarters of the trial, unless the settle floor or cap applies.
  return Math.max(judged + 500, Math.min(Math.ceil(judged / 0.75), judged + 10_000));
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
