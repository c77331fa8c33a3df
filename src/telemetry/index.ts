export type {
  BackendWindowStats,
  ErrorKind,
  LatencySummary,
  PoolWindowStats,
  RequestOutcome,
  TelemetryWindow,
  WindowStats,
} from './telemetry-window.ts';
