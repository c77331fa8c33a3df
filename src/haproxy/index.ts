// ---- Config rendering: piper.yaml → haproxy.cfg (haproxy-config*.ts, server-weights.ts, naming, log format) ----
export { checkHaproxyConfig, findHaproxy, type HaproxyCheckResult, type HaproxyLocation } from './haproxy-config-check.ts';
export { type HaproxyConfigOptions, renderHaproxyConfig } from './haproxy-config.ts';
export { type HaproxyIssueOptions, haproxyConfigIssues } from './haproxy-config-issues.ts';
export { LOG_FIELDS, LOG_FORMAT, LOG_LINE_END, LOG_LINE_TAG } from './haproxy-log-format.ts';
export {
  failoverServerName,
  listenerFrontendName,
  NO_ROUTE_BACKEND,
  type PiperServer,
  parseServerName,
  routeBackendName,
  STATS_FRONTEND,
  serverName,
} from './haproxy-names.ts';
export { routePools } from './route-order.ts';
export {
  MAX_SERVER_WEIGHT,
  SHARE_TOLERANCE,
  type ServerWeight,
  serverWeights,
  type WeightedBackend,
  type WeightedPool,
  type WeightPlan,
} from './server-weights.ts';
// ---- end of config rendering ----
// ---- Runtime API (stats socket) and per-request telemetry from HAProxy's log lines ----
export {
  type BackendHealth,
  type HaproxyLiveState,
  type HaproxyRouteLive,
  type HaproxyServerLive,
  healthOf,
  liveStateOf,
  probeOf,
} from './haproxy-live-state.ts';
export { HAPROXY_METRIC_NAMES } from './haproxy-metric-names.ts';
export { exportHaproxyMetrics, type HaproxyMetricsSource } from './haproxy-metrics.ts';
export { type HaproxyLive, HaproxyTelemetry, type HaproxyTelemetryOptions, type HaproxyTelemetryWindow } from './haproxy-telemetry.ts';
export { LogIngestor, type LogIngestorOptions, type LogLineCounts, type LogLineWindowCounts } from './log-ingestor.ts';
export { emptyLogLine, type LogLine, type ParseOutcome, parseLogLine } from './log-line-parser.ts';
export { type AppliedServers, RuntimeApiClient, type RuntimeApiClientOptions, type ServerChange } from './runtime-api-client.ts';
export type { ServerAdminState } from './runtime-api-command.ts';
export type { RuntimeApiAddress } from './runtime-api-session.ts';
export type { ServerOperationalState, ServerState } from './servers-state.ts';
export { type StatRow, type StatRowType, statNumber } from './stat-table.ts';
export { type PollFailure, StatsPoller, type StatsPollerOptions } from './stats-poller.ts';
export { SyslogReceiver, type SyslogReceiverOptions } from './syslog-receiver.ts';
export { errorKindOf } from './termination-state.ts';
// ---- end of Runtime API and telemetry ----
// ---- The DataPlane port on HAProxy: splits, guard, reattach; the supervised process ----
export { DEAD_MAN_GUARD_LUA } from './dead-man-guard-script.ts';
export { type ArmedGuard, type FiredGuard, type GuardReport, parseGuardShow } from './dead-man-guard.ts';
export { HaproxyDataPlane, type HaproxyDataPlaneOptions } from './haproxy-data-plane.ts';
export { haproxySnapshot, reportedSplit } from './haproxy-snapshot.ts';
export { GUARD_SCRIPT_FILE, type HaproxyRun, type HaproxyRunOptions, startHaproxyRun } from './haproxy-run.ts';
export { HaproxySupervisor, type HaproxySupervisorOptions } from './haproxy-supervisor.ts';
// ---- end of the DataPlane port on HAProxy ----
