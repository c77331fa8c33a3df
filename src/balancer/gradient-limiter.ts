import type { Clock } from '../core/index.ts';

export interface GradientLimiterOptions {
  initialLimit: number;
  minLimit: number;
  maxLimit: number;
  /** When false the limit stays at `initialLimit` (a fixed concurrency cap). */
  adaptive: boolean;
  /** How long samples are averaged before the limit moves. */
  sampleWindowMs?: number;
  /** Fewest samples a window needs to move the limit. */
  minSamples?: number;
  /** Latency growth tolerated before the limit shrinks (Gradient2's rttTolerance). */
  tolerance?: number;
  /** Weight of a new estimate (Gradient2's smoothing). */
  smoothing?: number;
  /** Length of the long-term latency average, in windows (Gradient2's longWindow). */
  longWindow?: number;
}

/** How much more slowly a window showing a queue moves the latency baseline. */
const QUEUED_WINDOW_SLOWDOWN = 10;

/**
 * Adaptive concurrency limit after Netflix concurrency-limits' Gradient2 (and Envoy's gradient
 * controller): the ratio of long-term to short-term latency says whether a queue is forming. While
 * latency holds, the limit grows by a queue allowance (√limit), smoothed; when it rises, the limit
 * shrinks in proportion at once, at most by half per window, as Envoy's controller does: every
 * window spent above capacity adds a window of queueing to every admitted request. Samples are
 * folded per window so one slow request does not move it, and the limit only grows when the pool
 * was actually using half of it.
 *
 * The long-term latency is the baseline that says "no queue". Gradient2 folds every window into it,
 * so under sustained overload it drifts up to the queued latency within its long window and the
 * limit climbs back, queueing again. Here a window that shows a queue (short latency over the
 * tolerance) moves the baseline ten times more slowly than one that does not: an overload of
 * minutes keeps its limit, while a backend that really became slower still raises the baseline.
 */
export class GradientLimiter {
  readonly #clock: Clock;
  readonly #o: Required<GradientLimiterOptions>;
  #limit: number;
  #longRtt = 0;
  #longCount = 0;
  #windowStart: number;
  #sum = 0;
  #count = 0;
  #maxInFlight = 0;

  constructor(clock: Clock, options: GradientLimiterOptions) {
    this.#clock = clock;
    this.#o = { sampleWindowMs: 100, minSamples: 10, tolerance: 1.5, smoothing: 0.2, longWindow: 600, ...options };
    // A fixed cap is exactly initialLimit; an adaptive one starts inside [minLimit, maxLimit].
    this.#limit = options.adaptive ? Math.min(Math.max(options.initialLimit, options.minLimit), options.maxLimit) : options.initialLimit;
    this.#windowStart = clock.monotonic();
  }

  /** The current limit, an integer ≥ minLimit. */
  get limit(): number {
    return Math.floor(this.#limit);
  }

  /** The long-term latency estimate in ms (0 before the first window). */
  get longRttMs(): number {
    return this.#longRtt;
  }

  /** Records one admitted request's latency and how many were in flight when it started. */
  sample(rttMs: number, inFlight: number): void {
    if (!this.#o.adaptive) return;
    this.#sum += rttMs;
    this.#count++;
    if (inFlight > this.#maxInFlight) this.#maxInFlight = inFlight;
    const now = this.#clock.monotonic();
    if (now - this.#windowStart < this.#o.sampleWindowMs || this.#count < this.#o.minSamples) return;
    const shortRtt = this.#sum / this.#count;
    const maxInFlight = this.#maxInFlight;
    this.#windowStart = now;
    this.#sum = 0;
    this.#count = 0;
    this.#maxInFlight = 0;
    this.#update(shortRtt, maxInFlight);
  }

  #update(shortRtt: number, maxInFlight: number): void {
    const o = this.#o;
    const queueing = this.#longCount > 0 && shortRtt > o.tolerance * this.#longRtt;
    // Exponential average with a warm-up where it is a plain mean, as Gradient2's ExpAvgMeasurement.
    if (this.#longCount < 10) {
      this.#longCount++;
      this.#longRtt += (shortRtt - this.#longRtt) / this.#longCount;
    } else {
      const factor = 2 / ((queueing ? QUEUED_WINDOW_SLOWDOWN : 1) * o.longWindow + 1);
      this.#longRtt = this.#longRtt * (1 - factor) + shortRtt * factor;
    }
    // After a spike the long average lags far above the short one; pull it down so the limit
    // does not stay inflated (Gradient2 decays it the same way).
    if (this.#longRtt / shortRtt > 2) this.#longRtt *= 0.95;
    const gradient = Math.max(0.5, Math.min(1, (o.tolerance * this.#longRtt) / Math.max(shortRtt, 1e-3)));
    let next: number;
    if (gradient < 1) {
      // A queue is forming: shrink now (a shrink needs no evidence that the limit was in use).
      next = this.#limit * gradient;
    } else {
      // App-limited: the pool never came near the limit, so latency says nothing about it.
      if (maxInFlight < this.#limit / 2) return;
      next = this.#limit * (1 - o.smoothing) + (this.#limit + Math.sqrt(this.#limit)) * o.smoothing;
    }
    this.#limit = Math.min(Math.max(next, o.minLimit), o.maxLimit);
  }
}
