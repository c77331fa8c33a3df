import { LatencyHistogram, type WindowStats } from '../telemetry/index.ts';
import { ShareMsprt } from './msprt-share.ts';

/**
 * The source pool's percentiles each target request is compared with: p90 sees a slowdown of the
 * body of the distribution, p99 one of a few requests only (5 % of requests 10 ms slower every
 * second leaves the share above the p90 near 15 %, but multiplies the share above the p99 by six).
 */
const REFERENCE_PERCENTILES = [90, 99] as const;
/** Source requests above a percentile before it is a reference: a p99 of 20 requests is their maximum, noise. */
const MIN_SOURCE_ABOVE = 5;
/**
 * The target's first windows with requests in a step that are not compared (Kayenta's warm-up):
 * they open new connections to a pool that had less traffic or none, whose first answers are
 * slower than a warm source's for reasons that pass.
 */
export const WARMUP_WINDOWS = 3;

/** How the relative latency test is set up. */
export interface RelativeLatencyOptions {
  /** False-rollback probability of the whole test (shared by its percentiles). */
  alpha: number;
  /**
   * Tolerated share slower than the source's p90 beyond the 10 % an identical pool shows; the
   * same proportion at the p99 (a margin of 5 points tolerates 15 % over the p90 and 1.5 % over the p99).
   */
  margin: number;
  minSamples: number;
  /** Pool names, for the decision's words ("inhouse: 31 % of requests slower than vendor's p90"). */
  targetPool: string;
  sourcePool: string;
}

/** One reference percentile's test after the latest window, with every number behind it. */
export interface RelativeLatencyResult {
  targetPool: string;
  sourcePool: string;
  /** The source's percentile this test compares with (90 or 99). */
  percentile: number;
  /** That percentile of the source pool over the step so far (ms); 0 until the source has enough requests. */
  sourceMs: number;
  /** Source requests behind it (the step's own, with the recent ones while those stand in). */
  sourceSamples: number;
  /** Source requests its admission refused this step (shed, or spilled to another pool): a window with any leaves the target's spills out. */
  sourceRefused: number;
  /** Target requests compared with it this step, and how many were slower. */
  targetSamples: number;
  targetSlower: number;
  /** Of both, requests the target's admission refused and the source answered (spills), each counted slower. */
  targetRefused: number;
  /** targetSlower / targetSamples. */
  share: number;
  /** The share tolerated: an identical pool's (10 % or 1 %) scaled by the margin. */
  bound: number;
  /** The mixture likelihood ratio Λ at this look. */
  lambda: number;
  /** Always-valid p-value (non-increasing). */
  pValue: number;
  alpha: number;
  rejected: boolean;
}

/** A pool's window as the test reads it: the data plane's stats, with the requests its admission sent elsewhere. */
type PoolStats = WindowStats & { spilled?: number };

interface Reference {
  percentile: number;
  minSource: number;
  sourceMs: number;
  sourceSamples: number;
  /** Target refusals counted in this percentile's test. */
  targetRefused: number;
  test: ShareMsprt;
}

/**
 * Compares the target pool's latency with the source pool's in the same windows: each target
 * request counts as slower or not than the source's running p90 (and p99) over the step, and a
 * one-sample mSPRT per percentile asks whether that share exceeds what an identical pool shows,
 * plus the margin. This sees a target that got slower than the pool it replaces long before its
 * p99 reaches the SLO, and a slowdown both pools share (a slow database behind both) is no
 * evidence against the target. Bonferroni over the percentiles keeps the whole test within alpha.
 *
 * A request the target's admission refused and the source answered (a spill) is a target request
 * slower than the reference: the target's adaptive limit turns requests away when its latency
 * rises, so a drifting target sends more and more of its slowest requests to the source, and
 * without them its histogram shows only the fast ones it still admits. But a pool refuses for
 * want of room as well as for slowness: in a window where the source refused requests of its own
 * too (both pools full, as an A/A run at saturation is, or the whole process shedding), the
 * target's refusals say nothing about the target, and that window's spills are left out.
 */
