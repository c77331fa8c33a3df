import { type Clock, PiperError, type Random, type TimerHandle } from '../core/index.ts';
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
import type { TrafficTally } from './conformance-factory.ts';
import { SimulatedTraffic } from './simulated-traffic.ts';
import { dataPlaneErrors } from './data-plane-errors.ts';

const OPEN_WINDOW_MS = 1000;

/** A split change the data plane was asked for, as recorded by {@link InMemoryDataPlane}. */
export interface SplitCall {
  at: number;
  route: string;
  split: Split;
  reason: string;
  deadMan: SetSplitOptions['deadMan'];
}

export interface InMemoryDataPlaneOptions {
  /**
   * Simulated traffic: `serve()` routes requests by the split with this Random, and a window of
   * what was served closes on the clock every second. Without it the caller pushes every window.
   */
  traffic?: { random: Random };
}

/** A stream reader's next message: a window, the end, or the error that ends it. */
type StreamMessage = { window: TelemetryWindow } | { end: true } | { error: PiperError };

/**
 * A DataPlane with no traffic of its own: routes and pools in memory, a dead-man guard on the
 * injected clock, and windows that the caller pushes. It lets the controller run against a port
 * double on a ManualClock (unit tests, dry runs) exactly as it runs against a balancer. With
 * `traffic` it also serves simulated requests and closes its own windows (the conformance suite
 * drives it so), and it can be cut off from its port like a remote data plane (`setReachable`).
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
  readonly #subscribers = new Set<(m: StreamMessage) => void>();
  readonly #traffic: SimulatedTraffic | null;
  #windowStart: number;
  #windowTimer: TimerHandle | null = null;
  #reachable = true;
  heartbeats = 0;
  /** Times `inProgress()` was read. */
  inProgressReads = 0;
  /** The open window's per-pool counts, as the caller sets them (see {@link recordOpen}). */
  #open: InProgressWindow = { start: 0, pools: {} };

  constructor(clock: Clock, routes: Record<string, Split>, pools: readonly string[], options: InMemoryDataPlaneOptions = {}) {
    this.#clock = clock;
    for (const [name, split] of Object.entries(routes)) {
      this.#routes.set(name, {
        name,
        host: '*',
        pathPrefix: '/',
        split,
        splitOrigin: { kind: 'config', at: clock.now() },
        failover: [],
        deadMan: null,
      });
    }
    this.#pools = pools.map((name) => ({ name, backends: [], healthyBackends: 1, concurrencyLimit: 100, inFlight: 0, queued: 0 }));
    this.#traffic = options.traffic ? new SimulatedTraffic(options.traffic.random) : null;
    this.#windowStart = Math.floor(clock.now() / OPEN_WINDOW_MS) * OPEN_WINDOW_MS;
    if (this.#traffic !== null) this.#scheduleWindow();
  }

  snapshot(): DataPlaneSnapshot {
    return { at: this.#clock.now(), routes: [...this.#routes.values()].map((r) => ({ ...r })), pools: this.#pools };
  }

  async setSplit(route: string, split: Split, reason: string, options: SetSplitOptions = {}): Promise<void> {
    if (this.failSetSplit !== null) throw this.failSetSplit;
    if (!this.#reachable) throw unreachable('setSplit');
    const r = this.#routes.get(route);
    if (r === undefined) throw new Error(`unknown route ${route}`);
    this.calls.push({ at: this.#clock.now(), route, split, reason, deadMan: options.deadMan });
    const deadMan =
      options.deadMan === undefined
        ? r.deadMan
        : options.deadMan === null
          ? null
          : { ...options.deadMan, lastHeartbeat: this.#clock.now() };
    this.#routes.set(route, { ...r, split, splitOrigin: { kind: 'api', at: this.#clock.now() }, deadMan });
    this.#arm(route);
  }

  heartbeat(route: string): void {
    // Lost on the way, as over a cut network: the guard keeps counting.
    if (!this.#reachable) return;
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

  /** Stops new requests to a backend (`serve` skips it), as a balancer's drain does. */
  drain(pool: string, backend: string): void {
    this.#setBackend(pool, backend, { health: 'draining', reason: 'drained' });
  }

  /** What the double's health checks would have found (it runs none): `unhealthy` takes the backend out of `serve`. */
  setHealth(pool: string, backend: string, health: 'healthy' | 'unhealthy', reason: string | null = null): void {
    this.#setBackend(pool, backend, { health, reason });
  }

  /**
   * Cuts the port off from the double (false) or heals it (true), as a network partition would a
   * remote data plane: meanwhile setSplit and window streams fail with
   * `PIPER_ROLLOUT_DATA_PLANE_UNREACHABLE`, heartbeats are lost, and the guard and traffic go on.
   */
  setReachable(reachable: boolean): void {
    this.#reachable = reachable;
    if (!reachable) for (const s of this.#subscribers) s({ error: unreachable('window stream') });
  }

  /**
   * Serves `count` simulated requests of `route`: each goes to a pool by the route's split among
   * pools with a healthy backend, then to one of its healthy backends by weight (with the Random
   * of `traffic`), and is counted in the open window and in `inProgress()`.
   */
  serve(route: string, count: number): TrafficTally {
    const r = this.#routes.get(route);
    if (r === undefined) throw new Error(`unknown route ${route}`);
    if (this.#traffic === null) throw new Error('construct the InMemoryDataPlane with `traffic` to serve requests');
    const tally = this.#traffic.serve(route, r.split, this.#pools, count, this.#clock.now());
    const perPool = new Map<string, number>();
    for (const [key, n] of Object.entries(tally.served)) {
      const pool = key.slice(0, key.indexOf('/'));
      perPool.set(pool, (perPool.get(pool) ?? 0) + n);
    }
    for (const [pool, requests] of perPool) this.recordOpen(pool, { requests });
    return tally;
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
    for (const s of this.#subscribers) s({ window: w });
  }

  async *windows(signal?: AbortSignal): AsyncIterable<TelemetryWindow> {
    if (!this.#reachable) throw unreachable('window stream');
    const queue: TelemetryWindow[] = [];
    let wake: (() => void) | null = null;
    let done = signal?.aborted === true;
    let failure: PiperError | null = null;
    const sub = (m: StreamMessage): void => {
      if ('window' in m) queue.push(m.window);
      else if ('error' in m) failure = m.error;
      else done = true;
      wake?.();
    };
    const onAbort = (): void => sub({ end: true });
    signal?.addEventListener('abort', onAbort, { once: true });
    this.#subscribers.add(sub);
    try {
      for (;;) {
        if (failure !== null) throw failure;
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
    this.#windowTimer?.cancel();
    this.#windowTimer = null;
    for (const s of this.#subscribers) s({ end: true });
  }

  /** Closes the simulated window at the next second on the clock, then the next, as a balancer's telemetry does. */
  #scheduleWindow(): void {
    this.#windowTimer = this.#clock.setTimeout(
      () => {
        const traffic = this.#traffic;
        if (traffic === null) return;
        const end = Math.floor(this.#clock.now() / OPEN_WINDOW_MS) * OPEN_WINDOW_MS;
        const w = traffic.closeWindow(this.#windowStart, end - this.#windowStart, [...this.#routes.keys()], this.#pools);
        this.#windowStart = end;
        this.#scheduleWindow();
        // A cut-off port loses the window, as an SSE stream would; the next reader starts after it.
        if (this.#reachable) this.push(w);
      },
      this.#windowStart + OPEN_WINDOW_MS - this.#clock.now(),
    );
  }

  #setBackend(pool: string, backend: string, change: Pick<BackendState, 'health' | 'reason'>): void {
    const p = this.#pools.find((x) => x.name === pool);
    if (p?.backends.some((b) => b.name === backend) !== true) throw new Error(`unknown backend ${pool}/${backend}`);
    this.#pools = this.#pools.map((x) => {
      if (x !== p) return x;
      const backends = x.backends.map((b) => (b.name === backend ? { ...b, ...change } : b));
      return { ...x, backends, healthyBackends: backends.filter((b) => b.health === 'healthy').length };
    });
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
        this.#routes.set(route, { ...cur, split: safeSplit, splitOrigin: { kind: 'dead-man', at: this.#clock.now() }, deadMan: null });
        this.reverts.push({ at: this.#clock.now(), route });
      }, timeoutMs),
    );
  }
}

function unreachable(what: string): PiperError {
  return new PiperError(dataPlaneErrors.PIPER_ROLLOUT_DATA_PLANE_UNREACHABLE, `${what}: the in-memory data plane is cut off from its port`);
}
