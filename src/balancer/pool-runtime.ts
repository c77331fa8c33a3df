import type { PoolConfig } from '../config/index.ts';
import type { Clock, Random } from '../core/index.ts';
import { BackendRuntime } from './backend-runtime.ts';
import type { PoolState } from '../data-plane/index.ts';
import { GradientLimiter } from './gradient-limiter.ts';
import { type HealthChangeListener, HealthChecker, type HealthProbe } from './health-checker.ts';
import { LeastRequestPicker } from './least-request-picker.ts';
import { type EjectionListener, OutlierDetector } from './outlier-detector.ts';
import { PoolAdmission } from './pool-admission.ts';
import { UpstreamPool } from './upstream-pool.ts';

/** Upstream timeouts every backend connection pool gets (ms). */
export interface UpstreamTimeouts {
  connect: number;
  upstreamHeaders: number;
  upstreamBody: number;
}

export interface PoolRuntimeOptions {
  name: string;
  config: PoolConfig;
  timeouts: UpstreamTimeouts;
  clock: Clock;
  random: Random;
  /** Backends kept from the previous config (reload): their state and connections carry over. */
  previous?: ReadonlyMap<string, BackendRuntime>;
  /** False when upstream timeouts changed: kept backends then get new connection pools. */
  keepConnections?: boolean;
  /** When false, backends get no upstream pool (unit tests that never forward). */
  connect?: boolean;
  onEjection: EjectionListener;
  onHealthChange: HealthChangeListener;
  probe?: HealthProbe;
  /** Whether this process is its own bottleneck (see GradientLimiterOptions.saturated). */
  saturated?: () => boolean;
}

/** Most upstream connections per backend: bounded like everything else. */
const CONNECTIONS_PER_BACKEND = 256;
/** Default floor of an unused limit, per backend of the pool (`admission.idleLimit`). */
const IDLE_LIMIT_PER_BACKEND = 8;
/** Idle time of a kept-alive upstream connection (ms). */
const KEEP_ALIVE_TIMEOUT = 4_000;

/**
 * One pool at run time: its backends with their connection pools, the P2C picker, admission
 * (adaptive limit + bounded queue), passive outlier detection and active health checks.
 */
export class PoolRuntime {
  readonly name: string;
  readonly config: PoolConfig;
  readonly backends: readonly BackendRuntime[];
  readonly picker: LeastRequestPicker;
  readonly admission: PoolAdmission;
  readonly outliers: OutlierDetector;
  readonly limiter: GradientLimiter;
  readonly #health: HealthChecker;
  readonly #probe: HealthProbe;
  #closed = false;

  constructor(o: PoolRuntimeOptions) {
    this.name = o.name;
    this.config = o.config;
    const now = o.clock.monotonic();
    this.backends = o.config.backends.map((b) => {
      const kept = o.previous?.get(b.name);
      if (kept !== undefined && kept.url === b.url && kept.weight === b.weight && o.keepConnections !== false) return kept;
      const backend = new BackendRuntime({
        pool: o.name,
        name: b.name,
        url: b.url,
        weight: b.weight,
        admittedAt: now - o.config.slowStart,
      });
      if (o.connect !== false) backend.upstream = createUpstreamPool(b.url, o.timeouts, o.clock);
      return backend;
    });
    this.picker = new LeastRequestPicker({ random: o.random, now: () => o.clock.monotonic(), slowStartMs: o.config.slowStart });
    const a = o.config.admission;
    this.limiter = new GradientLimiter(o.clock, {
      adaptive: a.adaptive,
      initialLimit: a.initialLimit,
      minLimit: a.minLimit ?? o.config.backends.length,
      maxLimit: a.maxLimit,
      // 8 per backend: what a backend is taken to absorb without evidence, far above a few slow clients.
      idleLimit: a.idleLimit ?? IDLE_LIMIT_PER_BACKEND * o.config.backends.length,
      random: o.random,
      ...(o.saturated !== undefined ? { saturated: o.saturated } : {}),
    });
    this.admission = new PoolAdmission(o.clock, this.limiter, a.queueSize, a.queueTimeout, {
      target: a.queueTarget,
      interval: a.queueInterval,
    });
    this.outliers = new OutlierDetector(o.clock, o.config.outlierDetection, this.backends, o.onEjection);
    this.#probe = o.probe ?? httpProbe(o.config.healthCheck.path, o.config.healthCheck.timeout);
    this.#health = new HealthChecker(o.clock, o.config.healthCheck, this.#probe, o.onHealthChange, (b, startedAt) =>
      this.outliers.checkPassed(b, startedAt),
    );
  }

  /** Starts active health checks. */
  start(): void {
    this.#health.start(this.backends);
  }

  get routableBackends(): number {
    let n = 0;
    for (const b of this.backends) if (b.routable) n++;
    return n;
  }

  hasRoutable(): boolean {
    for (const b of this.backends) if (b.routable) return true;
    return false;
  }

  backend(name: string): BackendRuntime | undefined {
    return this.backends.find((b) => b.name === name);
  }

  snapshot(): PoolState {
    return {
      name: this.name,
      backends: this.backends.map((b) => b.snapshot()),
      healthyBackends: this.routableBackends,
      concurrencyLimit: this.admission.limit,
      inFlight: this.admission.inFlight,
      queued: this.admission.queued,
    };
  }

  /**
   * Stops checks and timers. Backends in `keep` (moved to the next config) keep their
   * connections; the others close theirs after in-flight requests finish. Idempotent.
   */
  async close(keep: ReadonlySet<BackendRuntime> = new Set(), final = true): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#health.close();
    this.outliers.close();
    // On reload, requests queued here still run on this generation; only a final close refuses them.
    if (final) this.admission.close();
    // A final close cuts running requests (the listeners drained them first); a reload lets them finish.
    await Promise.all(this.backends.filter((b) => !keep.has(b)).map((b) => b.upstream?.close(final)));
  }
}

/**
 * The connection pool of one backend: keep-alive (4 s idle, under Node's 5 s server default so the
 * backend does not close a socket as it is reused), bounded connections, the configured timeouts.
 */
export function createUpstreamPool(url: string, t: UpstreamTimeouts, clock: Clock): UpstreamPool {
  return new UpstreamPool({
    url,
    clock,
    connections: CONNECTIONS_PER_BACKEND,
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT,
    connect: t.connect,
    timeouts: { headers: t.upstreamHeaders, body: t.upstreamBody },
  });
}

/** The default probe: GET the check path on the backend's own pool; 2xx/3xx is healthy. */
export function httpProbe(path: string, timeoutMs: number): HealthProbe {
  // The check's own timeout governs (the checker aborts at it), not the traffic timeouts.
  const timeouts = { headers: timeoutMs + 1_000, body: timeoutMs + 1_000 };
  const headers = { 'user-agent': 'piper-health-check' };
  return async (backend, signal) => {
    if (backend.upstream === null) return 'no upstream connection pool';
    const { statusCode } = await backend.upstream.request({ path, headers, signal, timeouts });
    return statusCode >= 200 && statusCode < 400 ? null : `status ${statusCode}`;
  };
}
