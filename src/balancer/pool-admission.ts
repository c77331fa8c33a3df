import type { Clock, TimerHandle } from '../core/index.ts';
import type { GradientLimiter } from './gradient-limiter.ts';

interface Waiter {
  resolve: (admitted: boolean) => void;
  timer: TimerHandle;
  /** Monotonic ms when it joined the queue. */
  since: number;
}

/** How the queue behaves once it stands (CoDel's terms, as Facebook's adaptive LIFO uses them). */
export interface StandingQueueOptions {
  /** Longest wait while the queue is standing (CoDel's target). */
  target: number;
  /** A queue that has not been empty for this long is standing, not a burst (CoDel's interval). */
  interval: number;
}

/** Queue drains measured before the wait estimate is trusted. */
const MIN_DRAIN_SAMPLES = 8;
/** Weight of the newest drain interval in the moving average. */
const DRAIN_EWMA_WEIGHT = 0.2;

/**
 * Admission for one pool: a request runs when in-flight is under the adaptive limit, else waits
 * in a bounded queue. It is refused at once, at the cost of a comparison, when the queue is full
 * or when the measured drain rate says its wait would pass its timeout anyway: a request that
 * would only time out in the queue is told so now, in microseconds.
 *
 * The queue absorbs bursts: a request may wait up to `queueTimeout` while the queue empties now
 * and then. A queue that has not been empty for `standing.interval` is not a burst but overload
 * (CoDel's test), and waiting then only adds latency to every admitted request without adding
 * goodput: the wait bound drops to `standing.target`, waiters older than that are refused, and
 * the newest waiter is served first (adaptive LIFO), so the requests that do run are fresh ones
 * whose clients are still waiting. The queue returns to FIFO and the long bound once it empties.
 */
export class PoolAdmission {
  readonly #clock: Clock;
  readonly #limiter: GradientLimiter;
  readonly #queueSize: number;
  readonly #queueTimeout: number;
  readonly #standing: StandingQueueOptions;
  readonly #queue: Waiter[] = [];
  #inFlight = 0;
  #closed = false;
  /** Since when the queue has been waiting (monotonic ms); meaningful while `#drained` is false. */
  #waitingSince: number;
  /**
   * Whether admissions have caught up with the queue: it is empty and nothing was refused for a
   * whole interval. A queue emptied by refusing its waiters is still an overloaded one.
   */
  #drained = true;
  /** Monotonic ms of the last refusal from the queue (full, predicted, stale or timed out). */
  #lastShed = Number.NEGATIVE_INFINITY;
  /** Moving average of the time between two queued requests being admitted (ms). */
  #drainInterval = 0;
  #drainSamples = 0;
  #lastDrainAt = -1;
  /** Refused at once because the estimated wait was longer than the wait bound. */
  predictedSheds = 0;
  /** Refused because they had waited past the standing queue's target. */
  standingSheds = 0;

