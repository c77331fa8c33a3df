import type { Random } from '../core/index.ts';

/**
 * One piece of an arrival-rate plan: the rate moves linearly from `fromRps` to `toRps` over
 * `durationMs` (equal rates give a constant segment, a zero-length rise gives a step).
 */
export interface RateSegment {
  durationMs: number;
  fromRps: number;
  toRps: number;
}

/** A whole open-model plan: segments played one after the other. */
export type RatePlan = readonly RateSegment[];

/** Which share of the global arrival sequence one worker sends: arrivals offset, offset+stride, … */
export interface ArrivalSlice {
  offset: number;
  stride: number;
}

/**
 * How arrivals are spaced at a given rate: `constant` (evenly, arrival i at the point where the
 * rate's integral reaches i: the gentlest load a server can get) or `poisson` (independent
 * exponential gaps, as the requests of many independent users arrive: what real traffic looks
 * like, and what a queueing server must survive).
 */
export type ArrivalProcess = 'constant' | 'poisson';

/** Total run time of a plan in milliseconds. */
export function planDurationMs(plan: RatePlan): number {
  let total = 0;
  for (const s of plan) total += s.durationMs;
  return total;
}

/** Expected number of arrivals of a plan (the integral of its rate). */
export function planExpectedCount(plan: RatePlan): number {
  let total = 0;
  for (const s of plan) total += ((s.fromRps + s.toRps) / 2) * (s.durationMs / 1000);
  return total;
}

/** Offered rate at `ms` from the start (requests per second); 0 past the end. */
export function planRateAt(plan: RatePlan, ms: number): number {
  let start = 0;
  for (const s of plan) {
    if (ms < start + s.durationMs) {
      const f = s.durationMs === 0 ? 1 : (ms - start) / s.durationMs;
      return s.fromRps + (s.toRps - s.fromRps) * f;
    }
    start += s.durationMs;
  }
  return 0;
}

/**
 * The intended send times of an open-model plan, in milliseconds from the start. With constant
 * arrivals, arrival i is due where the integral of the rate reaches i (as Vegeta's LinearPacer
 * integrates hits), so ramps are exact. With Poisson arrivals, arrival i is due where the integral
 * reaches the i-th point of a unit-rate Poisson process (a sum of exponential gaps): the time
 * change that turns a unit-rate process into one of intensity λ(t), so ramps stay exact in
 * expectation. A slice of Poisson arrivals is an independent process of intensity λ(t) / stride
 * (superposed, the slices make a Poisson process of intensity λ(t) again). A late generator never
 * shifts the schedule: it only sends late, and the lateness is counted against the target's
 * latency (no coordinated omission).
 */
export class ArrivalSchedule {
  readonly #plan: RatePlan;
  readonly #slice: ArrivalSlice;
  readonly #random: Random | null;
  #index: number;
  /** Where the rate's integral must reach for the next arrival (an arrival count). */
  #position: number;
  #segment = 0;
  #segmentStartMs = 0;
  #countBefore = 0;

  /** `random` draws the gaps of Poisson arrivals; without it arrivals are evenly spaced. */
  constructor(plan: RatePlan, slice: ArrivalSlice = { offset: 0, stride: 1 }, random: Random | null = null) {
    this.#plan = plan;
    this.#slice = slice;
    this.#random = random;
    this.#index = slice.offset;
    this.#position = random === null ? slice.offset : this.#gap();
  }

  /** Global index of the arrival `next()` will return. */
  get index(): number {
    return this.#index;
  }

  /** The next intended time of this slice, or undefined when the plan is over. */
  next(): number | undefined {
    const n = this.#position;
    for (;;) {
      const seg = this.#plan[this.#segment];
      if (seg === undefined) return undefined;
      const count = ((seg.fromRps + seg.toRps) / 2) * (seg.durationMs / 1000);
      if (n < this.#countBefore + count) {
        const t = this.#solve(seg, n - this.#countBefore);
        this.#index += this.#slice.stride;
        this.#position += this.#random === null ? this.#slice.stride : this.#gap();
        return this.#segmentStartMs + t;
      }
      this.#countBefore += count;
      this.#segmentStartMs += seg.durationMs;
      this.#segment++;
    }
  }

  // An exponential gap of mean `stride` in arrival-count units (1 − u keeps the log finite).
  #gap(): number {
    return -Math.log(1 - (this.#random as Random).next()) * this.#slice.stride;
  }

  // Local time (ms) within a segment where its integral reaches k: k·t² + a·t − n = 0, solved in
  // the cancellation-free form 2n / (a + √(a² + 4kn)), which also covers the constant case.
  #solve(seg: RateSegment, n: number): number {
    const d = seg.durationMs / 1000;
    const a = seg.fromRps;
    const k = d === 0 ? 0 : (seg.toRps - seg.fromRps) / (2 * d);
    if (n <= 0) return 0;
    const root = Math.sqrt(Math.max(0, a * a + 4 * k * n));
    const t = (2 * n) / (a + root);
    return Math.min(seg.durationMs, t * 1000);
  }
}
