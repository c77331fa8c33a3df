import { type Clock, PiperError, type Random } from '../core/index.ts';
import { CapacitySearch, type SearchPhase, type SearchStep } from './capacity-search.ts';
import type { HttpSenderKind } from './http-sender.ts';
import type { LoadProgress, RunLoadOptions } from './load-run.ts';
import { runLoad } from './load-run.ts';
import { constantPlan } from './rate-plan.ts';
import type { RequestSpec } from './request-mix.ts';
import type { Slo } from './slo.ts';
import { parseThreshold } from './threshold.ts';
import { judgeTrial, type TrialRecord, type TrialVerdict } from './trial-verdict.ts';
import { minSamplesToPass } from './verdict-statistics.ts';

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
  /** Longest trial. Default 60 s. */
  maxTrialMs?: number;
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
  /** Confidence level of each verdict (1 − α). */
  confidence: number;
  /** Epoch ms when the result was certified. */
  certifiedAt: number;
  require?: { factor: number; peakRps: number; passed: boolean };
  trials: TrialRecord[];
  /** Why the search ended, the lowest failing rate, and whether confirmations passed. */
  reason: Extract<SearchStep, { done: true }>['reason'];
  failedAtRps: number | null;
  confirmed: boolean;
  /** What the failing trials showed (saturation signals, slow samples, errors). */
  limits: string[];
}

/**
 * Finds the highest rate the target sustains under the SLO: warm-up, exponential bracketing,
 * log-space bisection, confirmation (ANCHORS §2.6). Each trial is an open-model constant-rate
 * run judged by a binomial test for p99, an upper confidence bound for errors, and saturation
 * signals; a trial the generator could not offer ends the search as generator-limited.
 */
export async function findCapacity(options: FindCapacityOptions): Promise<CapacityResult> {
  const run = options.run ?? runLoad;
  const confidence = options.confidence ?? 0.95;
  if (!(confidence > 0 && confidence < 1)) {
    throw new PiperError('PIPER_LOADGEN_INVALID_OPTIONS', `confidence: must be between 0 and 1, got ${confidence}`, { source: 'config' });
  }
  const alpha = Number((1 - confidence).toPrecision(12));
  const requiredRps = options.require ? options.require.factor * options.require.peakRps : undefined;
  const startRps = options.startRps ?? requiredRps ?? 100;
  const trialMs = options.trialMs ?? 10_000;
  const maxTrialMs = Math.max(trialMs, options.maxTrialMs ?? 60_000);
  // A clean trial must hold enough samples to pass both tests at this confidence.
  const minSamples = Math.max(minSamplesToPass(0.01, alpha), minSamplesToPass(options.slo.maxErrorRatio, alpha));
  const trialLength = (rate: number): number => Math.min(maxTrialMs, Math.max(trialMs, Math.ceil((minSamples / rate) * 1000 * 1.1)));
  const search = new CapacitySearch({
    startRps,
    precision: options.precision ?? 0.02,
    confirmations: options.confirmations ?? 2,
    minRps: options.minRps ?? 1,
    maxRps: options.maxRps ?? 100_000,
    maxTrials: options.maxTrials ?? 40,
  });
  // Anything slower than 5× the bound is a miss already; waiting longer only delays the verdict.
  const timeoutMs = Math.max(1000, 5 * options.slo.p99Ms);
  const trialOptions = (rate: number, durationMs: number): RunLoadOptions => ({
    target: options.target,
    requests: options.requests,
    model: { kind: 'open', plan: constantPlan(rate, durationMs) },
    clock: options.clock,
    random: options.random,
    timeoutMs,
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
    new PiperError('PIPER_LOADGEN_INTERRUPTED', 'capacity search interrupted before it concluded', { source: 'operator' });

  const warmRate = Math.max(options.minRps ?? 1, startRps / 2);
  const warmMs = options.warmupMs ?? trialMs;
  if (warmMs > 0) {
    options.onProgress?.({ type: 'warmup', rateRps: warmRate, durationMs: warmMs });
    await run({ ...trialOptions(warmRate, warmMs), thresholds: [] });
    if (options.signal?.aborted) throw interrupted();
  }

  const verdicts: TrialVerdict[] = [];
  for (let step = search.step(); !step.done; step = search.step()) {
    const durationMs = trialLength(step.rateRps);
    options.onProgress?.({ type: 'trial-start', phase: step.phase, rateRps: step.rateRps, durationMs, index: verdicts.length });
    const phase = step.phase;
    const rate = step.rateRps;
    const result = await run({
      ...trialOptions(rate, durationMs),
      onProgress: (load) => options.onProgress?.({ type: 'trial-tick', phase, rateRps: rate, load }),
    });
    if (options.signal?.aborted) throw interrupted();
    const verdict = judgeTrial(result, rate, phase, options.slo, alpha);
    verdicts.push(verdict);
    options.onProgress?.({ type: 'trial-end', verdict });
    search.record(verdict.verdict);
  }
  const end = search.step() as Extract<SearchStep, { done: true }>;
  const result: CapacityResult = {
    target: options.target,
    pool: options.pool ?? null,
    slo: { p99Ms: options.slo.p99Ms, maxErrorRatio: options.slo.maxErrorRatio },
    capacityRps: round2(end.capacityRps),
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
      ...new Set(verdicts.filter((v) => v.verdict !== 'pass').flatMap((v) => v.reasons.map((r) => `${round2(v.rateRps)}/s: ${r}`))),
    ].slice(0, 10),
  };
  options.onProgress?.({ type: 'done', result });
  return result;
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
