/** One pool's counts inside a {@link TrafficSample}. */
export interface PoolCounts {
  requests: number;
  failed: number;
  shed: number;
}

/**
 * One route's traffic over one 1-second window. Structural on purpose: the journal may not import
 * telemetry, so the composition root maps each TelemetryWindow to this shape.
 */
export interface TrafficSample {
  /** Window start, ms since the epoch. */
  time: number;
  route: string;
  pools: Record<string, PoolCounts>;
  requests: number;
  /** Requests that failed (5xx, connection error, timeout). */
  failed: number;
  /** Requests refused by load shedding. */
  shed: number;
  /** Requests slower than the route's SLO latency threshold. */
  slow: number;
  p99Ms: number;
  /** Length of the window in ms: 1000, or more when a blocked event loop closed one longer window (1000 when absent). */
  durationMs?: number;
  /** Bytes read from and sent to clients: the route's traffic shape beside a certified request mix. */
  bytesIn?: number;
  bytesOut?: number;
  /**
   * When the window's first failed (or shed) request ended, ms since the epoch; null when none
   * failed, absent when the data plane does not stamp it. An impact starting within the window
   * starts no earlier than this, however early the window starts.
   */
  firstFailureAt?: number | null;
  /** Requests a retry saved: an upstream attempt failed, another answered, the client saw no failure. */
  savedByRetry?: number;
  /** The route's distinct users in the window; absent when the data plane told none apart. */
  users?: SampleUsers;
}

/**
 * Distinct users of one route in one second, with their ids (`encodeUserIds` text), so that an
 * incident's users are the union over its seconds rather than a sum that counts a user each second.
 */
export interface SampleUsers {
  count: number;
  /** Users who received a failure (failed or shed). */
  failed: number;
  ids: string;
  failedIds: string;
  /** What users were told apart by: `cookie`, `header` (the route's sticky key), `address` (the client's). */
  by: readonly string[];
  /** More users than the window keeps ids of: counts and ids are a lower bound. */
  capped: boolean;
}

/** Where per-second route samples are kept (bounded retention) so impact is computed from traffic. */
export interface TrafficSampleStore {
  putSamples(samples: readonly TrafficSample[]): void;
  /** Samples with since <= time < until, oldest first; every route when `route` is undefined. */
  samples(route: string | undefined, since: number, until: number): TrafficSample[];
  /** Deletes samples older than `before`; returns how many. */
  pruneSamples(before: number): number;
}
