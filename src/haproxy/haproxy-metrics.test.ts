import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MetricsRegistry } from '../telemetry/index.ts';
import { exportHaproxyMetrics } from './haproxy-metrics.ts';
import type { LogLineCounts } from './log-ingestor.ts';

test('line outcomes and poll failures are Prometheus counters that follow the totals', () => {
  const counts: LogLineCounts = {
    received: 12,
    folded: 9,
    foreign: 1,
    truncated: 1,
    unparsable: 1,
    unknown: 0,
    dropped: 0,
    lost: 0,
    late: 0,
  };
  let failures = 0;
  const registry = new MetricsRegistry();
  exportHaproxyMetrics(registry, { counts: () => counts, pollFailures: () => failures });
  let text = registry.render();
  assert.match(text, /^piper_haproxy_log_lines_total\{outcome="folded"\} 9$/m);
  assert.match(text, /^piper_haproxy_log_lines_total\{outcome="truncated"\} 1$/m);
  assert.match(text, /^piper_haproxy_log_lines_total\{outcome="lost"\} 0$/m);
  counts.folded = 20;
  counts.lost = 3;
  failures = 2;
  text = registry.render();
  assert.match(text, /^piper_haproxy_log_lines_total\{outcome="folded"\} 20$/m);
  assert.match(text, /^piper_haproxy_log_lines_total\{outcome="lost"\} 3$/m);
  assert.match(text, /^piper_haproxy_stats_poll_failures_total 2$/m);
});
