import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { MetricsRegistry } from './metrics-registry.ts';

/** Handle returned by {@link processMetrics}; `close()` stops the event-loop monitor (idempotent). */
export interface ProcessMetrics {
  close(): void;
}

export interface ProcessMetricsOptions {
  /** Sampling period of the event-loop delay monitor, in ms (default 10). */
  resolutionMs?: number;
}

/**
 * Declares the usual process metrics (names as prom-client and the Prometheus client libraries
 * write them) and fills them before each render: resident memory, CPU seconds, start time and
 * event-loop lag. Lag is the delay the loop added to a `resolutionMs` timer, averaged since the
 * previous scrape (the monitor's raw samples include the period itself, which is subtracted).
 */
export function processMetrics(registry: MetricsRegistry, options: ProcessMetricsOptions = {}): ProcessMetrics {
  const resolutionMs = options.resolutionMs ?? 10;
  const rss = registry.gauge({ name: 'process_resident_memory_bytes', help: 'Resident memory size in bytes.' });
  const cpu = registry.counter({ name: 'process_cpu_seconds_total', help: 'Total user and system CPU time spent in seconds.' });
  const start = registry.gauge({ name: 'process_start_time_seconds', help: 'Start time of the process since unix epoch in seconds.' });
  const lag = registry.gauge({ name: 'nodejs_eventloop_lag_seconds', help: 'Mean event-loop lag since the previous scrape, in seconds.' });
  const lagP99 = registry.gauge({
    name: 'nodejs_eventloop_lag_p99_seconds',
    help: '99th percentile of event-loop lag since the previous scrape, in seconds.',
  });
  const lagMax = registry.gauge({
    name: 'nodejs_eventloop_lag_max_seconds',
    help: 'Largest event-loop lag since the previous scrape, in seconds.',
  });

  // performance.timeOrigin is when this process started, in epoch ms: no wall-clock read needed.
  start.set(undefined, Math.round(performance.timeOrigin) / 1000);
  const monitor = monitorEventLoopDelay({ resolution: resolutionMs });
  monitor.enable();
  let cpuMicros = 0;
  let closed = false;
  const resolutionNs = resolutionMs * 1e6;
  const lagSeconds = (ns: number): number => Math.max(0, ns - resolutionNs) / 1e9;

  const unregister = registry.collect(() => {
    rss.set(undefined, process.memoryUsage.rss());
    const usage = process.cpuUsage();
    const total = usage.user + usage.system;
    cpu.inc(undefined, Math.max(0, total - cpuMicros) / 1e6);
    cpuMicros = total;
    // No sample since the last scrape (scraped twice within one period): keep the last values.
    if (!closed && monitor.count > 0) {
      lag.set(undefined, lagSeconds(monitor.mean));
      lagP99.set(undefined, lagSeconds(monitor.percentile(99)));
      lagMax.set(undefined, lagSeconds(monitor.max));
      monitor.reset();
    }
  });

  return {
    close(): void {
      if (closed) return;
      closed = true;
      monitor.disable();
      unregister();
    },
  };
}
