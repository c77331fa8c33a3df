import { LatencyHistogram, type TelemetryWindow } from '../telemetry/index.ts';

/** How far back a new step's judge looks at its source pool before its own windows have enough. */
export const RECENT_LATENCY_MS = 30_000;

/**
 * Each pool's latency histograms of the last `RECENT_LATENCY_MS` of windows, as the stream brought
 * them (kept encoded, decoded only when a step starts). A step's relative-latency test compares the
 * target with the source's percentiles; its own source samples take seconds to reach a p99 (500 of
 * them), and until then the source's recent windows stand in.
 */
export class RecentLatency {
  readonly #spanMs: number;
  readonly #windows: { start: number; pools: Map<string, string> }[] = [];

  constructor(spanMs = RECENT_LATENCY_MS) {
    this.#spanMs = spanMs;
  }

  add(w: TelemetryWindow): void {
    const pools = new Map<string, string>();
    for (const [name, stats] of Object.entries(w.pools)) {
      if (stats.requests > 0 && stats.histogram !== '') pools.set(name, stats.histogram);
    }
    this.#windows.push({ start: w.start, pools });
    const from = w.start - this.#spanMs;
    while ((this.#windows[0]?.start ?? Number.POSITIVE_INFINITY) <= from) this.#windows.shift();
  }

  /** The pool's latencies over the recent windows (empty when the stream brought none). */
  of(pool: string): LatencyHistogram {
    const h = new LatencyHistogram();
    for (const w of this.#windows) {
      const encoded = w.pools.get(pool);
      if (encoded !== undefined) h.merge(LatencyHistogram.decode(encoded));
    }
    return h;
  }
}
