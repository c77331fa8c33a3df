import type { MetricsRegistry } from '../telemetry/index.ts';
import { HAPROXY_METRIC_NAMES as N } from './haproxy-metric-names.ts';
import type { LogLineCounts } from './log-ingestor.ts';

/** What the metrics read: HaproxyTelemetry, or anything with the same counters. */
export interface HaproxyMetricsSource {
  counts(): LogLineCounts;
  pollFailures(): number;
}

const OUTCOMES = ['folded', 'foreign', 'truncated', 'unparsable', 'unknown', 'dropped', 'lost', 'late'] as const;

/**
 * Exposes the line counts and poll failures as Prometheus counters, brought up to date before
 * each render. Returns the function that stops updating them.
 */
export function exportHaproxyMetrics(registry: MetricsRegistry, source: HaproxyMetricsSource): () => void {
  const lines = registry.counter({
    name: N.logLines,
    help: 'HAProxy log datagrams by outcome: folded into windows, foreign (not a request line), truncated, unparsable, unknown names, dropped in a flood, lost before arrival, late.',
    labelNames: ['outcome'],
  });
  const pollFailures = registry.counter({ name: N.statsPollFailures, help: 'Polls of the HAProxy stats socket that failed.' });
  const seen: Record<string, number> = {};
  let failures = 0;
  return registry.collect(() => {
    const counts = source.counts();
    for (const outcome of OUTCOMES) {
      const now = counts[outcome];
      const grown = now - (seen[outcome] ?? 0);
      // Touched even at 0, so every outcome is in the exposition from the start.
      lines.inc({ outcome }, Math.max(0, grown));
      seen[outcome] = now;
    }
    const f = source.pollFailures();
    pollFailures.inc(undefined, Math.max(0, f - failures));
    failures = f;
  });
}
