import type { Clock, Random } from '../core/index.ts';

export interface GradientLimiterOptions {
  initialLimit: number;
  minLimit: number;
  maxLimit: number;
  /** When false the limit stays at `initialLimit` (a fixed concurrency cap). */
  adaptive: boolean;
  /**
   * Least limit an unused limit decays to (never under `minLimit`); without it, `minLimit`.
   * Latency may still take the limit down to `minLimit`: that is evidence, disuse is none.
   */
  idleLimit?: number;
  /** How long samples are averaged before the limit moves. */
  sampleWindowMs?: number;
  /** Fewest samples a window needs to move the limit. */
  minSamples?: number;
  /** Latency over the minimum RTT tolerated before the limit shrinks (Envoy's min_rtt_buffer). */
  buffer?: number;
  /**
   * Latency tolerated on top of the buffer, in ms. Below a couple of milliseconds, latency growth
   * is the balancer's own event loop batching socket events, not a backend's queue: with backends
   * answering in 0.2 ms, 25 % is 50 µs, and without this the limit fell to 1 and shed at half
   * the balancer's maximum rate.
   */
  slackMs?: number;
  /** Time between two measurements of the minimum RTT (Envoy's min_rtt_calc_interval). */
  minRttIntervalMs?: number;
  /** Samples a minimum-RTT measurement takes (Envoy's request_count). */
  minRttSamples?: number;
  /**
   * Longest a measurement pins the limit once it has `minSamples` samples. Also the least silence
   * (no request ending at all) after which one is given up: its slots are held by long requests.
   */
  minRttMaxMs?: number;
  /** Random share of the interval added to it, so pools do not measure in step (Envoy's jitter). */
  jitter?: number;
  /** For the jitter; without it the interval is exact. */
  random?: Random;
  /**
   * Whether this process is its own bottleneck (event loop saturated). Latency then grows with
   * the balancer's own work, and a smaller limit would only move the wait into the admission
   * queue and shed: the limit does not shrink for it.
   */
  saturated?: () => boolean;
}

/** Windows in a row at the minimum limit that make the minimum RTT suspect (Envoy: 5). */
const WINDOWS_AT_MIN_BEFORE_REMEASURE = 5;
/** Windows a growth trial waits for its samples before it is dropped undecided (the growth stays). */
const TRIAL_MAX_WINDOWS = 10;
/** Latencies (the baseline, or the window's before a first measurement) without a request ending that stall a measurement. */
const STALL_LATENCIES = 4;
/** Windows whose peak in-flight an unused limit decays toward (twice the highest of them, plus one). */
const PEAK_WINDOWS = 10;

/** A growth of the limit on trial: it stays only if the added concurrency bought throughput. */
interface GrowthTrial {
  /** The limit before the growth (an integer). */
  from: number;
  /** Mean latency and mean in-flight (at start) of the window before the growth. */
  rtt: number;
  inFlight: number;
  /** Sums over the requests that started above `from` (those the growth let in). */
  rttSum: number;
  inFlightSum: number;
  n: number;
  windows: number;
}

/**
 * Adaptive concurrency limit after Envoy's gradient controller. The ideal latency (minimum RTT)
 * is measured by pinning the pool's concurrency to `minLimit` and taking the median of the
 * latencies of requests that started with at most that many in flight; then, per window,
 * `gradient = clamp((minRtt × (1 + buffer) + slack) / windowRtt, 0.5, 2)`. Below 1 a queue is forming and the
 * limit shrinks at once (`limit × gradient`, at most by half a window); at or above 1 it grows
 * (`limit × gradient + √limit`), but only while the pool used at least half of it, as latency
 * says nothing about a limit that is not reached.
 *
 * Two additions keep the limit where concurrency still buys throughput, which the gradient alone
 * cannot see: its tolerance (buffer + slack, ~45 % over a 10 ms minimum) and its growth headroom
 * (√limit) are each worth a whole request on a pool of a few slots, so on a backend that serves a
 * fixed rate the limit kept overshooting into the backend's queue.
 * - Growth is a trial (TCP BBR's full-pipe test; Vegas's expected-versus-actual throughput): when
 *   the limit grows, the requests that start above the old limit are compared with the window
 *   before. By Little's law throughput = in-flight ÷ latency: if the added concurrency delivered
 *   less than half of its share of throughput, and latency rose by more than the slack, the pipe
 *   was full and the growth only queued. The limit goes back, and the old one becomes a ceiling
 *   for growth until the next minimum-RTT measurement (the periodic re-check, as BBR re-probes).
 * - An unused limit decays (TCP's congestion-window validation, RFC 7661): in a window where the
 *   pool used under half of it, the limit falls, by at most half, toward twice the highest
 *   in-flight of the last ten windows (plus one), so an idle pool does not meet a sudden overload
 *   with a limit it never tested, all of which would land in the backends' queues at once. Never
 *   under `idleLimit`, as RFC 7661 never takes a window under the initial window for want of use:
 *   after light traffic the limit decayed to 3, and three slow requests then held the whole pool.
 *
 * Why a measured minimum and not a long average of live latency (Netflix's Gradient2): under
 * sustained overload a long average drifts up to the queued latency and the limit climbs back into
 * queueing, and a balancer that starts during an overload never sees the unqueued latency at all.
 * The measurement is repeated every `minRttIntervalMs` (jittered) and whenever the limit has sat at
 * its minimum for five windows (a backend that truly became slower), as Envoy does. The first one
 * runs when the pool is first busy (in flight ≥ half the limit); until then the limit does not move.
 * The cost, known from Envoy (envoy#8337): while pinned, requests queue (the admission queue
 * absorbs a short measurement; `minRttMaxMs` bounds a long one).
 */
