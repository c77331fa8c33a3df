/**
 * Envoy's retry budget: retries in flight may be at most `budget` of the active requests, but
 * never fewer than `minConcurrency`, so retries cannot multiply an overload.
 */
export class RetryBudget {
  readonly #budget: number;
  readonly #minConcurrency: number;
  #retriesInFlight = 0;

  constructor(budget: number, minConcurrency: number) {
    this.#budget = budget;
    this.#minConcurrency = minConcurrency;
  }

  get inFlight(): number {
    return this.#retriesInFlight;
  }

  /** Takes a retry slot if the budget allows; pair with `release`. */
  tryAcquire(activeRequests: number): boolean {
    const allowed = Math.max(this.#minConcurrency, Math.floor(this.#budget * activeRequests));
    if (this.#retriesInFlight >= allowed) return false;
    this.#retriesInFlight++;
    return true;
  }

  release(): void {
    this.#retriesInFlight--;
  }
}
