import { type EventLoopUtilization, performance } from 'node:perf_hooks';
import type { Clock, TimerHandle } from '../core/index.ts';

/** Busy share of the event loop over a tick at or above which the process is its own bottleneck. */
const SATURATED_UTILIZATION = 0.9;

/**
 * Sheds load while the event loop lags: a timer due every `intervalMs` measures how late it runs.
 * Past `thresholdMs` the process is too busy to answer in time, so new requests are refused fast
 * (503) instead of joining a queue that only grows.
 */
export class EventLoopGuard {
  readonly #clock: Clock;
  readonly #thresholdMs: number;
  readonly #intervalMs: number;
  #timer: TimerHandle | null = null;
  #last: number;
  #lagMs = 0;
  #previousLagMs = 0;
  #elu: EventLoopUtilization | null = null;
  #utilization = 0;

  constructor(clock: Clock, thresholdMs: number, intervalMs = 100) {
    this.#clock = clock;
    this.#thresholdMs = thresholdMs;
    this.#intervalMs = intervalMs;
    this.#last = clock.monotonic();
  }

  start(): void {
    if (this.#timer !== null) return;
    this.#last = this.#clock.monotonic();
    this.#timer = this.#clock.setInterval(() => {
      const now = this.#clock.monotonic();
      this.observe(Math.max(0, now - this.#last - this.#intervalMs));
      this.#last = now;
      const elu = performance.eventLoopUtilization();
      if (this.#elu !== null) this.#utilization = performance.eventLoopUtilization(elu, this.#elu).utilization;
      this.#elu = elu;
    }, this.#intervalMs);
  }

  /** Records one lag measurement (ms). */
  observe(lagMs: number): void {
    this.#previousLagMs = this.#lagMs;
    this.#lagMs = lagMs;
  }

  get lagMs(): number {
    return this.#lagMs;
  }

  /** Busy share (0..1) of the event loop over the last tick. */
  get utilization(): number {
    return this.#utilization;
  }

  /**
   * Whether the process itself is the bottleneck (the loop busy ≥ 90 % of the last tick): latency
   * then grows with the work this process does, not with a backend's queue.
   */
  get saturated(): boolean {
    return this.#utilization >= SATURATED_UTILIZATION;
  }

  /**
   * True while the last two measurements are both over the threshold. One late tick is a pause
   * that is already over (GC, start-up); only lag that persists means requests wait on the loop.
   */
  get overloaded(): boolean {
    return this.#lagMs > this.#thresholdMs && this.#previousLagMs > this.#thresholdMs;
  }

  close(): void {
    this.#timer?.cancel();
    this.#timer = null;
  }
}
