import type { LatencyHistogram, WindowStats } from '../telemetry/index.ts';
import { RelativeLatencyTest, type RelativeLatencyResult } from './judge-relative-latency.ts';
import { Msprt, type MsprtResult } from './msprt.ts';

/** The judge's thresholds (from `migration.judge` in piper.yaml, and the route's SLO). */
export interface JudgeSettings {
  /** Error ratio on the target that rolls back at once. */
  maxErrorRatio: number;
  /** Failed requests a window needs before the error-ratio guard may fire (one failure in two requests is not 50 %). */
  hardMinFailures: number;
  /** Consecutive windows with the target's p99 over the SLO before rolling back. */
  consecutiveFailures: number;
  /** Consecutive windows in which the target should have had traffic but had none before holding and alerting. */
  noDataWindows: number;
  /** False-rollback probability of one step's statistical tests, over all its looks. */
  alpha: number;
  /** Tolerated absolute increase of the error ratio over the source. */
  errorMargin: number;
  /** Tolerated absolute increase of the share of requests slower than the SLO threshold. */
  latencyMargin: number;
  /** Tolerated share of target requests slower than the source's p90, above the 10 % an identical pool shows (the same proportion at the p99). */
  relativeLatencyMargin: number;
  /** The route's SLO latency threshold (ms). */
  latencyThresholdMs: number;
  /** Target requests (over the whole window history) before the sequential tests may reject. */
  minSamples: number;
  /** The pools compared (the decision names them). */
  pools: { target: string; source: string };
}

export type Verdict = 'pass' | 'hold' | 'rollback';

/** Why the judge decided as it did: one stable word per rule. */
export type JudgeReason =
  | 'error_ratio'
  | 'connection_failures'
  | 'msprt_errors'
  | 'msprt_latency'
  | 'msprt_relative_latency'
  | 'p99_over_slo'
  | 'no_target_data'
  | 'incomplete_data'
  | 'no_traffic';

/** One side's figures in a window. */
export interface SideFigures {
  requests: number;
  failed: number;
  errorRatio: number;
  connectionFailures: number;
  slow: number;
  p99Ms: number;
  /**
   * Of `requests` and `failed`, those the pool's admission refused that the other pool answered
   * (spills); the relative latency test counts them as slower than the source as well.
   */
  spilled: number;
}

/** One window's decision with every input behind it (journaled as `migration.decision`). */
export interface JudgeDecision {
  verdict: Verdict;
  /** True when a hard guard fired (roll back at once, no staging). */
  hard: boolean;
  reasons: JudgeReason[];
  windowStart: number;
  target: SideFigures;
  source: SideFigures;
  errors: MsprtResult;
  latency: MsprtResult;
  /** The target's latency against the source's p90 and p99 in the same windows, one test per percentile. */
  relativeLatency: RelativeLatencyResult[];
  consecutiveP99Failures: number;
  consecutiveNoData: number;
  /** What the window lacked (lost log lines, a gap before it), or null when it counted everything. */
  incomplete: string | null;
  thresholds: {
    maxErrorRatio: number;
    hardMinFailures: number;
    consecutiveFailures: number;
    alpha: number;
    errorMargin: number;
    latencyMargin: number;
    relativeLatencyMargin: number;
    latencyThresholdMs: number;
  };
}

/** Counts requests slower than a threshold in a window (from its HDR histogram). */
export type SlowCounter = (stats: WindowStats, thresholdMs: number) => number;

/** The sensitivity of the sequential tests: they are most powerful near a 10-point degradation (smaller ones take longer, larger ones a window or two). */
const TAU = 0.1;

/**
 * Judges one step, window by window: hard guards first (they act on a single window), then
 * sequential tests that stay valid when looked at every second, then the p99 rule with a
 * consecutive-failure count against flapping. A new StepJudge starts with each step, so evidence
 * from a lighter share never masks a regression that appears under more load.
 */
export class StepJudge {
  readonly #settings: JudgeSettings;
  readonly #slow: SlowCounter;
  readonly #errors: Msprt;
  readonly #latency: Msprt;
  readonly #relativeLatency: RelativeLatencyTest;
  #p99Failures = 0;
  #noData = 0;
  #targetRequests = 0;
  #windows = 0;

