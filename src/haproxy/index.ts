// ---- Config rendering: piper.yaml → haproxy.cfg (haproxy-config*.ts, server-weights.ts, naming, log format) ----
export { checkHaproxyConfig, findHaproxy, type HaproxyCheckResult, type HaproxyLocation } from './haproxy-config-check.ts';
export { type HaproxyConfigOptions, renderHaproxyConfig } from './haproxy-config.ts';
export { type HaproxyIssueOptions, haproxyConfigIssues } from './haproxy-config-issues.ts';
export { LOG_FIELDS, LOG_FORMAT, LOG_LINE_TAG } from './haproxy-log-format.ts';
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
