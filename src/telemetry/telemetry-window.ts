import type { UserKeyKind } from './user-set.ts';

/**
 * Why a request failed without an HTTP status from a backend, or how it was refused.
 * `shed`: refused by admission (503 + Retry-After); `no_backend`: no healthy backend in any pool.
 */
export type ErrorKind = 'connect' | 'timeout' | 'reset' | 'shed' | 'no_backend' | 'client_abort' | 'protocol';

/** One request's outcome, recorded once by the balancer when the response ends. */
export interface RequestOutcome {
  route: string;
  pool: string;
  /** Null when no backend was picked (shed, no healthy backend). */
  backend: string | null;
  /** Status sent to the client (0 when the client went away first). */
  status: number;
  errorKind: ErrorKind | null;
  /** From accept to the last byte sent, in milliseconds. */
  latencyMs: number;
  bytesIn: number;
  bytesOut: number;
  /** Retries this request made on other backends. */
  retries: number;
  /** The client's user id (`userIdOf` of the sticky key, else of the client's address); 0 or absent when unknown. */
  user?: number;
  /** What `user` was taken from. */
  userBy?: UserKeyKind | null;
}

/** A blank outcome, for a recorder that refills one record per request instead of allocating. */
export function emptyRequestOutcome(): RequestOutcome {
  return {
    route: '',
    pool: '',
    backend: null,
    status: 0,
    errorKind: null,
    latencyMs: 0,
    bytesIn: 0,
    bytesOut: 0,
    retries: 0,
    user: 0,
    userBy: null,
  };
}

/** Latency percentiles of one window, in milliseconds. */
export interface LatencySummary {
  count: number;
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

/** What one route, pool or backend did in one window. */
export interface WindowStats {
  /** Requests that ended in the window (whatever the outcome). */
  requests: number;
  /** Requests that failed from the client's view: 5xx (shed included), connect errors, timeouts. */
  failed: number;
  status: { '1xx': number; '2xx': number; '3xx': number; '4xx': number; '5xx': number };
  errors: Partial<Record<ErrorKind, number>>;
  shed: number;
  retries: number;
  /** Backends ejected in the window. */
  ejections: number;
  /** Requests in flight at the window's end. */
  inFlight: number;
  bytesIn: number;
  bytesOut: number;
  latency: LatencySummary;
  /** The window's HDR histogram (microseconds), base64-encoded, for merging across windows. */
  histogram: string;
  /**
   * Cumulative counts of requests at or under each bound of `DURATION_BUCKETS_SECONDS` (5 ms ..
   * 10 s), from the histogram: Prometheus buckets and latency-SLO checks without decoding it.
   * Always set by WindowAggregator.
   */
  latencyBuckets?: readonly number[];
  /**
   * `clock.now()` when the window's first failed request (as counted in `failed`) ended, or null
   * when none failed: the exact start of a failure, where the window's start is up to a window early.
   * Set by WindowAggregator for routes, pools and backends.
   */
  firstFailureAt?: number | null;
  /**
   * Requests a retry saved: an attempt failed upstream (an error or a 5xx the balancer may retry)
   * and a later attempt on another backend answered, so the client received no failure and the
   * request is in no `failed`. Counted once per client request.
   */
  savedByRetry?: number;
  /** Distinct users of the window (routes only; absent where the data plane tells users apart by nothing). */
  users?: WindowUsers;
}

/**
 * The distinct users whose requests ended in one window of a route, with their ids so that windows
 * can be united into an incident's users (a sum of per-window counts would count a user each second).
 */
export interface WindowUsers {
  /** Users with a request that ended in the window. */
  count: number;
  /** Of them, users who received a failure (as counted in `failed`, shed included). */
  failed: number;
  /** The ids of `count` and of `failed`, in `encodeUserIds` form. */
  ids: string;
  failedIds: string;
  /** What users were told apart by in the window (a sticky route's request without the key: by address). */
  by: readonly UserKeyKind[];
  /** More users than MAX_USER_IDS: the counts and ids are a lower bound. */
  capped: boolean;
}

export interface PoolWindowStats extends WindowStats {
  healthyBackends: number;
  totalBackends: number;
  /** Current adaptive concurrency limit of the pool. */
  concurrencyLimit: number;
  /**
   * Requests this pool's admission refused that the route's failover pool then took and answered
   * (no 503 reached the client). Counted on the refusing pool, in neither its `requests` nor its
   * `failed`: the request is the answering pool's. Absent where the data plane does not spill.
   */
  spilled?: number;
}

export interface BackendWindowStats extends WindowStats {
  pool: string;
  health: 'healthy' | 'unhealthy' | 'ejected' | 'draining' | 'unknown';
}

/**
 * What one (route, pool, backend) path did in one window: the split of a route's traffic over
 * pools and backends, which the per-route, per-pool and per-backend stats cannot show alone.
 */
export interface FlowWindowStats {
  route: string;
  pool: string;
  /** Null for requests that never reached a backend (shed, no healthy backend). */
  backend: string | null;
  requests: number;
  failed: number;
  status: WindowStats['status'];
  errors: Partial<Record<ErrorKind, number>>;
  retries: number;
}

/** One second of telemetry, closed and immutable. Produced by the balancer, read by the judge. */
export interface TelemetryWindow {
  /** Start of the window, epoch ms (aligned to the second). */
  start: number;
  durationMs: number;
  routes: Readonly<Record<string, WindowStats>>;
  pools: Readonly<Record<string, PoolWindowStats>>;
  /** Keyed `pool/backend`. */
  backends: Readonly<Record<string, BackendWindowStats>>;
  /** Every (route, pool, backend) path that had traffic in the window (WindowAggregator always fills it). */
  flows?: readonly FlowWindowStats[];
  /**
   * False when the data plane knows the window lacks requests it could not count (HAProxy's log
   * lines lost, cut or unreadable): its counts are then a lower bound, and a quiet or clean window
   * may not be a healthy one. Absent or true: every request the data plane served is counted (the
   * Node balancer counts in process, so it never sets it).
   */
  complete?: boolean;
  /** What went missing when `complete` is false, in words (`3 log lines lost, 1 cut`). */
  incompleteReason?: string;
}

/** A pool's counts so far in the open window (see {@link InProgressWindow}). */
export interface InProgressCounts {
  requests: number;
  /** As `WindowStats.failed`. */
  failed: number;
  /** Client-visible failures to reach the pool at all: connect errors, resets, no live backend. */
  connectFailures: number;
  /** `clock.now()` of the first failed request in the open window, or null. */
  firstFailureAt: number | null;
  /** As `PoolWindowStats.spilled`: requests the pool's admission refused that another pool answered. */
  spilled?: number;
}

/**
 * The open window's counts so far, per pool: what a closed window will say, before it closes.
 * Lets a reader react to a hard failure within a fraction of a window (the rollout's fast path).
 */
export interface InProgressWindow {
  /** Start of the open window, epoch ms. */
  start: number;
  pools: Readonly<Record<string, InProgressCounts>>;
}
