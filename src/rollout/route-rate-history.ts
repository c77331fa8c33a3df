import type { Logger } from '../core/index.ts';
import type { TrafficSample } from '../journal/index.ts';
import type { TelemetryWindow } from '../telemetry/index.ts';
import type { ObservedTraffic } from './capacity-gate.ts';

/** Where the journal keeps per-second route samples (`Journal.samples`). */
export interface RouteSampleSource {
  samples(route: string, since: number, until: number): TrafficSample[];
}

/** A route's rates as the capacity gate projects from them. */
export interface RouteTraffic {
  /** Requests per second in the route's latest window within the peak window (0 when none). */
  currentRps: number;
  /** Highest per-second rate within the peak window. */
  peakRps: number;
  observed: ObservedTraffic | null;
}

interface RateSample {
  start: number;
  durationMs: number;
  requests: number;
  bytesIn: number | null;
  bytesOut: number | null;
}

/**
 * Per-route request rates over the peak window, read from the journal's per-second traffic
 * samples (written by the SLO monitor for every window), so a restarted controller, or another
 * one reading the same journal, still sees the peak before it. The windows this process saw
 * itself are merged in: they cover the moment before a window's sample is stored, and a
 * controller whose journal gets no samples (a standalone controller on its own file). Memory
 * is bounded by the peak window (one sample per route per second).
 */
export class RouteRateHistory {
  readonly #source: RouteSampleSource | null;
  readonly #peakWindowMs: number;
  readonly #log: Logger | null;
  readonly #seen = new Map<string, RateSample[]>();
  #readFailures = 0;

  constructor(source: RouteSampleSource | null, peakWindowMs: number, logger?: Logger) {
    this.#source = source;
    this.#peakWindowMs = peakWindowMs;
    this.#log = logger ?? null;
  }

  add(w: TelemetryWindow): void {
    for (const [route, stats] of Object.entries(w.routes)) {
      let list = this.#seen.get(route);
      if (list === undefined) {
        list = [];
        this.#seen.set(route, list);
      }
      list.push({ start: w.start, durationMs: w.durationMs, requests: stats.requests, bytesIn: stats.bytesIn, bytesOut: stats.bytesOut });
      const oldest = w.start - this.#peakWindowMs;
      while (list.length > 0 && (list[0] as RateSample).start < oldest) list.shift();
    }
  }

  /** The route's current rate, peak and observed traffic over the peak window before `now`. */
  traffic(route: string, now: number): RouteTraffic {
    const since = now - this.#peakWindowMs;
    const byStart = new Map<number, RateSample>();
    for (const s of this.#seen.get(route) ?? []) if (s.start >= since && s.start <= now) byStart.set(s.start, s);
    // The same window twice: the journal's sample is the record of it.
    for (const s of this.#stored(route, since, now)) byStart.set(s.start, s);
    let peakRps = 0;
    let latest: RateSample | null = null;
    let requests = 0;
    let sized = 0;
    let bytesIn = 0;
    let bytesOut = 0;
    for (const s of byStart.values()) {
      const rps = rateOf(s);
      if (rps > peakRps) peakRps = rps;
      if (latest === null || s.start > latest.start) latest = s;
      requests += s.requests;
      if (s.bytesIn !== null && s.bytesOut !== null) {
        sized += s.requests;
        bytesIn += s.bytesIn;
        bytesOut += s.bytesOut;
      }
    }
    return {
      currentRps: latest === null ? 0 : rateOf(latest),
      peakRps,
      observed:
        byStart.size === 0
          ? null
          : {
              windowMs: this.#peakWindowMs,
              requests,
              bytesInPerRequest: sized > 0 ? Math.round(bytesIn / sized) : null,
              bytesOutPerRequest: sized > 0 ? Math.round(bytesOut / sized) : null,
            },
    };
  }

  #stored(route: string, since: number, now: number): RateSample[] {
    if (this.#source === null) return [];
    try {
      return this.#source.samples(route, since, now + 1).map((s) => ({
        start: s.time,
        durationMs: s.durationMs ?? 1000,
        requests: s.requests,
        bytesIn: s.bytesIn ?? null,
        bytesOut: s.bytesOut ?? null,
      }));
    } catch (err) {
      // The windows seen in memory still hold the recent rates; say so, but not every second.
      if (this.#readFailures++ % 60 === 0)
        this.#log?.warn({ err, route }, 'reading traffic samples failed; using the windows seen since start');
      return [];
    }
  }
}

function rateOf(s: RateSample): number {
  return s.requests / (Math.max(s.durationMs, 1) / 1000);
}
