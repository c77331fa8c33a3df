import { DURATION_BUCKETS_SECONDS } from './histogram.ts';
import { LatencyHistogram } from './latency-histogram.ts';
import { METRIC_NAMES as N } from './metric-names.ts';
import type { MetricsRegistry } from './metrics-registry.ts';
import type { ErrorKind, FlowWindowStats, TelemetryWindow, WindowStats } from './telemetry-window.ts';

/** Anything that hands out closed windows: the WindowAggregator, or a remote balancer's stream. */
export interface WindowSource {
  onWindow(fn: (w: TelemetryWindow) => void): () => void;
}

/** Handle returned by {@link exportWindowMetrics}; `close()` stops following windows (idempotent). */
export interface WindowMetrics {
  close(): void;
}

const FAILURE_KINDS: readonly ErrorKind[] = ['connect', 'timeout', 'reset', 'shed', 'no_backend', 'protocol'];
const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'] as const;
const BOUNDS_MS: readonly number[] = DURATION_BUCKETS_SECONDS.map((s) => s * 1000);

/**
 * Keeps Prometheus metrics (names in metric-names.ts) from every closed window: counters add the
 * window's counts, duration histograms add the window's HDR histogram bucket by bucket, and
 * gauges show the last window's live state (series of entities that left are dropped).
 */
export function exportWindowMetrics(registry: MetricsRegistry, source: WindowSource): WindowMetrics {
  const serverDuration = registry.histogram({
    name: N.serverRequestDuration,
    help: 'Duration of requests as clients saw them, from accept to the last byte sent, per route.',
    labelNames: ['http_route'],
    buckets: DURATION_BUCKETS_SECONDS,
  });
  const upstreamRequests = registry.counter({
    name: N.upstreamRequests,
    help: 'Requests that reached a backend, by route, pool, backend and status class (none: the client left first).',
    labelNames: ['route', 'pool', 'backend', 'status_class'],
  });
  const upstreamDuration = registry.histogram({
    name: N.upstreamRequestDuration,
    help: 'Duration of requests answered through each backend, from accept to the last byte sent.',
    labelNames: ['pool', 'backend'],
    buckets: DURATION_BUCKETS_SECONDS,
  });
  const failed = registry.counter({
    name: N.requestsFailed,
    help: 'Requests that failed from the client view, by cause: an error kind, or http_5xx for a 5xx from the backend itself.',
    labelNames: ['route', 'pool', 'kind'],
  });
  const shed = registry.counter({ name: N.requestsShed, help: 'Requests refused by admission control (503).', labelNames: ['pool'] });
  const spilled = registry.counter({
    name: N.requestsSpilled,
    help: "Requests the pool's admission refused that the route's failover pool answered instead.",
    labelNames: ['pool'],
  });
  const retries = registry.counter({ name: N.retries, help: 'Retries made on another backend.', labelNames: ['route'] });
  const ejections = registry.counter({
    name: N.backendEjections,
    help: 'Outlier ejections of a backend.',
    labelNames: ['pool', 'backend'],
  });
  const bytes = registry.counter({
    name: N.poolBytes,
    help: 'Body bytes from clients (in) and to clients (out).',
    labelNames: ['pool', 'direction'],
  });
  const healthy = registry.gauge({
    name: N.poolHealthyBackends,
    help: 'Backends of the pool that may take traffic.',
    labelNames: ['pool'],
  });
  const total = registry.gauge({ name: N.poolBackends, help: 'Backends configured in the pool.', labelNames: ['pool'] });
  const limit = registry.gauge({
    name: N.poolConcurrencyLimit,
    help: 'Current adaptive concurrency limit of the pool.',
    labelNames: ['pool'],
  });
  const inFlight = registry.gauge({
    name: N.requestsInFlight,
    help: 'Requests in flight at the end of the last window.',
    labelNames: ['pool'],
  });
  const up = registry.gauge({ name: N.backendUp, help: '1 when the backend is healthy, else 0.', labelNames: ['pool', 'backend'] });

  const buckets = new Float64Array(BOUNDS_MS.length + 1);
  const addDuration = (child: { observeDistribution(c: ArrayLike<number>, sum: number): void }, stats: WindowStats): void => {
    if (stats.latency.count === 0) return;
    // Decoding costs up to a millisecond on a busy window: use the precomputed buckets when present.
    const cumulative =
      stats.latencyBuckets?.length === BOUNDS_MS.length
        ? stats.latencyBuckets
        : LatencyHistogram.decode(stats.histogram).countsAtOrBelow(BOUNDS_MS);
    let previous = 0;
    for (let i = 0; i < BOUNDS_MS.length; i++) {
      buckets[i] = (cumulative[i] as number) - previous;
      previous = cumulative[i] as number;
    }
    buckets[BOUNDS_MS.length] = stats.latency.count - previous;
    // HDR keeps no exact sum; count × mean is within the histogram's 0.1 % precision.
    child.observeDistribution(buckets, (stats.latency.mean * stats.latency.count) / 1000);
  };

  const addFlow = (f: FlowWindowStats): void => {
    if (f.backend !== null) {
      let classified = 0;
      for (const cls of STATUS_CLASSES) {
        const n = f.status[cls];
        classified += n;
        if (n > 0) upstreamRequests.inc({ route: f.route, pool: f.pool, backend: f.backend, status_class: cls }, n);
      }
      if (f.requests > classified) {
        upstreamRequests.inc({ route: f.route, pool: f.pool, backend: f.backend, status_class: 'none' }, f.requests - classified);
      }
    }
    let byKind = 0;
    for (const kind of FAILURE_KINDS) {
      const n = f.errors[kind] ?? 0;
      if (n === 0) continue;
      byKind += n;
      failed.inc({ route: f.route, pool: f.pool, kind }, n);
    }
    if (f.failed > byKind) failed.inc({ route: f.route, pool: f.pool, kind: 'http_5xx' }, f.failed - byKind);
  };

  const onWindow = (w: TelemetryWindow): void => {
    for (const route in w.routes) {
      const stats = w.routes[route] as WindowStats;
      addDuration(serverDuration.labels({ http_route: route }), stats);
      retries.inc({ route }, stats.retries);
    }
    for (const f of w.flows ?? []) addFlow(f);
    healthy.reset();
    total.reset();
    limit.reset();
    inFlight.reset();
    up.reset();
    for (const pool in w.pools) {
      const p = w.pools[pool];
      if (p === undefined) continue;
      shed.inc({ pool }, p.shed);
      if (p.spilled !== undefined) spilled.inc({ pool }, p.spilled);
      bytes.inc({ pool, direction: 'in' }, p.bytesIn);
      bytes.inc({ pool, direction: 'out' }, p.bytesOut);
      healthy.set({ pool }, p.healthyBackends);
      total.set({ pool }, p.totalBackends);
      limit.set({ pool }, p.concurrencyLimit);
      inFlight.set({ pool }, p.inFlight);
    }
    for (const key in w.backends) {
      const b = w.backends[key];
      if (b === undefined) continue;
      const backend = key.startsWith(`${b.pool}/`) ? key.slice(b.pool.length + 1) : key;
      ejections.inc({ pool: b.pool, backend }, b.ejections);
      addDuration(upstreamDuration.labels({ pool: b.pool, backend }), b);
      up.set({ pool: b.pool, backend }, b.health === 'healthy' ? 1 : 0);
    }
  };

  const unsubscribe = source.onWindow(onWindow);
  let closed = false;
  return {
    close(): void {
      if (closed) return;
      closed = true;
      unsubscribe();
    },
  };
}
