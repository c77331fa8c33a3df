import type { Clock, TimerHandle } from '../core/index.ts';
import type { TelemetryWindow } from '../telemetry/index.ts';
import type {
  BackendState,
  DataPlane,
  DataPlaneSnapshot,
  InProgressCounts,
  InProgressWindow,
  PoolState,
  RouteState,
  SetSplitOptions,
  Split,
} from './data-plane.ts';

const OPEN_WINDOW_MS = 1000;

/** A split change the data plane was asked for, as recorded by {@link InMemoryDataPlane}. */
export interface SplitCall {
  at: number;
  route: string;
  split: Split;
  reason: string;
  deadMan: SetSplitOptions['deadMan'];
}

/**
 * A DataPlane with no traffic of its own: routes and pools in memory, a dead-man guard on the
 * injected clock, and windows that the caller pushes. It lets the controller run against a port
 * double on a ManualClock (unit tests, dry runs) exactly as it runs against a balancer.
 */
export class InMemoryDataPlane implements DataPlane {
  readonly calls: SplitCall[] = [];
  /** Times the dead-man guard reverted a route. */
  readonly reverts: { at: number; route: string }[] = [];
  /** When set, setSplit rejects with this error (a data plane that is down). */
  failSetSplit: Error | null = null;
  readonly #clock: Clock;
  readonly #routes = new Map<string, RouteState>();
  #pools: PoolState[];
  readonly #guards = new Map<string, TimerHandle>();
  readonly #subscribers = new Set<(w: TelemetryWindow | null) => void>();
  heartbeats = 0;
  /** Times `inProgress()` was read. */
  inProgressReads = 0;
  /** The open window's per-pool counts, as the caller sets them (see {@link recordOpen}). */
  #open: InProgressWindow = { start: 0, pools: {} };

  constructor(clock: Clock, routes: Record<string, Split>, pools: readonly string[]) {
    this.#clock = clock;
    for (const [name, split] of Object.entries(routes)) {
      this.#routes.set(name, { name, host: '*', pathPrefix: '/', split, failover: [], deadMan: null });
    }
    this.#pools = pools.map((name) => ({ name, backends: [], healthyBackends: 1, concurrencyLimit: 100, inFlight: 0, queued: 0 }));
  }

  snapshot(): DataPlaneSnapshot {
    return { at: this.#clock.now(), routes: [...this.#routes.values()].map((r) => ({ ...r })), pools: this.#pools };
  }

  async setSplit(route: string, split: Split, reason: string, options: SetSplitOptions = {}): Promise<void> {
    if (this.failSetSplit !== null) throw this.failSetSplit;
    const r = this.#routes.get(route);
    if (r === undefined) throw new Error(`unknown route ${route}`);
    this.calls.push({ at: this.#clock.now(), route, split, reason, deadMan: options.deadMan });
    const deadMan =
      options.deadMan === undefined
        ? r.deadMan
        : options.deadMan === null
          ? null
          : { ...options.deadMan, lastHeartbeat: this.#clock.now() };
    this.#routes.set(route, { ...r, split, deadMan });
    this.#arm(route);
  }

  heartbeat(route: string): void {
    const r = this.#routes.get(route);
    this.heartbeats++;
    if (r?.deadMan) {
      this.#routes.set(route, { ...r, deadMan: { ...r.deadMan, lastHeartbeat: this.#clock.now() } });
      this.#arm(route);
    }
  }

  /** Replaces a pool's backends (as a config reload would): what the gate fingerprints as its membership. */
  setBackends(pool: string, backends: readonly { name: string; url: string; weight?: number }[]): void {
    const states: BackendState[] = backends.map((b) => ({
      name: b.name,
      url: b.url,
      weight: b.weight ?? 100,
      health: 'healthy',
      reason: null,
      ejectedUntil: null,
      ejections: 0,
      inFlight: 0,
    }));
    this.#pools = this.#pools.map((p) => (p.name === pool ? { ...p, backends: states, healthyBackends: states.length } : p));
  }

  /**
   * Counts outcomes in the open window that `inProgress()` reports, as a balancer's telemetry
   * would: a new window (aligned to the second) starts from zero; a failure stamps `firstFailureAt`
   * with the clock's time when it is the window's first.
   */
  recordOpen(pool: string, outcome: { requests?: number; failed?: number; connectFailures?: number }): void {
    const now = this.#clock.now();
    const start = Math.floor(now / OPEN_WINDOW_MS) * OPEN_WINDOW_MS;
    if (start !== this.#open.start) this.#open = { start, pools: {} };
    const prev: InProgressCounts = this.#open.pools[pool] ?? { requests: 0, failed: 0, connectFailures: 0, firstFailureAt: null };
    const failed = outcome.failed ?? 0;
    const next: InProgressCounts = {
      requests: prev.requests + (outcome.requests ?? 0),
      failed: prev.failed + failed,
      connectFailures: prev.connectFailures + (outcome.connectFailures ?? 0),
      firstFailureAt: prev.firstFailureAt ?? (failed > 0 ? now : null),
    };
    this.#open = { start, pools: { ...this.#open.pools, [pool]: next } };
  }

  /** The open window as {@link recordOpen} filled it (empty once the clock passes into a new window). */
  inProgress(): InProgressWindow {
    this.inProgressReads++;
    const start = Math.floor(this.#clock.now() / OPEN_WINDOW_MS) * OPEN_WINDOW_MS;
    return this.#open.start === start ? this.#open : { start, pools: {} };
  }

  /** Delivers a closed window to every reader of {@link windows}. */
  push(w: TelemetryWindow): void {
    for (const s of this.#subscribers) s(w);
  }

  async *windows(signal?: AbortSignal): AsyncIterable<TelemetryWindow> {
    const queue: TelemetryWindow[] = [];
    let wake: (() => void) | null = null;
    let done = signal?.aborted === true;
    const sub = (w: TelemetryWindow | null): void => {
      if (w === null) done = true;
      else queue.push(w);
      wake?.();
    };
    const onAbort = (): void => sub(null);
    signal?.addEventListener('abort', onAbort, { once: true });
    this.#subscribers.add(sub);
    try {
      for (;;) {
        const w = queue.shift();
        if (w !== undefined) {
          yield w;
          continue;
        }
        if (done) return;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = null;
      }
    } finally {
      this.#subscribers.delete(sub);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  close(): void {
    for (const g of this.#guards.values()) g.cancel();
    this.#guards.clear();
    for (const s of this.#subscribers) s(null);
  }

  #arm(route: string): void {
    this.#guards.get(route)?.cancel();
    this.#guards.delete(route);
    const r = this.#routes.get(route);
    if (r?.deadMan == null) return;
    const { safeSplit, timeoutMs } = r.deadMan;
    this.#guards.set(
      route,
      this.#clock.setTimeout(() => {
        const cur = this.#routes.get(route);
        if (cur === undefined) return;
        this.#routes.set(route, { ...cur, split: safeSplit, deadMan: null });
        this.reverts.push({ at: this.#clock.now(), route });
      }, timeoutMs),
    );
  }
}
