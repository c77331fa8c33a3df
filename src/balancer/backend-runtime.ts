import type { BackendHealth, BackendState } from '../data-plane/index.ts';
import type { UpstreamPool } from './upstream-pool.ts';

/** What active health checks last concluded about a backend. */
export type ActiveHealth = 'healthy' | 'unhealthy' | 'unknown';

/**
 * The live state of one backend: in-flight count, health from active checks, passive ejection,
 * drain flag, and the counters outlier detection reads. Owned by its pool; mutated only on the
 * event loop, so no locking.
 */
export class BackendRuntime {
  readonly pool: string;
  readonly name: string;
  readonly url: string;
  readonly weight: number;
  /** The upstream connection pool; null in unit tests that never forward. */
  upstream: UpstreamPool | null = null;
  inFlight = 0;
  activeHealth: ActiveHealth = 'unknown';
  draining = false;
  /** Epoch ms when the current ejection ends, or null when not ejected. */
  ejectedUntil: number | null = null;
  /** Times ejected in a row; the ejection time grows with it, and it decays while the backend serves. */
  ejections = 0;
  /** Epoch ms when the current ejection began (null when not ejected). */
  ejectedAt: number | null = null;
  /** Whether the current ejection is for connect failures: the backend could not be reached at all. */
  ejectedUnreachable = false;
  /** Epoch ms of the last readmission: the ejection count decays from here. */
  readmittedAt: number | null = null;
  reason: string | null = null;
  /** Monotonic ms since when the backend has been taking traffic (slow start ramps from here). */
  admittedAt: number;
  consecutive5xx = 0;
  consecutiveGatewayErrors = 0;
  consecutiveConnectFailures = 0;

  constructor(init: { pool: string; name: string; url: string; weight: number; admittedAt: number }) {
    this.pool = init.pool;
    this.name = init.name;
    this.url = init.url;
    this.weight = init.weight;
    // A backend present at process start takes its full share at once (HAProxy does the same).
    this.admittedAt = init.admittedAt;
  }

  /** `pool/backend`, the key telemetry uses. */
  get key(): string {
    return `${this.pool}/${this.name}`;
  }

  get health(): BackendHealth {
    if (this.draining) return 'draining';
    if (this.ejectedUntil !== null) return 'ejected';
    return this.activeHealth;
  }

  /** Whether new requests may go here. `unknown` counts: checks have not spoken yet. */
  get routable(): boolean {
    return !this.draining && this.ejectedUntil === null && this.activeHealth !== 'unhealthy';
  }

  /**
   * Weight after slow start: linear from 10 % (Envoy's min_weight_percent) to 100 % over
   * `slowStartMs` since the backend was (re)admitted.
   */
  effectiveWeight(nowMonotonic: number, slowStartMs: number): number {
    if (slowStartMs <= 0) return this.weight;
    const factor = (nowMonotonic - this.admittedAt) / slowStartMs;
    if (factor >= 1) return this.weight;
    return this.weight * Math.max(0.1, factor);
  }

  resetCounters(): void {
    this.consecutive5xx = 0;
    this.consecutiveGatewayErrors = 0;
    this.consecutiveConnectFailures = 0;
  }

  snapshot(): BackendState {
    const stats = this.upstream?.stats;
    return {
      ...(stats ? { upstream: stats } : {}),
      name: this.name,
      url: this.url,
      weight: this.weight,
      health: this.health,
      reason: this.reason,
      ejectedUntil: this.ejectedUntil,
      ejections: this.ejections,
      inFlight: this.inFlight,
    };
  }
}