  constructor(clock: Clock, limiter: GradientLimiter, queueSize: number, queueTimeout: number, standing?: StandingQueueOptions) {
    this.#clock = clock;
    this.#limiter = limiter;
    this.#queueSize = queueSize;
    this.#queueTimeout = queueTimeout;
    // A target above the timeout would lengthen waits under overload: never more than the timeout.
    const s = standing ?? { target: 5, interval: 100 };
    this.#standing = { target: Math.min(s.target, queueTimeout), interval: s.interval };
    this.#waitingSince = clock.monotonic();
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  get queued(): number {
    return this.#queue.length;
  }

  get limit(): number {
    return this.#limiter.limit;
  }

  /** Whether the queue is standing (overload), by CoDel's test. */
  get standing(): boolean {
    return this.#isStanding(this.#clock.monotonic());
  }

  /**
   * `true`: admitted now. `false`: shed now (queue full). A promise: queued; resolves true when a
   * slot frees, false on timeout. Every admission must be paired with one `release`.
   */
  acquire(): boolean | Promise<boolean> {
    if (this.#closed) return false;
    const limit = this.#limiter.limit;
    if (this.#inFlight < limit && this.#queue.length === 0) {
      this.#inFlight++;
      return true;
    }
    const now = this.#clock.monotonic();
    // An empty queue with no refusal for an interval has caught up, even if no release saw it.
    if (!this.#drained && this.#queue.length === 0 && now - this.#lastShed >= this.#standing.interval) this.#drained = true;
    const standing = this.#isStanding(now);
    if (standing) this.#shedStale(now);
    if (this.#inFlight < limit) {
      // The limit rose with no slot freed (a measurement given up): the waiters go first.
      this.#admitQueued(now, standing);
      if (this.#inFlight < this.#limiter.limit && this.#queue.length === 0) {
        this.#inFlight++;
        return true;
      }
    }
    if (this.#queue.length >= this.#queueSize) {
      this.#lastShed = now;
      return false;
    }
    const bound = standing ? this.#standing.target : this.#queueTimeout;
    if (this.#drainSamples >= MIN_DRAIN_SAMPLES && (this.#queue.length + 1) * this.#drainInterval > bound) {
      this.predictedSheds++;
      this.#lastShed = now;
      return false;
    }
    if (this.#queue.length === 0) this.#lastDrainAt = now;
    if (this.#drained) {
      this.#drained = false;
      this.#waitingSince = now;
    }
    return new Promise<boolean>((resolve) => {
      const waiter: Waiter = {
        resolve,
        since: now,
        timer: this.#clock.setTimeout(() => {
          const i = this.#queue.indexOf(waiter);
          if (i >= 0) this.#queue.splice(i, 1);
          this.#lastShed = this.#clock.monotonic();
          resolve(false);
        }, bound),
      };
      this.#queue.push(waiter);
    });
  }

  /** Whether a request would be admitted at once now: a free slot and nobody waiting before it. */
  hasRoom(): boolean {
    return !this.#closed && this.#inFlight < this.#limiter.limit && this.#queue.length === 0;
  }

  /**
   * Admits now or not at all (never queues): for a request rescued from a rolled-back pool, which
   * takes a slot here only where that costs no waiting, ahead of nobody. Pair a `true` with `release`.
   */
  tryAcquire(): boolean {
    if (!this.hasRoom()) return false;
    this.#inFlight++;
    return true;
  }

  /**
   * Whether `acquire` would refuse at once now (closed, queue full, or a wait the drain rate says
   * would pass its bound), without changing anything: a request with a body is shed on this before
   * its body is read ahead (and before a `100 Continue` invites it), and a spill goes to a failover
   * pool only where this is false.
   */
  wouldRefuse(): boolean {
    if (this.#closed) return true;
    if (this.#inFlight < this.#limiter.limit && this.#queue.length === 0) return false;
    if (this.#queue.length >= this.#queueSize) return true;
    const bound = this.#isStanding(this.#clock.monotonic()) ? this.#standing.target : this.#queueTimeout;
    return this.#drainSamples >= MIN_DRAIN_SAMPLES && (this.#queue.length + 1) * this.#drainInterval > bound;
  }

  /** Frees a slot, feeds the limiter, and admits queued requests that now fit. */
  release(latencyMs: number | null, inFlightAtStart: number): void {
    this.#inFlight--;
    if (latencyMs !== null) this.#limiter.sample(latencyMs, inFlightAtStart);
    if (this.#queue.length === 0) {
      // A free slot and nobody waiting: admissions have caught up, unless waiters were being refused.
      if (!this.#drained) this.#drained = this.#clock.monotonic() - this.#lastShed >= this.#standing.interval;
      return;
    }
    const now = this.#clock.monotonic();
    const standing = this.#isStanding(now);
    if (standing) this.#shedStale(now);
    this.#admitQueued(now, standing);
  }

  /** Refuses everything queued and everything new. Idempotent. */
  close(): void {
    this.#closed = true;
    for (const w of this.#queue.splice(0)) {
      w.timer.cancel();
      w.resolve(false);
    }
  }

  /** Admits waiters while there is room: the oldest first, the newest while the queue stands. */
  #admitQueued(now: number, standing: boolean): void {
    while (this.#queue.length > 0 && this.#inFlight < this.#limiter.limit) {
      const waiter = (standing ? this.#queue.pop() : this.#queue.shift()) as Waiter;
      waiter.timer.cancel();
      this.#inFlight++;
      this.#sampleDrain(now);
      waiter.resolve(true);
    }
    if (this.#queue.length === 0) this.#drained = now - this.#lastShed >= this.#standing.interval;
  }

  #isStanding(now: number): boolean {
    return !this.#drained && now - this.#waitingSince >= this.#standing.interval;
  }

  /** Refuses the waiters (oldest first, at the front) that have waited past the standing target. */
  #shedStale(now: number): void {
    const limit = now - this.#standing.target;
    let n = 0;
    while (n < this.#queue.length && (this.#queue[n] as Waiter).since <= limit) n++;
    if (n === 0) return;
    this.#lastShed = now;
    for (const w of this.#queue.splice(0, n)) {
      w.timer.cancel();
      this.standingSheds++;
      w.resolve(false);
    }
  }

  /** Measures the time between admissions from the queue: only while there is a queue, so idle time never counts. */
  #sampleDrain(now: number): void {
    const interval = Math.min(now - this.#lastDrainAt, this.#queueTimeout);
    this.#drainInterval = this.#drainSamples === 0 ? interval : this.#drainInterval + DRAIN_EWMA_WEIGHT * (interval - this.#drainInterval);
    this.#drainSamples++;
    this.#lastDrainAt = now;
  }
}
