import { LatencyHistogram, type WindowStats } from '../telemetry/index.ts';
import type { SlowCounter } from './judge.ts';

/**
 * Requests in a window slower than `thresholdMs`, read from the window's HDR histogram. When a
 * window carries no histogram, a lower bound from its percentiles (better to under-count than to
 * invent slowness that rolls a healthy pool back).
 */
export const histogramSlowCounter: SlowCounter = (stats: WindowStats, thresholdMs: number): number => {
  if (stats.histogram !== '') {
    const h = LatencyHistogram.decode(stats.histogram);
    return Math.max(0, h.count - h.countAtOrBelow(thresholdMs));
  }
  const l = stats.latency;
  if (l.max <= thresholdMs) return 0;
  if (l.p50 > thresholdMs) return Math.floor(stats.requests * 0.5);
  if (l.p90 > thresholdMs) return Math.floor(stats.requests * 0.1);
  if (l.p99 > thresholdMs) return Math.floor(stats.requests * 0.01);
  return 1;
};
