import { LatencyHistogram, type PoolWindowStats, type TelemetryWindow, type WindowStats } from '../telemetry/index.ts';

/** One side's traffic in a synthetic window. */
export interface SyntheticTraffic {
  requests: number;
  failed?: number;
  /** Client-visible connection failures (counted in `failed` too). */
  connectFailures?: number;
  /** Latency of every successful request, ms (default 5). */
  latencyMs?: number;
  /** Requests (among the successful ones) that took `slowMs` instead. */
  slow?: number;
  slowMs?: number;
}

/**
 * Builds a TelemetryWindow from counts, with real HDR histograms, for judging without a balancer:
 * unit tests of the judge and controller, and dry runs. The route's figures are the pools' sums.
 */
export function syntheticWindow(start: number, route: string, pools: Record<string, SyntheticTraffic>): TelemetryWindow {
  const poolStats: Record<string, PoolWindowStats> = {};
  const all = new LatencyHistogram();
  let requests = 0;
  let failed = 0;
  for (const [pool, t] of Object.entries(pools)) {
    const h = new LatencyHistogram();
    const f = t.failed ?? 0;
    const slow = t.slow ?? 0;
    for (let i = 0; i < t.requests; i++) h.record(i < slow ? (t.slowMs ?? 1000) : (t.latencyMs ?? 5));
    all.merge(h);
    requests += t.requests;
    failed += f;
    poolStats[pool] = { ...stats(h, t.requests, f, t.connectFailures ?? 0), healthyBackends: 1, totalBackends: 1, concurrencyLimit: 100 };
  }
  return { start, durationMs: 1000, routes: { [route]: stats(all, requests, failed, 0) }, pools: poolStats, backends: {} };
}

function stats(h: LatencyHistogram, requests: number, failed: number, connect: number): WindowStats {
  return {
    requests,
    failed,
    status: { '1xx': 0, '2xx': requests - failed, '3xx': 0, '4xx': 0, '5xx': failed - connect },
    errors: connect > 0 ? { connect } : {},
    shed: 0,
    retries: 0,
    ejections: 0,
    inFlight: 0,
    bytesIn: 0,
    bytesOut: 0,
    latency: h.summary(),
    histogram: h.encode(),
  };
}
