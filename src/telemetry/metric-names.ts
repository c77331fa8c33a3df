/**
 * Every metric name piper's telemetry exports from closed windows, Prometheus style with base
 * units (seconds, bytes) and `_total` on counters. The server-side duration follows
 * OpenTelemetry's `http.server.request.duration` as the OTel→Prometheus translator writes it.
 * docs/telemetry.md describes each one.
 */
export const METRIC_NAMES = Object.freeze({
  /** Histogram {http_route}: client-facing request duration per route, from accept to last byte. */
  serverRequestDuration: 'http_server_request_duration_seconds',
  /** Counter {route,pool,backend,status_class}: requests that reached a backend, by outcome. */
  upstreamRequests: 'piper_upstream_requests_total',
  /** Histogram {pool,backend}: duration of requests answered through each backend. */
  upstreamRequestDuration: 'piper_upstream_request_duration_seconds',
  /** Counter {route,pool,kind}: failed requests by cause (an error kind, or `http_5xx` for a backend's own 5xx). */
  requestsFailed: 'piper_requests_failed_total',
  /** Counter {pool}: requests refused by admission (503 + Retry-After). */
  requestsShed: 'piper_requests_shed_total',
  /** Counter {pool}: requests the pool's admission refused that the route's failover pool answered instead. */
  requestsSpilled: 'piper_requests_spilled_total',
  /** Counter {route}: retries made on other backends. */
  retries: 'piper_retries_total',
  /** Counter {pool,backend}: outlier ejections. */
  backendEjections: 'piper_backend_ejections_total',
  /** Gauge {pool}: backends that may take traffic. */
  poolHealthyBackends: 'piper_pool_healthy_backends',
  /** Gauge {pool}: backends configured. */
  poolBackends: 'piper_pool_backends',
  /** Gauge {pool}: current adaptive concurrency limit. */
  poolConcurrencyLimit: 'piper_pool_concurrency_limit',
  /** Gauge {pool}: requests in flight at the last window's end. */
  requestsInFlight: 'piper_requests_in_flight',
  /** Gauge {pool,backend}: 1 when the backend is healthy, else 0. */
  backendUp: 'piper_backend_up',
  /** Counter {pool,direction}: body bytes received from clients (`in`) and sent to them (`out`). */
  poolBytes: 'piper_pool_bytes_total',
} as const);
