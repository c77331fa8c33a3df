import type { TelemetryWindow } from '../telemetry/index.ts';

interface RateSample {
  start: number;
  rps: number;
}

/**
 * Per-route request rates from recent windows: the current rate and the recent peak the capacity
 * gate projects from. Bounded by the peak window (one sample per route per second).
 */
export class RouteRateHistory {
  readonly #peakWindowMs: number;
  readonly #samples = new Map<string, RateSample[]>();

  constructor(peakWindowMs: number) {
    this.#peakWindowMs = peakWindowMs;
  }

  add(w: TelemetryWindow): void {
    const seconds = Math.max(w.durationMs, 1) / 1000;
    for (const [route, stats] of Object.entries(w.routes)) {
      let list = this.#samples.get(route);
      if (list === undefined) {
        list = [];
        this.#samples.set(route, list);
      }
      list.push({ start: w.start, rps: stats.requests / seconds });
      const oldest = w.start - this.#peakWindowMs;
      while (list.length > 0 && (list[0] as RateSample).start < oldest) list.shift();
    }
  }

  /** Requests per second in the route's latest window (0 when none was seen). */
  current(route: string): number {
    return this.#samples.get(route)?.at(-1)?.rps ?? 0;
  }

  /** Highest per-second rate of the route within the peak window before `now`. */
  peak(route: string, now: number): number {
    let best = 0;
    for (const s of this.#samples.get(route) ?? []) {
      if (s.start >= now - this.#peakWindowMs && s.rps > best) best = s.rps;
    }
    return best;
  }
}
