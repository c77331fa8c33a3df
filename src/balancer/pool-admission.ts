import type { Clock, TimerHandle } from '../core/index.ts';
import type { GradientLimiter } from './gradient-limiter.ts';

interface Waiter {
  resolve: (admitted: boolean) => void;
  timer: TimerHandle;
}

/** Queue drains measured before the wait estimate is trusted. */
const MIN_DRAIN_SAMPLES = 8;
/** Weight of the newest drain interval in the moving average. */
const DRAIN_EWMA_WEIGHT = 0.2;

/**
 * Admission for one pool: a request runs when in-flight is under the adaptive limit, else waits
 * in a bounded FIFO queue for at most `queueTimeout`. It is refused at once, at the cost of a
 * comparison, when the queue is full or when the measured drain rate says its wait would pass
 * `queueTimeout` anyway: a request that would only time out in the queue is told so now, and the
 * client gets its 503 + Retry-After in microseconds instead of after the timeout.
 */
export class PoolAdmission {
  readonly #clock: Clock;
  readonly #limiter: GradientLimiter;
  readonly #queueSize: number;
  readonly #queueTimeout: number;
  readonly #queue: Waiter[] = [];
  #inFlight = 0;
  #closed = false;
  /** Moving average of the time between two queued requests being admitted (ms). */
  #drainInterval = 0;
  #drainSamples = 0;
  #lastDrainAt = -1;
  /** Refused at once because the estimated wait was longer than the queue timeout. */
  predictedSheds = 0;

  constructor(clock: Clock, limiter: GradientLimiter, queueSize: number, queueTimeout: number) {
    this.#clock = clock;
    this.#limiter = limiter;
    this.#queueSize = queueSize;
    this.#queueTimeout = queueTimeout;
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

  /**
   * `true`: admitted now. `false`: shed now (queue full). A promise: queued; resolves true when a
   * slot frees, false on timeout. Every admission must be paired with one `release`.
   */
  acquire(): boolean | Promise<boolean> {
    if (this.#closed) return false;
    if (this.#inFlight < this.#limiter.limit && this.#queue.length === 0) {
      this.#inFlight++;
      return true;
    }
    if (this.#queue.length >= this.#queueSize) return false;
    if (this.#drainSamples >= MIN_DRAIN_SAMPLES && (this.#queue.length + 1) * this.#drainInterval > this.#queueTimeout) {
      this.predictedSheds++;
      return false;
    }
    if (this.#queue.length === 0) this.#lastDrainAt = this.#clock.monotonic();
    return new Promise<boolean>((resolve) => {
      const waiter: Waiter = {
        resolve,
        timer: this.#clock.setTimeout(() => {
          const i = this.#queue.indexOf(waiter);
          if (i >= 0) this.#queue.splice(i, 1);
          resolve(false);
        }, this.#queueTimeout),
      };
      this.#queue.push(waiter);
    });
  }

  /** Frees a slot, feeds the limiter, and admits queued requests that now fit. */
  release(latencyMs: number | null, inFlightAtStart: number): void {
    this.#inFlight--;
    if (latencyMs !== null) this.#limiter.sample(latencyMs, inFlightAtStart);
    while (this.#queue.length > 0 && this.#inFlight < this.#limiter.limit) {
      const waiter = this.#queue.shift() as Waiter;
      waiter.timer.cancel();
      this.#inFlight++;
      this.#sampleDrain();
      waiter.resolve(true);
    }
  }

  /** Measures the time between admissions from the queue: only while there is a queue, so idle time never counts. */
  #sampleDrain(): void {
    const now = this.#clock.monotonic();
    const interval = Math.min(now - this.#lastDrainAt, this.#queueTimeout);
    this.#drainInterval = this.#drainSamples === 0 ? interval : this.#drainInterval + DRAIN_EWMA_WEIGHT * (interval - this.#drainInterval);
    this.#drainSamples++;
    this.#lastDrainAt = now;
  }

  /** Refuses everything queued and everything new. Idempotent. */
  close(): void {
    this.#closed = true;
    for (const w of this.#queue.splice(0)) {
      w.timer.cancel();
      w.resolve(false);
    }
  }
}