  /** `sourceRecent`: the source pool's latencies just before the step (see RelativeLatencyTest). */
  constructor(settings: JudgeSettings, slowCounter: SlowCounter, sourceRecent?: LatencyHistogram) {
    this.#settings = settings;
    this.#slow = slowCounter;
    const common = { alpha: settings.alpha, tau: TAU, minSamples: settings.minSamples };
    this.#errors = new Msprt({ ...common, margin: settings.errorMargin });
    this.#latency = new Msprt({ ...common, margin: settings.latencyMargin });
    this.#relativeLatency = new RelativeLatencyTest(
      {
        alpha: settings.alpha,
        minSamples: settings.minSamples,
        margin: settings.relativeLatencyMargin,
        targetPool: settings.pools.target,
        sourcePool: settings.pools.source,
      },
      sourceRecent,
    );
  }

  /** Target requests seen by this step so far. */
  get targetRequests(): number {
    return this.#targetRequests;
  }

  /** Windows judged by this step so far. */
  get windows(): number {
    return this.#windows;
  }

  /**
   * Judges one window. `expectTarget` says whether the target had a share of the route in this
   * window and the route had traffic, so an empty target means missing data rather than no load.
   * `incomplete` says what the window lacks when the data plane could not count every request (or
   * no window came for a while before it): such a window never passes. Failures it did count are
   * real, so it may still roll back; otherwise the verdict is `hold`, with `incomplete_data`.
   */
  observe(
    windowStart: number,
    target: WindowStats | undefined,
    source: WindowStats | undefined,
    expectTarget: boolean,
    incomplete: string | null = null,
  ): JudgeDecision {
    const s = this.#settings;
    this.#windows++;
    const t = this.#figures(target);
    const src = this.#figures(source);
    this.#targetRequests += t.requests;
    const reasons: JudgeReason[] = [];
    let hard = false;

    if (t.connectionFailures > 0) reasons.push('connection_failures');
    if (t.failed >= s.hardMinFailures && t.errorRatio >= s.maxErrorRatio) reasons.push('error_ratio');
    hard = reasons.length > 0;

    const errors = this.#errors.observe(t.requests, t.failed, src.requests, src.failed);
    const latency = this.#latency.observe(t.requests, t.slow, src.requests, src.slow);
    const relativeLatency = this.#relativeLatency.observe(target, source);
    if (errors.rejected) reasons.push('msprt_errors');
    if (latency.rejected) reasons.push('msprt_latency');
    if (relativeLatency.some((r) => r.rejected)) reasons.push('msprt_relative_latency');

    if (t.requests > 0) {
      this.#p99Failures = t.p99Ms > s.latencyThresholdMs ? this.#p99Failures + 1 : 0;
    }
    if (this.#p99Failures >= s.consecutiveFailures) reasons.push('p99_over_slo');

    let verdict: Verdict = reasons.length > 0 ? 'rollback' : 'pass';
    if (verdict === 'pass') {
      this.#noData = expectTarget && t.requests === 0 ? this.#noData + 1 : 0;
      if (this.#noData >= s.noDataWindows) {
        verdict = 'hold';
        reasons.push('no_target_data');
      } else if (!expectTarget && src.requests === 0 && t.requests === 0) {
        reasons.push('no_traffic');
      }
    }
    if (verdict !== 'rollback' && incomplete !== null) {
      // Missing data is not good data: a window with requests unaccounted for cannot pass a step.
      verdict = 'hold';
      reasons.push('incomplete_data');
    }
    return {
      verdict,
      hard,
      reasons,
      windowStart,
      target: t,
      source: src,
      errors,
      latency,
      relativeLatency,
      consecutiveP99Failures: this.#p99Failures,
      consecutiveNoData: this.#noData,
      incomplete,
      thresholds: {
        maxErrorRatio: s.maxErrorRatio,
        hardMinFailures: s.hardMinFailures,
        consecutiveFailures: s.consecutiveFailures,
        alpha: s.alpha,
        errorMargin: s.errorMargin,
        latencyMargin: s.latencyMargin,
        relativeLatencyMargin: s.relativeLatencyMargin,
        latencyThresholdMs: s.latencyThresholdMs,
      },
    };
  }

  #figures(stats: (WindowStats & { spilled?: number }) | undefined): SideFigures {
    // A request the pool's admission refused went to the source and its client saw no failure, but
    // the pool could not carry it: the judge counts it as the pool's failure (docs/rollout.md).
    const spilled = stats?.spilled ?? 0;
    if (stats === undefined || stats.requests + spilled === 0) {
      return { requests: 0, failed: 0, errorRatio: 0, connectionFailures: 0, slow: 0, p99Ms: 0, spilled: 0 };
    }
    const e = stats.errors;
    const requests = stats.requests + spilled;
    const failed = stats.failed + spilled;
    return {
      requests,
      failed,
      errorRatio: failed / requests,
      // Client-visible failures to reach the pool at all: refused or reset connections, no live backend.
      connectionFailures: (e.connect ?? 0) + (e.reset ?? 0) + (e.no_backend ?? 0),
      slow: Math.min(stats.requests, this.#slow(stats, this.#settings.latencyThresholdMs)),
      p99Ms: stats.latency.p99,
      spilled,
    };
  }
}
