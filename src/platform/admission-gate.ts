import { type Clock, PiperError, type TimerHandle } from '../core/index.ts';
import { platformErrors } from './platform-errors.ts';

/** Limits of the emulated server: how much it does at once and per second, and how long it lets requests wait. */
export interface AdmissionOptions {
  maxConcurrency: number;
  /** Requests started per second at most (emulated capacity); unlimited when absent. */
  capacityRps?: number | undefined;
  /** Requests that may wait for a slot; the rest are refused at once. */
  queueSize: number;
  /** Longest wait in the queue before a request is refused. */
  queueTimeoutMs: number;
  clock: Clock;
}

/** Releases an admitted request's slot; calling it again does nothing. */
export type Release = () => void;

interface Waiter {
  grant: (release: Release) => void;
  refuse: (err: PiperError) => void;
  timer: TimerHandle;
}

/**
 * Admission of the platform server: at most `maxConcurrency` requests in flight and, when set,
 * `capacityRps` started per second (a token bucket holding 100 ms of tokens). Past that, requests
 * wait in a bounded queue for a bounded time, then fail with 503 PIPER_PLATFORM_OVERLOADED, as a
 * real server past its capacity does: that is what the balancer's shedding and ejection must handle.
 */
export class AdmissionGate {
  readonly #opts: AdmissionOptions;
  readonly #burst: number;
  readonly #queue: Waiter[] = [];
  #tokens: number;
  #lastRefill: number;
  #inFlight = 0;
  #refillTimer: TimerHandle | undefined;
  #closed = false;
  /** Monotonic ms of the last slot handed out. */
  #lastStart: number;
  /** Requests refused since start (queue full, waited too long, or closing). */
  refused = 0;

  constructor(options: AdmissionOptions) {
    this.#opts = options;
    this.#burst = options.capacityRps === undefined ? 0 : Math.max(1, options.capacityRps / 10);
    this.#tokens = this.#burst;
    this.#lastRefill = options.clock.monotonic();
    this.#lastStart = this.#lastRefill;
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  get queued(): number {
    return this.#queue.length;
  }

  /**
   * True while the server sheds everything: every slot is taken and none has been handed out for
   * at least `queueTimeoutMs`, so every request that queued meanwhile was refused, and the next
   * will be. Readiness reports it, so a balancer takes the server out of rotation until a slot frees.
   */
  get saturated(): boolean {
    return this.#inFlight >= this.#opts.maxConcurrency && this.#opts.clock.monotonic() - this.#lastStart >= this.#opts.queueTimeoutMs;
  }

  /** Resolves with a release function once admitted; rejects with PIPER_PLATFORM_OVERLOADED. */
  acquire(): Promise<Release> {
    if (this.#closed) return Promise.reject(this.#overloaded('the server is shutting down'));
    if (this.#queue.length === 0 && this.#canStart()) return Promise.resolve(this.#start());
    if (this.#queue.length >= this.#opts.queueSize) {
      return Promise.reject(this.#overloaded(`over capacity: ${this.#inFlight} in flight and ${this.#queue.length} waiting`));
    }
    return new Promise<Release>((grant, refuse) => {
      const waiter: Waiter = {
        grant,
        refuse,
        timer: this.#opts.clock.setTimeout(() => {
          const i = this.#queue.indexOf(waiter);
          if (i >= 0) this.#queue.splice(i, 1);
          refuse(this.#overloaded(`over capacity: waited ${this.#opts.queueTimeoutMs} ms for a slot`));
        }, this.#opts.queueTimeoutMs),
      };
      this.#queue.push(waiter);
      this.#pump();
    });
  }

  /** Refuses every waiting request and any new one; requests in flight finish. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#refillTimer?.cancel();
    for (const w of this.#queue.splice(0)) {
      w.timer.cancel();
      w.refuse(this.#overloaded('the server is shutting down'));
    }
  }

  #canStart(): boolean {
    if (this.#inFlight >= this.#opts.maxConcurrency) return false;
    if (this.#opts.capacityRps === undefined) return true;
    this.#refill();
    return this.#tokens >= 1;
  }

  #start(): Release {
    if (this.#opts.capacityRps !== undefined) this.#tokens -= 1;
    this.#inFlight++;
    this.#lastStart = this.#opts.clock.monotonic();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#inFlight--;
      this.#pump();
    };
  }

  #refill(): void {
    const rps = this.#opts.capacityRps as number;
    const now = this.#opts.clock.monotonic();
    this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#lastRefill) * rps) / 1000);
    this.#lastRefill = now;
  }

  #pump(): void {
    while (this.#queue.length > 0 && this.#canStart()) {
      const w = this.#queue.shift() as Waiter;
      w.timer.cancel();
      w.grant(this.#start());
    }
    // Waiting only for a token (not a slot): wake when the next one is due.
    if (this.#queue.length > 0 && this.#inFlight < this.#opts.maxConcurrency && this.#refillTimer === undefined && !this.#closed) {
      const rps = this.#opts.capacityRps as number;
      const waitMs = Math.max(1, ((1 - this.#tokens) * 1000) / rps);
      this.#refillTimer = this.#opts.clock.setTimeout(() => {
        this.#refillTimer = undefined;
        this.#pump();
      }, waitMs);
    }
  }

  #overloaded(message: string): PiperError {
    this.refused++;
    return new PiperError(platformErrors.PIPER_PLATFORM_OVERLOADED, message);
  }
}