export class RelativeLatencyTest {
  readonly #options: RelativeLatencyOptions;
  readonly #references: Reference[];
  /** The source's latencies in this step. */
  readonly #source = new LatencyHistogram();
  /** The same with the source's windows just before the step: the reference until the step's own have enough. */
  readonly #sourceWithRecent: LatencyHistogram | null;
  #sourceRefused = 0;
  /** Target windows with requests seen this step: the first `WARMUP_WINDOWS` are not compared. */
  #targetWindows = 0;

  /**
   * `recent`: the source pool's latencies in the seconds before the step began. Without it, the
   * p99 reference waits for 500 of the step's own source requests (10 s at 50/s), and a target that
   * slows from the start of a step goes unseen that long.
   */
  constructor(options: RelativeLatencyOptions, recent?: LatencyHistogram) {
    this.#options = options;
    this.#sourceWithRecent = null;
    if (recent !== undefined && recent.count > 0) {
      this.#sourceWithRecent = new LatencyHistogram();
      this.#sourceWithRecent.merge(recent);
    }
    this.#references = REFERENCE_PERCENTILES.map((percentile) => {
      const share = (100 - percentile) / 100;
      return {
        percentile,
        minSource: Math.ceil(MIN_SOURCE_ABOVE / share),
        sourceMs: 0,
        sourceSamples: 0,
        targetRefused: 0,
        test: new ShareMsprt({
          alpha: options.alpha / REFERENCE_PERCENTILES.length,
          bound: share * (1 + options.margin / 0.1),
          minSamples: options.minSamples,
        }),
      };
    });
  }

  /**
   * The step's own source requests once there are enough: a slowdown both pools share since the
   * step began then moves the reference as fast as it moves the target. Until then, the recent
   * windows with the step's own, and never below what the step's own requests show (their few
   * slowest are an upper estimate): a slowdown both pools share from the step's first second
   * raises the reference at once instead of counting against the target.
   */
  #reference(r: Reference): void {
    const own = this.#source;
    const recent = this.#sourceWithRecent;
    if (own.count >= r.minSource || recent === null || recent.count < r.minSource) {
      r.sourceSamples = own.count;
      if (own.count >= r.minSource) r.sourceMs = own.percentile(r.percentile);
      return;
    }
    r.sourceSamples = recent.count;
    r.sourceMs = Math.max(recent.percentile(r.percentile), own.count > 0 ? own.percentile(r.percentile) : 0);
  }

  /** Adds one window of both pools. A window without histograms (older data planes) adds no evidence. */
  observe(target: PoolStats | undefined, source: PoolStats | undefined): RelativeLatencyResult[] {
    const sourceRefused = source === undefined ? 0 : source.shed + (source.spilled ?? 0);
    this.#sourceRefused += sourceRefused;
    if (source !== undefined && source.requests > 0 && source.histogram !== '') {
      const h = LatencyHistogram.decode(source.histogram);
      this.#source.merge(h);
      this.#sourceWithRecent?.merge(h);
    }
    for (const r of this.#references) this.#reference(r);
    const t = target !== undefined && target.histogram !== '' ? target : undefined;
    const answered = t !== undefined && t.requests > 0 ? LatencyHistogram.decode(t.histogram) : null;
    const refused = sourceRefused === 0 ? (t?.spilled ?? 0) : 0;
    const warm = answered !== null || (t?.spilled ?? 0) > 0 ? ++this.#targetWindows > WARMUP_WINDOWS : false;
    return this.#references.map((r) => {
      let result = r.test.result;
      if (warm && r.sourceMs > 0 && (answered !== null || refused > 0)) {
        // Equal to the reference (within the histogram's precision) is not slower: ties never count against the target.
        const slower = answered === null ? 0 : answered.count - answered.countAtOrBelow(r.sourceMs);
        result = r.test.observe((answered?.count ?? 0) + refused, slower + refused);
        r.targetRefused += refused;
      }
      return {
        targetPool: this.#options.targetPool,
        sourcePool: this.#options.sourcePool,
        percentile: r.percentile,
        sourceMs: r.sourceMs,
        sourceSamples: r.sourceSamples,
        sourceRefused: this.#sourceRefused,
        targetSamples: result.samples,
        targetSlower: result.successes,
        targetRefused: r.targetRefused,
        share: result.share,
        bound: result.bound,
        lambda: result.lambda,
        pValue: result.pValue,
        alpha: result.alpha,
        rejected: result.rejected,
      };
    });
  }
}
