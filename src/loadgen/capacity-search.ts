/**
 * The verdict of one trial as the search sees it. `invalid`: the generator could not offer the
 * rate. `retest`: the evidence at the rate did not settle the verdict either way (one stray error,
 * a p99 close to the bound), so the same rate is tried again and the samples pooled.
 */
export type TrialOutcome = 'pass' | 'fail' | 'invalid' | 'retest';

/** Phase of the search a trial belongs to. */
export type SearchPhase = 'bracket' | 'bisect' | 'confirm';

/** What to run next, or the search's conclusion. */
export type SearchStep =
  | { done: false; phase: SearchPhase; rateRps: number }
  | {
      done: true;
      /** Highest rate shown to pass (0 when even the lowest rate, `minRps`, failed its own trial). */
      capacityRps: number;
      /** Lowest rate seen to fail (Infinity when none failed). */
      failedAtRps: number;
      /** Why the search ended. */
      reason: 'converged' | 'below-minimum' | 'at-maximum' | 'generator-limited' | 'trial-limit';
      confirmed: boolean;
    };

/** Options of {@link CapacitySearch}. */
export interface CapacitySearchOptions {
  /** First rate tried (an expected peak, or a guess). */
  startRps: number;
  /** Stop bisecting once failing / passing − 1 ≤ this (0.02 = 2 %). */
  precision: number;
  /** Confirmation runs the final rate must pass in a row. */
  confirmations: number;
  minRps: number;
  maxRps: number;
  /** Safety stop: trials at most. */
  maxTrials: number;
}

/**
 * The capacity search as a pure state machine (ANCHORS §2.6): exponential bracketing from the
 * start rate (doubling up, or halving down in log space to `minRps` when it fails), bisection in
 * log space (next rate √(L · U)) until U/L − 1 ≤ precision, then confirmation runs one precision
 * step below L; a failed confirmation lowers the rate by the precision and confirms again
 * (MLPerf's rule). A `retest` runs the
 * same rate again. The search ends `below-minimum` only after a trial at `minRps` itself failed.
 * No I/O: the caller runs the trials.
 */
export class CapacitySearch {
  readonly #o: CapacitySearchOptions;
  #lower = 0;
  #upper = Number.POSITIVE_INFINITY;
  #phase: SearchPhase = 'bracket';
  #next: number;
  #confirmed = 0;
  #trials = 0;
  #invalidInARow = 0;
  #end: SearchStep | null = null;

  constructor(options: CapacitySearchOptions) {
    this.#o = options;
    this.#next = Math.min(options.maxRps, Math.max(options.minRps, options.startRps));
  }

  /** The next trial to run, or the conclusion. */
  step(): SearchStep {
    if (this.#end !== null) return this.#end;
    if (this.#trials >= this.#o.maxTrials) return this.#finish('trial-limit');
    return { done: false, phase: this.#phase, rateRps: this.#next };
  }

  /** Feeds back the outcome of the trial `step()` asked for. */
  record(outcome: TrialOutcome): void {
    const current = this.step();
    if (current.done) return;
    this.#trials++;
    const rate = current.rateRps;
    if (outcome === 'invalid') {
      // A noisy neighbour can stall the generator once: the same rate is tried again, but a
      // generator that cannot offer the rate three times in a row has found its own limit.
      this.#invalidInARow++;
      if (this.#invalidInARow >= 3) this.#finish('generator-limited');
      return;
    }
    this.#invalidInARow = 0;
    if (outcome === 'retest') return;
    if (this.#phase === 'confirm') {
      if (outcome === 'pass') {
        this.#confirmed++;
        if (this.#confirmed >= this.#o.confirmations) this.#finish('converged');
        return;
      }
      this.#upper = rate;
      this.#confirmed = 0;
      // "Below the minimum" only once a trial at the minimum itself failed.
      if (rate <= this.#o.minRps) {
        this.#lower = 0;
        this.#finish('below-minimum');
        return;
      }
      this.#lower = Math.max(this.#o.minRps, rate * (1 - this.#o.precision));
      this.#next = this.#lower;
      return;
    }
    if (outcome === 'pass') this.#lower = Math.max(this.#lower, rate);
    else this.#upper = Math.min(this.#upper, rate);
    if (this.#phase === 'bracket') {
      if (this.#upper === Number.POSITIVE_INFINITY) {
        if (rate >= this.#o.maxRps) {
          this.#finish('at-maximum');
          return;
        }
        this.#next = Math.min(this.#o.maxRps, rate * 2);
        return;
      }
      if (this.#lower === 0) {
        if (rate <= this.#o.minRps) {
          this.#finish('below-minimum');
          return;
        }
        this.#next = Math.max(this.#o.minRps, rate / 2);
        return;
      }
      this.#phase = 'bisect';
    }
    if (this.#upper / this.#lower - 1 <= this.#o.precision) {
      if (this.#o.confirmations <= 0) {
        this.#finish('converged');
        return;
      }
      // Confirm one precision step below the highest pass: a short trial near a queue's limit
      // ends before the queue has grown to its steady state, so its pass leans optimistic.
      this.#phase = 'confirm';
      this.#confirmed = 0;
      this.#lower = Math.max(this.#o.minRps, this.#lower * (1 - this.#o.precision));
      this.#next = this.#lower;
      return;
    }
    this.#next = Math.sqrt(this.#lower * this.#upper);
  }

  #finish(reason: Extract<SearchStep, { done: true }>['reason']): SearchStep {
    this.#end = {
      done: true,
      capacityRps: this.#lower,
      failedAtRps: this.#upper,
      reason,
      confirmed: reason === 'converged' && this.#o.confirmations > 0,
    };
    return this.#end;
  }
}
