export { Counter, CounterChild } from './counter.ts';
export type { Labels, LabelValue } from './exposition-format.ts';
export { Gauge, GaugeChild } from './gauge.ts';
export { DURATION_BUCKETS_SECONDS, Histogram, HistogramChild, type HistogramOptions } from './histogram.ts';
export { LatencyHistogram } from './latency-histogram.ts';
export type { MetricFamily, MetricOptions, MetricType } from './metric-family.ts';
export { METRIC_NAMES } from './metric-names.ts';
export { MetricsRegistry } from './metrics-registry.ts';
export { type ProcessMetrics, type ProcessMetricsOptions, processMetrics } from './process-metrics.ts';
export { type SseCloseReason, SseStream, type SseStreamOptions } from './sse-stream.ts';
export { EMPTY_PROBE, type TelemetryProbe } from './telemetry-probe.ts';
export type {
  BackendWindowStats,
  ErrorKind,
  FlowWindowStats,
  InProgressCounts,
  InProgressWindow,
  LatencySummary,
  PoolWindowStats,
  RequestOutcome,
  TelemetryWindow,
  WindowStats,
  WindowUsers,
} from './telemetry-window.ts';
export { emptyRequestOutcome } from './telemetry-window.ts';
export { MAX_USER_IDS, type UserKeyKind, UserSet, userIdOf, userIdOfBytes } from './user-set.ts';
export { mergeWindows } from './window-merge.ts';
export { WindowAggregator, type WindowAggregatorOptions } from './window-aggregator.ts';
export { exportWindowMetrics, type WindowMetrics, type WindowSource } from './window-metrics.ts';
