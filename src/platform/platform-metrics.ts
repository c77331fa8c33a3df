import type { Counter, Histogram, MetricsRegistry } from '../telemetry/index.ts';
import type { AdmissionGate } from './admission-gate.ts';
import type { ContentStore } from './content-store.ts';

/** The platform's metrics, declared in one place (names follow OpenTelemetry for the HTTP server). */
export interface PlatformMetrics {
  /** `http_server_request_duration_seconds{http_request_method, http_route, http_response_status_code}`. */
  requestDuration: Histogram;
  /** Uncompressed bytes through the codecs, by operation (compress, decompress, store, read) and codec. */
  codecBytes: Counter;
  /** Bytes read from objects at rest to serve downloads. */
  storeReadBytes: Counter;
  /** Stored objects that failed verification on read. */
  corruptObjects: Counter;
  /** Requests refused by admission (over capacity or shutting down). */
  refused: Counter;
  /** Unregisters the live gauges. */
  close(): void;
}

/** Declares the platform's metrics on `registry` and fills its gauges from the gate and store at each scrape. */
export function platformMetrics(
  registry: MetricsRegistry,
  gate: () => AdmissionGate | undefined,
  store: () => ContentStore | undefined,
): PlatformMetrics {
  const requestDuration = registry.histogram({
    name: 'http_server_request_duration_seconds',
    help: 'Duration of HTTP server requests, from headers received to response end.',
    labelNames: ['http_request_method', 'http_route', 'http_response_status_code'],
  });
  const codecBytes = registry.counter({
    name: 'piper_platform_codec_bytes_total',
    help: 'Uncompressed bytes processed by the codecs, by operation and codec.',
    labelNames: ['operation', 'codec'],
  });
  const storeReadBytes = registry.counter({
    name: 'piper_platform_store_read_bytes_total',
    help: 'Bytes read from objects at rest to serve downloads.',
  });
  const corruptObjects = registry.counter({
    name: 'piper_platform_corrupt_objects_total',
    help: 'Stored objects that failed hash verification on read.',
  });
  const refused = registry.counter({
    name: 'piper_platform_admission_refused_total',
    help: 'Requests refused with 503 because the server was over capacity.',
  });
  const inFlight = registry.gauge({ name: 'piper_platform_requests_in_flight', help: 'Requests admitted and not yet finished.' });
  const queued = registry.gauge({ name: 'piper_platform_requests_queued', help: 'Requests waiting for admission.' });
  const files = registry.gauge({ name: 'piper_platform_stored_files', help: 'Files in the store.' });
  const storedBytes = registry.gauge({ name: 'piper_platform_stored_bytes', help: 'Bytes at rest in the store (compressed).' });
  const unregister = registry.collect(() => {
    const g = gate();
    if (g !== undefined) {
      inFlight.set(undefined, g.inFlight);
      queued.set(undefined, g.queued);
    }
    const s = store();
    if (s !== undefined) {
      const t = s.totals();
      files.set(undefined, t.count);
      storedBytes.set(undefined, t.storedSize);
    }
  });
  return { requestDuration, codecBytes, storeReadBytes, corruptObjects, refused, close: unregister };
}