export class GradientLimiter {
  readonly #clock: Clock;
  readonly #o: Required<Omit<GradientLimiterOptions, 'random' | 'saturated'>>;
  readonly #random: Random | undefined;
  readonly #saturated: () => boolean;
  #limit: number;
  /** Median latency of the last measurement; 0 before the first. */
  #minRtt = 0;
  /** Set while the limit is pinned to measure the minimum RTT. */
  #measuring = false;
  #measureStart = 0;
  /** While measuring: when the last request ended (or the measurement started), and the silence that gives it up. */
  #lastSampleAt = 0;
  #stallMs = 0;
  #measured: number[] = [];
  #limitBeforeMeasure = 0;
  /** The last window's latency and peak in-flight before a measurement (0 when unknown). */
  #rttBeforeMeasure = 0;
  #inFlightBeforeMeasure = 0;
  #nextMeasureAt = Number.POSITIVE_INFINITY;
  /** No first measurement before this (monotonic ms): one was given up. */
  #retryAt = Number.NEGATIVE_INFINITY;
  #windowsAtMin = 0;
  #windowStart: number;
  #sum = 0;
  #count = 0;
  #inFlightSum = 0;
  #maxInFlight = 0;
  /** Growth held to this limit: past it, growth bought no throughput (reset by each measurement). */
  #ceiling = Number.POSITIVE_INFINITY;
  #trial: GrowthTrial | null = null;
  /** Peak in-flight of the last PEAK_WINDOWS windows (ring). */
  readonly #peaks: number[] = [];
  #peakAt = 0;
  /** Minimum-RTT measurements taken so far. */
  measurements = 0;
  /** Growth trials that found the pipe full (the growth bought no throughput and was undone). */
  fullPipes = 0;
  /** Measurements given up for want of samples (slots held by long requests). */
  abandonedMeasurements = 0;

