import type { Clock, TimerHandle } from '../core/index.ts';
import type { GradientLimiter } from './gradient-limiter.ts';

interface Waiter {
  resolve: (admitted: boolean) => void;
  timer: TimerHandle;
}

/**
 * Admission for one pool: a request runs when in-flight is under the adaptive limit, else waits
 * in a bounded FIFO queue for at most `queueTimeout`; when the queue is full it is refused at
 * once, so shedding costs no more than a comparison.
 */
export class PoolAdmission {
  readonly #clock: Clock;
  readonly #limiter: GradientLimiter;
  readonly #queueSize: number;
  readonly #queueTimeout: number;
  readonly #queue: Waiter[] = [];
  #inFlight = 0;
  #closed = false;

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
      waiter.resolve(true);
    }
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
