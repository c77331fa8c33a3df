export { Counter } from './counter.ts';
export { DURATION_BUCKETS_SECONDS, Histogram } from './histogram.ts';
export { LatencyHistogram } from './latency-histogram.ts';
export { MetricsRegistry } from './metrics-registry.ts';
export { processMetrics } from './process-metrics.ts';
export type { TelemetryProbe } from './telemetry-probe.ts';
export type {
  BackendWindowStats,
  ErrorKind,
  InProgressCounts,
  InProgressWindow,
  LatencySummary,
  PoolWindowStats,
  RequestOutcome,
  TelemetryWindow,
  WindowStats,
} from './telemetry-window.ts';
export { emptyRequestOutcome } from './telemetry-window.ts';
export { userIdOf, userIdOfBytes } from './user-set.ts';
export { mergeWindows } from './window-merge.ts';
export { WindowAggregator } from './window-aggregator.ts';
export { exportWindowMetrics } from './window-metrics.ts';
export { telemetryErrors } from './telemetry-errors.ts';
