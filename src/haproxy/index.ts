// ---- Config rendering: piper.yaml → haproxy.cfg (haproxy-config*.ts, server-weights.ts, naming, log format) ----
export { checkHaproxyConfig, findHaproxy } from './haproxy-config-check.ts';
export { renderHaproxyConfig } from './haproxy-config.ts';
export { haproxyConfigIssues } from './haproxy-config-issues.ts';
export { LOG_FIELDS, LOG_FORMAT, LOG_LINE_END, LOG_LINE_TAG } from './haproxy-log-format.ts';
export { parseServerName, serverName } from './haproxy-names.ts';
export { exportHaproxyMetrics } from './haproxy-metrics.ts';
export { HaproxyTelemetry, type HaproxyTelemetryWindow } from './haproxy-telemetry.ts';
export { LogIngestor, type LogLineCounts } from './log-ingestor.ts';
export { RuntimeApiClient } from './runtime-api-client.ts';
export { statNumber } from './stat-table.ts';
export { SyslogReceiver } from './syslog-receiver.ts';
// ---- end of Runtime API and telemetry ----
// ---- The DataPlane port on HAProxy: splits, guard, reattach; the supervised process ----
export { DEAD_MAN_GUARD_LUA } from './dead-man-guard-script.ts';
export { HaproxyDataPlane } from './haproxy-data-plane.ts';
export { type HaproxyRun, startHaproxyRun } from './haproxy-run.ts';
// ---- end of the DataPlane port on HAProxy ----
export { haproxyErrors } from './haproxy-errors.ts';
