import type { Clock, TimerHandle } from '../core/index.ts';
import type { ActiveHealth, BackendRuntime } from './backend-runtime.ts';

/** Runs one check against a backend: resolves null when healthy, else the reason it failed. */
export type HealthProbe = (backend: BackendRuntime, signal: AbortSignal) => Promise<string | null>;

export interface HealthCheckOptions {
  enabled: boolean;
  interval: number;
  timeout: number;
  rise: number;
  fall: number;
}

/** Told when active checks flip a backend's health. */
export type HealthChangeListener = (backend: BackendRuntime, from: ActiveHealth, to: ActiveHealth, reason: string | null) => void;

/** Told of every check that passed, with the epoch ms it started at. */
export type CheckPassedListener = (backend: BackendRuntime, startedAt: number) => void;

interface CheckState {
  successes: number;
  failures: number;
  running: boolean;
  timer: TimerHandle;
}

/**
 * Active health checks for one pool (HAProxy's inter/rise/fall): every `interval` each backend
 * gets one probe bounded by `timeout`; `fall` consecutive failures mark it unhealthy, `rise`
 * consecutive successes healthy again. A probe still running when the next is due is not doubled.
 */
export class HealthChecker {
  readonly #clock: Clock;
  readonly #options: HealthCheckOptions;
  readonly #probe: HealthProbe;
  readonly #onChange: HealthChangeListener;
  readonly #onPassed: CheckPassedListener | null;
  readonly #states = new Map<BackendRuntime, CheckState>();
  readonly #aborts = new Map<AbortController, () => void>();
  #closed = false;

  constructor(
    clock: Clock,
    options: HealthCheckOptions,
    probe: HealthProbe,
    onChange: HealthChangeListener,
    onPassed?: CheckPassedListener,
  ) {
    this.#clock = clock;
    this.#options = options;
    this.#probe = probe;
    this.#onChange = onChange;
    this.#onPassed = onPassed ?? null;
  }

  /** Starts checking the backends (first check at once). No-op when checks are disabled. */
  start(backends: readonly BackendRuntime[]): void {
    if (!this.#options.enabled || this.#closed) return;
    for (const backend of backends) {
      const state: CheckState = {
        successes: 0,
        failures: 0,
        running: false,
        timer: this.#clock.setInterval(() => void this.#check(backend, state), this.#options.interval),
      };
      this.#states.set(backend, state);
      void this.#check(backend, state);
    }
  }

  async #check(backend: BackendRuntime, state: CheckState): Promise<void> {
    if (state.running || this.#closed) return;
    state.running = true;
    const startedAt = this.#clock.now();
    const abort = new AbortController();
    const timedOut = `timed out after ${this.#options.timeout} ms`;
    let deadline: TimerHandle | null = null;
    // Race the probe against its deadline: a probe that ignores the signal must not stall checks.
    const expiry = new Promise<string>((resolve) => {
      deadline = this.#clock.setTimeout(() => {
        abort.abort(new Error(timedOut));
        resolve(timedOut);
      }, this.#options.timeout);
    });
    this.#aborts.set(abort, () => (deadline as TimerHandle | null)?.cancel());
    let failure: string | null;
    try {
      failure = await Promise.race([this.#probe(backend, abort.signal), expiry]);
    } catch (err) {
      failure = abort.signal.aborted ? timedOut : ((err as Error).message ?? String(err));
    } finally {
      (deadline as TimerHandle | null)?.cancel();
      this.#aborts.delete(abort);
      state.running = false;
    }
    if (this.#closed) return;
    this.#apply(backend, state, failure);
    if (failure === null) this.#onPassed?.(backend, startedAt);
  }

  #apply(backend: BackendRuntime, state: CheckState, failure: string | null): void {
    const before = backend.activeHealth;
    if (failure === null) {
      state.failures = 0;
      state.successes++;
      if (before !== 'healthy' && state.successes >= this.#options.rise) {
        backend.activeHealth = 'healthy';
        if (before === 'unhealthy') {
          backend.admittedAt = this.#clock.monotonic();
          backend.reason = backend.ejectedUntil === null ? null : backend.reason;
        }
        this.#onChange(backend, before, 'healthy', null);
      }
    } else {
      state.successes = 0;
      state.failures++;
      if (before !== 'unhealthy' && state.failures >= this.#options.fall) {
        backend.activeHealth = 'unhealthy';
        backend.reason = `health check: ${failure}`;
        this.#onChange(backend, before, 'unhealthy', failure);
      }
    }
  }

  /** Stops every timer and aborts running probes. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const s of this.#states.values()) s.timer.cancel();
    this.#states.clear();
    for (const [a, cancelDeadline] of this.#aborts) {
      cancelDeadline();
      a.abort(new Error('health checker closed'));
    }
    this.#aborts.clear();
  }
}