  constructor(clock: Clock, options: GradientLimiterOptions) {
    this.#clock = clock;
    this.#random = options.random;
    this.#saturated = options.saturated ?? (() => false);
    const { random: _random, saturated: _saturated, ...rest } = options;
    this.#o = {
      idleLimit: options.minLimit,
      sampleWindowMs: 100,
      minSamples: 10,
      buffer: 0.25,
      slackMs: 2,
      minRttIntervalMs: 60_000,
      minRttSamples: 50,
      minRttMaxMs: 1_000,
      jitter: 0.15,
      ...rest,
    };
    // A fixed cap is exactly initialLimit; an adaptive one starts inside [minLimit, maxLimit].
    this.#limit = options.adaptive ? Math.min(Math.max(options.initialLimit, options.minLimit), options.maxLimit) : options.initialLimit;
    this.#windowStart = clock.monotonic();
  }

  /** The current limit, an integer ≥ minLimit (exactly minLimit while the minimum RTT is measured). */
  get limit(): number {
    if (this.#measuring) {
      // Read at every admission: a measurement that stalls ends here, since no sample will come.
      const now = this.#clock.monotonic();
      if (now - this.#lastSampleAt < this.#stallMs) return this.#o.minLimit;
      if (this.#measured.length >= this.#o.minSamples) this.#finishMeasuring(now);
      else this.#abandon(now);
    }
    return Math.floor(this.#limit);
  }

  /** The last measured minimum RTT in ms (0 before the first measurement). */
  get minRttMs(): number {
    return this.#minRtt;
  }

  /** Whether the limit is pinned to measure the minimum RTT. */
  get measuring(): boolean {
    return this.#measuring;
  }

  /** The limit growth is held to (Infinity when none): the last growth trial found the pipe full above it. */
  get ceiling(): number {
    return this.#ceiling;
  }

  /** Records one admitted request's latency and how many were in flight when it started (itself included). */
  sample(rttMs: number, inFlight: number): void {
    if (!this.#o.adaptive) return;
    const now = this.#clock.monotonic();
    if (this.#measuring) {
      this.#lastSampleAt = now;
      this.#measure(rttMs, inFlight, now);
      return;
    }
    this.#sum += rttMs;
    this.#count++;
    this.#inFlightSum += inFlight;
    if (inFlight > this.#maxInFlight) this.#maxInFlight = inFlight;
    const trial = this.#trial;
    if (trial !== null && inFlight > trial.from) {
      trial.rttSum += rttMs;
      trial.inFlightSum += inFlight;
      trial.n++;
    }
    if (now - this.#windowStart < this.#o.sampleWindowMs || this.#count < this.#o.minSamples) return;
    const windowRtt = this.#sum / this.#count;
    const meanInFlight = this.#inFlightSum / this.#count;
    const maxInFlight = this.#maxInFlight;
    this.#resetWindow(now);
    this.#peaks[this.#peakAt] = maxInFlight;
    this.#peakAt = (this.#peakAt + 1) % PEAK_WINDOWS;
    if (this.#minRtt === 0) {
      // No baseline yet: measure once the pool is busy enough for the limit to matter.
      if (maxInFlight >= this.#limit / 2 && now >= this.#retryAt) this.#startMeasuring(now, windowRtt, maxInFlight, windowRtt);
      else this.#decay();
      return;
    }
    this.#judgeTrial();
    const shrunk = this.#update(windowRtt, maxInFlight, meanInFlight);
    // Only latency holding the limit at its minimum makes the baseline suspect, not a ceiling.
    if (shrunk && this.#limit <= this.#o.minLimit) this.#windowsAtMin++;
    else this.#windowsAtMin = 0;
    if (this.#windowsAtMin >= WINDOWS_AT_MIN_BEFORE_REMEASURE || now >= this.#nextMeasureAt) this.#startMeasuring(now, 0, 0, windowRtt);
  }

  /** Moves the limit after a window; true when latency said shrink. */
  #update(windowRtt: number, maxInFlight: number, meanInFlight: number): boolean {
    const o = this.#o;
    let gradient = Math.max(0.5, Math.min(2, this.#ideal() / Math.max(windowRtt, 1e-3)));
    // Latency this process adds itself is no backend queue (the event-loop guard sheds for that).
    if (gradient < 1 && this.#saturated()) gradient = 1;
    if (gradient < 1) {
      // A queue is forming: shrink now (a shrink needs no evidence that the limit was in use).
      this.#limit = Math.min(Math.max(this.#limit * gradient, o.minLimit), o.maxLimit);
      return true;
    }
    // App-limited: the pool never came near the limit, so latency says nothing about it.
    if (maxInFlight < this.#limit / 2) {
      this.#decay();
      return false;
    }
    // One growth on trial at a time: the next waits for its verdict.
    if (this.#trial !== null) return false;
    const next = Math.min(this.#limit * gradient + Math.sqrt(this.#limit), this.#ceiling, o.maxLimit);
    if (Math.floor(next) > Math.floor(this.#limit)) {
      const from = Math.floor(this.#limit);
      this.#trial = { from, rtt: windowRtt, inFlight: meanInFlight, rttSum: 0, inFlightSum: 0, n: 0, windows: 0 };
    }
    this.#limit = Math.max(next, this.#limit);
    return false;
  }

  /**
   * Decides the growth on trial once enough requests ran above the old limit. Full pipe: their
   * throughput (in-flight ÷ latency, Little's law) rose by under half of what the added
   * concurrency would give if it were all served, and latency rose by more than the slack.
   */
  #judgeTrial(): void {
    const t = this.#trial;
    if (t === null) return;
    t.windows++;
    if (t.n < this.#o.minSamples) {
      // Demand never filled the growth: nothing to judge, the growth stays.
      if (t.windows >= TRIAL_MAX_WINDOWS) this.#trial = null;
      return;
    }
    this.#trial = null;
    const rtt = t.rttSum / t.n;
    const inFlight = t.inFlightSum / t.n;
    const expectedGain = inFlight / t.inFlight - 1;
    const gain = inFlight / Math.max(rtt, 1e-3) / (t.inFlight / Math.max(t.rtt, 1e-3)) - 1;
    // A process that is its own bottleneck slows everything down: no verdict on the backends.
    if (expectedGain <= 0 || this.#saturated()) return;
    if (gain < expectedGain / 2 && rtt - t.rtt > this.#o.slackMs) {
      this.#ceiling = Math.max(t.from, this.#o.minLimit);
      this.#limit = Math.min(this.#limit, this.#ceiling);
      this.fullPipes++;
    }
  }

  /** An unused limit falls, by at most half a window, toward twice the recent peak in-flight (+1), not under idleLimit. */
  #decay(): void {
    // Just over twice the peak, so that the same peak again still reads as app-limited.
    const target = Math.max(this.#o.minLimit, this.#o.idleLimit, 2 * Math.max(...this.#peaks) + 1);
    if (this.#limit > target) this.#limit = Math.max(target, this.#limit / 2);
  }

  /** The latency at or under which the pool is taken to have no queue. */
  #ideal(): number {
    return this.#minRtt * (1 + this.#o.buffer) + this.#o.slackMs;
  }

  /** `windowRtt` and `maxInFlight` set the limit after a first measurement; `latencyMs` is the latest window's, for the stall. */
  #startMeasuring(now: number, windowRtt: number, maxInFlight: number, latencyMs: number): void {
    this.#rttBeforeMeasure = windowRtt;
    this.#inFlightBeforeMeasure = maxInFlight;
    this.#measuring = true;
    this.#measureStart = now;
    this.#lastSampleAt = now;
    // Requests end at least this often under the pin unless long ones hold its slots: the ones in
    // flight drain within a few of their latencies, then each new one takes about one.
    this.#stallMs = Math.max(this.#o.minRttMaxMs, STALL_LATENCIES * Math.max(this.#minRtt, latencyMs));
    this.#measured = [];
    this.#limitBeforeMeasure = this.#limit;
    this.#windowsAtMin = 0;
  }

  #measure(rttMs: number, inFlight: number, now: number): void {
    const o = this.#o;
    // Only requests that started under the pinned concurrency saw the backend unqueued (by us).
    if (inFlight <= o.minLimit) this.#measured.push(rttMs);
    const n = this.#measured.length;
    const done = n >= o.minRttSamples || (n >= o.minSamples && now - this.#measureStart >= o.minRttMaxMs);
    if (done) this.#finishMeasuring(now);
  }

  #finishMeasuring(now: number): void {
    const o = this.#o;
    const n = this.#measured.length;
    this.#measured.sort((a, b) => a - b);
    this.#minRtt = this.#measured[Math.floor(n / 2)] as number;
    this.#measured = [];
    this.#measuring = false;
    this.measurements++;
    // A new baseline: the pipe may have changed, so growth may be tried again.
    this.#ceiling = Number.POSITIVE_INFINITY;
    this.#trial = null;
    // Back to where it was: a limit that was right stays right; a wrong one moves from there. The
    // first measurement, taken because the pool got busy with no baseline, may find it deep in a
    // queue: by Little's law the concurrency that keeps the same throughput at the ideal latency is
    // the busy concurrency scaled by ideal ÷ measured latency, so the limit starts there at once.
    this.#limit = this.#limitBeforeMeasure;
    const ideal = this.#ideal();
    if (this.#rttBeforeMeasure > ideal && !this.#saturated()) {
      const scaled = Math.min(this.#limit, this.#inFlightBeforeMeasure) * (ideal / this.#rttBeforeMeasure);
      this.#limit = Math.min(Math.max(scaled, o.minLimit), o.maxLimit);
    }
    const jitter = this.#random === undefined ? 0 : this.#random.next() * o.jitter;
    this.#nextMeasureAt = now + o.minRttIntervalMs * (1 + jitter);
    this.#resetWindow(now);
  }

  /**
   * Gives up a measurement that stalled before `minSamples` samples: no request ended for
   * `minRttMaxMs` (or a few latencies, if longer). Its slots are held by requests that do not end
   * (slow uploads streaming at the minimum rate, long polls), so no request can start under the
   * pinned limit, and the pool would stay pinned, shedding everything else, for as long as they
   * last. The limit and the baseline stay as they were; the next try comes after the measurement
   * interval. The cost of each try: that silence, with requests queued or shed.
   */
  #abandon(now: number): void {
    this.#measuring = false;
    this.#measured = [];
    this.abandonedMeasurements++;
    const jitter = this.#random === undefined ? 0 : this.#random.next() * this.#o.jitter;
    this.#nextMeasureAt = now + this.#o.minRttIntervalMs * (1 + jitter);
    this.#retryAt = this.#nextMeasureAt;
    this.#resetWindow(now);
  }

  #resetWindow(now: number): void {
    this.#windowStart = now;
    this.#sum = 0;
    this.#count = 0;
    this.#inFlightSum = 0;
    this.#maxInFlight = 0;
  }
}
