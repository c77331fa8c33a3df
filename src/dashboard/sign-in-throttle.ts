import type { DashboardClock } from './session-store.ts';

export interface SignInThrottleOptions {
  clock: DashboardClock;
  /** Failed sign-ins allowed per client address within `windowMs`. */
  maxFailures?: number;
  windowMs?: number;
  /** Addresses tracked at once; beyond it the oldest entry is forgotten (memory stays bounded). */
  maxClients?: number;
}

interface FailureCount {
  count: number;
  windowStart: number;
}

/**
 * Slows token guessing: after `maxFailures` wrong tokens from one address within a window, that
 * address is refused until the window ends. Counting per address keeps one noisy client from
 * locking out the operator on another.
 */
export class SignInThrottle {
  readonly windowMs: number;
  readonly #clock: DashboardClock;
  readonly #maxFailures: number;
  readonly #maxClients: number;
  readonly #failures = new Map<string, FailureCount>();

  constructor(options: SignInThrottleOptions) {
    this.#clock = options.clock;
    this.#maxFailures = options.maxFailures ?? 10;
    this.windowMs = options.windowMs ?? 60_000;
    this.#maxClients = options.maxClients ?? 10_000;
  }

  /** Milliseconds the address must wait before trying again; 0 when it may try now. */
  retryAfterMs(address: string): number {
    const entry = this.#current(address);
    if (entry === undefined || entry.count < this.#maxFailures) return 0;
    return entry.windowStart + this.windowMs - this.#clock.now();
  }

  recordFailure(address: string): void {
    const entry = this.#current(address);
    if (entry !== undefined) {
      entry.count += 1;
      return;
    }
    if (this.#failures.size >= this.#maxClients) {
      const oldest = this.#failures.keys().next();
      if (oldest.done !== true) this.#failures.delete(oldest.value);
    }
    this.#failures.set(address, { count: 1, windowStart: this.#clock.now() });
  }

  recordSuccess(address: string): void {
    this.#failures.delete(address);
  }

  #current(address: string): FailureCount | undefined {
    const entry = this.#failures.get(address);
    if (entry !== undefined && this.#clock.now() - entry.windowStart >= this.windowMs) {
      this.#failures.delete(address);
      return undefined;
    }
    return entry;
  }
}
