import type { Clock, TimerHandle } from '../core/index.ts';
import type { BackendRuntime } from './backend-runtime.ts';

/** How one forwarded attempt ended, as passive outlier detection sees it. */
/**
 * `overloaded`: a 503 with Retry-After, the backend shedding load on purpose. It is a load signal
 * (admission sees the latency), not a health failure: ejecting an overloaded backend moves its load
 * onto the rest of the pool and collapses it (bench/balancer/overload.ts: goodput 0.5–0.75 C with
 * those ejections, 1.0 C without).
 */
export type AttemptResult = 'success' | '5xx' | 'overloaded' | 'gateway' | 'connect' | 'timeout' | 'reset';

export interface OutlierDetectionOptions {
  enabled: boolean;
  consecutive5xx: number;
  consecutiveGatewayErrors: number;
  consecutiveConnectFailures: number;
  baseEjectionTime: number;
  maxEjectionTime: number;
  /** Fraction (0..1) of the pool that may be ejected at once; one backend always may be. */
  maxEjectionPercent: number;
  /** A passing active check readmits a backend ejected for connect failures. */
  readmitOnHealthCheck: boolean;
}

/** Told when a backend leaves or rejoins rotation, so the balancer can emit events. */
export interface EjectionListener {
  ejected(backend: BackendRuntime, reason: string, durationMs: number): void;
  readmitted(backend: BackendRuntime): void;
}

/**
 * Passive outlier detection for one pool, inline on every attempt (as Envoy's consecutive
 * detectors): consecutive 5xx, gateway errors (502/503/504, timeouts, resets, connect failures)
 * and connect failures eject a backend for base × times-ejected, capped at the maximum. At most
 * `maxEjectionPercent` of the pool is out at once, but always at least one backend may be.
 *
 * The count of ejections decays by one for every base ejection time a backend spends in rotation,
 * so a backend restarted now and then is not out for ever longer each time; and one ejected because
 * it could not be reached comes back at the first active check that reaches it (a check cannot
 * vouch for the answers of one ejected for 5xx, which serves out its time).
 */
export class OutlierDetector {
  readonly #clock: Clock;
  readonly #options: OutlierDetectionOptions;
  readonly #backends: readonly BackendRuntime[];
  readonly #listener: EjectionListener;
  readonly #timers = new Map<BackendRuntime, TimerHandle>();
  #closed = false;

  constructor(clock: Clock, options: OutlierDetectionOptions, backends: readonly BackendRuntime[], listener: EjectionListener) {
    this.#clock = clock;
    this.#options = options;
    this.#backends = backends;
    this.#listener = listener;
    // Backends carried over from a reload may still be ejected: keep their readmission on time.
    for (const b of backends) {
      if (b.ejectedUntil !== null) {
        this.#timers.set(
          b,
          clock.setTimeout(() => this.#readmit(b), Math.max(0, b.ejectedUntil - clock.now())),
        );
      }
    }
  }

  /** Records one attempt's result; ejects the backend when a threshold is reached. */
  observe(backend: BackendRuntime, result: AttemptResult, status = 0): void {
    // Neither proof of health nor of failure: the counts stay as they are.
    if (result === 'overloaded') return;
    if (result === 'success') {
      if (backend.consecutive5xx !== 0 || backend.consecutiveGatewayErrors !== 0 || backend.consecutiveConnectFailures !== 0) {
        backend.resetCounters();
      }
      return;
    }
    if (result === '5xx') {
      backend.consecutive5xx++;
      if (status === 502 || status === 503 || status === 504) backend.consecutiveGatewayErrors++;
    } else {
      // A request that got no response at all counts as a gateway error too (Envoy does the same).
      backend.consecutive5xx++;
      backend.consecutiveGatewayErrors++;
      if (result === 'connect') backend.consecutiveConnectFailures++;
    }
    if (!this.#options.enabled || this.#closed || backend.ejectedUntil !== null) return;
    const o = this.#options;
    let reason: string | null = null;
    if (backend.consecutiveConnectFailures >= o.consecutiveConnectFailures) {
      reason = `${backend.consecutiveConnectFailures} consecutive connect failures`;
    } else if (backend.consecutiveGatewayErrors >= o.consecutiveGatewayErrors) {
      reason = `${backend.consecutiveGatewayErrors} consecutive gateway errors (last: ${result === '5xx' ? status : result})`;
    } else if (backend.consecutive5xx >= o.consecutive5xx) {
      reason = `${backend.consecutive5xx} consecutive 5xx`;
    }
    if (reason !== null) this.eject(backend, reason);
  }

  /** Ejects a backend unless the pool's ejection cap is reached. Returns whether it did. */
  eject(backend: BackendRuntime, reason: string): boolean {
    if (this.#closed || backend.ejectedUntil !== null) return false;
    const ejected = this.#backends.reduce((n, b) => n + (b.ejectedUntil !== null ? 1 : 0), 0);
    const cap = Math.max(1, Math.floor(this.#options.maxEjectionPercent * this.#backends.length));
    if (ejected + 1 > cap) return false;
    const now = this.#clock.now();
    const base = this.#options.baseEjectionTime;
    if (backend.readmittedAt !== null && base > 0) {
      backend.ejections = Math.max(0, backend.ejections - Math.floor((now - backend.readmittedAt) / base));
    }
    backend.ejections++;
    const duration = Math.min(base * backend.ejections, this.#options.maxEjectionTime);
    backend.ejectedUntil = now + duration;
    backend.ejectedAt = now;
    backend.ejectedUnreachable = backend.consecutiveConnectFailures >= this.#options.consecutiveConnectFailures;
    backend.reason = reason;
    this.#timers.set(
      backend,
      this.#clock.setTimeout(() => this.#readmit(backend), duration),
    );
    this.#listener.ejected(backend, reason, duration);
    return true;
  }

  /**
   * An active check that started at `startedAt` (epoch ms) passed: a backend ejected before it for
   * connect failures is reachable again and is readmitted now.
   */
  checkPassed(backend: BackendRuntime, startedAt: number): void {
    if (!this.#options.readmitOnHealthCheck || this.#closed || backend.ejectedUntil === null || !backend.ejectedUnreachable) return;
    if (backend.ejectedAt === null || startedAt < backend.ejectedAt) return;
    this.#timers.get(backend)?.cancel();
    this.#readmit(backend);
  }

  #readmit(backend: BackendRuntime): void {
    this.#timers.delete(backend);
    backend.ejectedUntil = null;
    backend.ejectedAt = null;
    backend.ejectedUnreachable = false;
    backend.readmittedAt = this.#clock.now();
    backend.reason = null;
    backend.resetCounters();
    backend.admittedAt = this.#clock.monotonic();
    this.#listener.readmitted(backend);
  }

  /** Cancels readmission timers. Idempotent. */
  close(): void {
    this.#closed = true;
    for (const t of this.#timers.values()) t.cancel();
    this.#timers.clear();
  }
}
