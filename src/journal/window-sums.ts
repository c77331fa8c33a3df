/** Sums of one SLI's counts over a trailing window. */
export interface WindowTotals {
  requests: number;
  bad: number;
  slow: number;
}

/**
 * Per-second counts of one route in a ring buffer, with running sums over several trailing
 * windows, so a 3-day window costs O(1) per second instead of re-summing 259 200 samples.
 */
export class WindowSums {
  #cap: number;
  #time: Float64Array;
  #req: Float64Array;
  #bad: Float64Array;
  #slow: Float64Array;
  #head = 0; // index of the oldest entry
  #size = 0;
  #windows: { ms: number; start: number; totals: WindowTotals }[];

  constructor(windowsMs: readonly number[]) {
    const longest = Math.max(...windowsMs);
    this.#cap = Math.ceil(longest / 1000) + 2;
    this.#time = new Float64Array(this.#cap);
    this.#req = new Float64Array(this.#cap);
    this.#bad = new Float64Array(this.#cap);
    this.#slow = new Float64Array(this.#cap);
    this.#windows = [...new Set(windowsMs)].map((ms) => ({ ms, start: 0, totals: { requests: 0, bad: 0, slow: 0 } }));
  }

  /** Adds one second (samples arrive in time order; an older one is ignored). */
  add(time: number, requests: number, bad: number, slow: number): void {
    if (this.#size > 0 && time <= (this.#time[this.#idx(this.#size - 1)] as number)) return;
    if (this.#size === this.#cap) this.#dropOldest();
    const i = this.#idx(this.#size);
    this.#time[i] = time;
    this.#req[i] = requests;
    this.#bad[i] = bad;
    this.#slow[i] = slow;
    this.#size++;
    for (const w of this.#windows) {
      w.totals.requests += requests;
      w.totals.bad += bad;
      w.totals.slow += slow;
    }
    this.#expire(time);
  }

  /** How much history is held, in ms (newest − oldest + 1 s); 0 when empty. */
  coverage(): number {
    if (this.#size === 0) return 0;
    return (this.#time[this.#idx(this.#size - 1)] as number) - (this.#time[this.#idx(0)] as number) + 1000;
  }

  /** Totals over the trailing `ms` window ending at the newest sample (must be one of the constructor's windows). */
  totals(ms: number): WindowTotals {
    const w = this.#windows.find((x) => x.ms === ms);
    if (w === undefined) throw new RangeError(`no window of ${ms} ms`);
    return { ...w.totals };
  }

  #expire(now: number): void {
    for (const w of this.#windows) {
      // A sample at time t covers [t, t+1000); it leaves a window ending at now+1000 when t < now + 1000 - ms.
      while (w.start < this.#size && (this.#time[this.#idx(w.start)] as number) < now + 1000 - w.ms) {
        const i = this.#idx(w.start);
        w.totals.requests -= this.#req[i] as number;
        w.totals.bad -= this.#bad[i] as number;
        w.totals.slow -= this.#slow[i] as number;
        w.start++;
      }
    }
  }

  #dropOldest(): void {
    for (const w of this.#windows) {
      if (w.start === 0) {
        const i = this.#idx(0);
        w.totals.requests -= this.#req[i] as number;
        w.totals.bad -= this.#bad[i] as number;
        w.totals.slow -= this.#slow[i] as number;
      } else {
        w.start--;
      }
    }
    this.#head = (this.#head + 1) % this.#cap;
    this.#size--;
  }

  #idx(k: number): number {
    return (this.#head + k) % this.#cap;
  }
}
