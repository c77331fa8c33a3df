/** Metric names of the HAProxy data plane's telemetry, Prometheus style (docs/haproxy.md). */
export const HAPROXY_METRIC_NAMES = Object.freeze({
  /**
   * Counter {outcome}: HAProxy log datagrams by what became of them: folded, foreign, truncated,
   * unparsable, unknown, dropped (flood), lost (never arrived), and late (folded, but late).
   */
  logLines: 'piper_haproxy_log_lines_total',
  /** Counter: `show stat` polls of the stats socket that failed (the live state is then stale). */
  statsPollFailures: 'piper_haproxy_stats_poll_failures_total',
} as const);
