import { type Clock, type Logger, silentLogger, type TimerHandle } from '../core/index.ts';
import { EMPTY_PROBE, type TelemetryProbe } from './telemetry-probe.ts';
import type {
  BackendWindowStats,
  FlowWindowStats,
  InProgressCounts,
  InProgressWindow,
  PoolWindowStats,
  RequestOutcome,
  TelemetryWindow,
  WindowStats,
} from './telemetry-window.ts';
import { WindowAccumulator } from './window-accumulator.ts';
import { WindowSubscription } from './window-subscription.ts';

export interface WindowAggregatorOptions {
  clock: Clock;
  /** Window length, in ms (default 1000). Windows start on multiples of it. */
  windowMs?: number;
  /** Closed windows kept for `recent()` (default 300: five minutes of 1 s windows). */
  retain?: number;
  /** Read as each window closes, for in-flight counts, health and limits. */
  probe?: () => TelemetryProbe;
  logger?: Logger;
}

/** Entities unseen (no traffic, not probed) for this many windows are forgotten, so names that leave do not pile up. */
const FORGET_AFTER_WINDOWS = 60;

type Nested<T> = Map<string, T>;

/**
 * Folds request outcomes into fixed windows per route, pool, backend and (route, pool, backend)
 * path. `record` is the balancer's hot path: a few map lookups and counter bumps, with nothing
 * allocated once the entity has been seen. Windows close on the injected clock at multiples of
 * `windowMs` and are kept in a ring of the last `retain`.
 */
export class WindowAggregator {
  readonly windowMs: number;
  readonly #clock: Clock;
  readonly #probe: () => TelemetryProbe;
  readonly #log: Logger;
  readonly #routes: Nested<WindowAccumulator> = new Map();
  readonly #pools: Nested<WindowAccumulator> = new Map();
  readonly #backends: Nested<Nested<WindowAccumulator>> = new Map();
  readonly #flows: Nested<Nested<Map<string | null, WindowAccumulator>>> = new Map();
  readonly #ring: Array<TelemetryWindow | undefined>;
  #ringNext = 0;
  readonly #listeners = new Set<(w: TelemetryWindow) => void>();
  readonly #subscriptions = new Set<WindowSubscription>();
  #start: number;
  #timer: TimerHandle | null = null;
  #closed = false;

  constructor(options: WindowAggregatorOptions) {
    this.#clock = options.clock;
    this.windowMs = options.windowMs ?? 1000;
    this.#ring = new Array(Math.max(1, options.retain ?? 300));
    this.#probe = options.probe ?? (() => EMPTY_PROBE);
    this.#log = options.logger ?? silentLogger();
    this.#start = Math.floor(this.#clock.now() / this.windowMs) * this.windowMs;
    this.#schedule();
  }

  /** Counts one finished request in the open window. */
  record(o: RequestOutcome): void {
    if (this.#closed) return;
    const clock = this.#clock;
    entity(this.#routes, o.route, clock, true).add(o);
    entity(this.#pools, o.pool, clock).add(o);
    if (o.backend !== null) entity(nested(this.#backends, o.pool), o.backend, clock).add(o);
    const byPool = nested(this.#flows, o.route);
    let byBackend = byPool.get(o.pool);
    if (byBackend === undefined) {
      byBackend = new Map();
      byPool.set(o.pool, byBackend);
    }
    let flow = byBackend.get(o.backend);
    if (flow === undefined) {
      flow = new WindowAccumulator(false);
      byBackend.set(o.backend, flow);
    }
    flow.add(o);
  }

  /** Counts one ejection of `backend` in the open window (on the backend and its pool). */
  recordEjection(pool: string, backend: string): void {
    if (this.#closed) return;
    entity(nested(this.#backends, pool), backend, this.#clock).ejections++;
    entity(this.#pools, pool, this.#clock).ejections++;
  }

  /**
   * Counts one request that `pool`'s admission refused and another pool then took (a spill), on
   * `pool`: the refusal is evidence about `pool` even though its client got an answer elsewhere.
   */
  recordSpill(pool: string): void {
    if (this.#closed) return;
    entity(this.#pools, pool, this.#clock).spilled++;
  }

  /**
   * The open window's counts so far, per pool (pools with requests in it): a few numbers each, no
   * histogram work, so it can be read several times a window (the rollout's fast path does, every 100 ms).
   */
  inProgress(): InProgressWindow {
    const pools: Record<string, InProgressCounts> = {};
    for (const [name, acc] of this.#pools) {
      if (acc.requests === 0 && acc.spilled === 0) continue;
      pools[name] = {
        requests: acc.requests,
        failed: acc.failed,
        connectFailures: acc.connectFailures,
        firstFailureAt: acc.firstFailureAt,
        ...(acc.spilled > 0 ? { spilled: acc.spilled } : {}),
      };
    }
    return { start: this.#start, pools };
  }

  /** Calls `fn` with each window as it closes; returns the unsubscribe function. */
  onWindow(fn: (w: TelemetryWindow) => void): () => void {
    const listener = (w: TelemetryWindow): void => fn(w);
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** Closed windows still in the ring, oldest first; only those starting at or after `sinceMs` if given. */
  recent(sinceMs?: number): TelemetryWindow[] {
    const out: TelemetryWindow[] = [];
    const n = this.#ring.length;
    for (let i = 0; i < n; i++) {
      const w = this.#ring[(this.#ringNext + i) % n];
      if (w !== undefined && (sinceMs === undefined || w.start >= sinceMs)) out.push(w);
    }
    return out;
  }

  /**
   * Windows as they close, from now on. Ends when the aggregator closes or `signal` aborts. A
   * consumer more than `retain` windows behind loses the oldest ones (read `recent()` to catch up).
   */
  windows(signal?: AbortSignal): AsyncIterable<TelemetryWindow> {
    return {
      [Symbol.asyncIterator]: () => {
        const sub = new WindowSubscription(this.#ring.length, signal, () => this.#subscriptions.delete(sub));
        if (this.#closed) sub.end();
        else this.#subscriptions.add(sub);
        return sub;
      },
    };
  }

  /** Stops the window timer and ends every `windows()` iteration; the open window is dropped. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#timer?.cancel();
    this.#timer = null;
    this.#listeners.clear();
    for (const sub of [...this.#subscriptions]) sub.end();
  }

  #schedule(): void {
    const delay = this.#start + this.windowMs - this.#clock.now();
    this.#timer = this.#clock.setTimeout(() => this.#tick(), Math.max(0, delay));
  }

  #tick(): void {
    if (this.#closed) return;
    const now = this.#clock.now();
    const end = Math.floor(now / this.windowMs) * this.windowMs;
    if (end > this.#start) {
      // Normally end = start + windowMs; if the loop was blocked past several boundaries, one
      // longer window holds what was recorded meanwhile (durationMs says how long), rather than
      // empty windows that would claim nothing happened.
      const w = this.#closeWindow(this.#start, end);
      this.#start = end;
      this.#publish(w);
    } else if (end < this.#start) {
      // The wall clock stepped back (NTP): restart windows from the new time, keeping the counts.
      this.#log.warn({ from: this.#start, to: end }, 'clock stepped back; telemetry windows restart');
      this.#start = end;
    }
    if (!this.#closed) this.#schedule();
  }

  #readProbe(): TelemetryProbe {
    try {
      return this.#probe();
    } catch (err) {
      this.#log.error({ err }, 'telemetry probe failed; window closes without live state');
      return EMPTY_PROBE;
    }
  }

  #closeWindow(start: number, end: number): TelemetryWindow {
    const probe = this.#readProbe();
    for (const name in probe.routes) entity(this.#routes, name, this.#clock, true);
    for (const name in probe.pools) entity(this.#pools, name, this.#clock);
    for (const key in probe.backends) {
      const b = probe.backends[key];
      if (b !== undefined) entity(nested(this.#backends, b.pool), backendName(key, b.pool), this.#clock);
    }

    const routes: Record<string, WindowStats> = {};
    for (const [name, acc] of this.#routes) {
      const p = probe.routes[name];
      if (keep(acc, p !== undefined)) routes[name] = freezeStats(acc.stats(p?.inFlight ?? 0));
    }
    forget(this.#routes);

    const pools: Record<string, PoolWindowStats> = {};
    for (const [name, acc] of this.#pools) {
      const p = probe.pools[name];
      if (!keep(acc, p !== undefined)) continue;
      pools[name] = freezeStats({
        ...acc.stats(p?.inFlight ?? 0),
        healthyBackends: p?.healthyBackends ?? 0,
        totalBackends: p?.totalBackends ?? 0,
        concurrencyLimit: p?.concurrencyLimit ?? 0,
        spilled: acc.spilled,
      });
    }
    forget(this.#pools);

    const backends: Record<string, BackendWindowStats> = {};
    for (const [pool, byName] of this.#backends) {
      for (const [name, acc] of byName) {
        const key = `${pool}/${name}`;
        const p = probe.backends[key];
        if (!keep(acc, p !== undefined)) continue;
        backends[key] = freezeStats({ ...acc.stats(p?.inFlight ?? 0), pool, health: p?.health ?? 'unknown' });
      }
      if (forget(byName)) this.#backends.delete(pool);
    }

    const flows: FlowWindowStats[] = [];
    for (const [route, byPool] of this.#flows) {
      for (const [pool, byBackend] of byPool) {
        for (const [backend, acc] of byBackend) {
          if (keep(acc, false)) flows.push(freezeStats(acc.flowStats(route, pool, backend)));
        }
        if (forget(byBackend)) byPool.delete(pool);
      }
      if (byPool.size === 0) this.#flows.delete(route);
    }

    return Object.freeze({
      start,
      durationMs: end - start,
      routes: Object.freeze(routes),
      pools: Object.freeze(pools),
      backends: Object.freeze(backends),
      flows: Object.freeze(flows),
    });
  }

  #publish(w: TelemetryWindow): void {
    this.#ring[this.#ringNext] = w;
    this.#ringNext = (this.#ringNext + 1) % this.#ring.length;
    for (const fn of [...this.#listeners]) {
      try {
        fn(w);
      } catch (err) {
        // One failing consumer (a dashboard stream) must not stop the others (the judge).
        this.#log.error({ err, window: w.start }, 'telemetry window listener failed');
      }
    }
    for (const sub of this.#subscriptions) sub.push(w);
  }
}

function nested<T>(map: Nested<Nested<T>>, key: string): Nested<T> {
  let inner = map.get(key);
  if (inner === undefined) {
    inner = new Map();
    map.set(key, inner);
  }
  return inner;
}

/**
 * A route, pool or backend accumulator: with a latency histogram, and the clock that stamps first
 * failures; a route's also tells its users apart.
 */
function entity(map: Nested<WindowAccumulator>, key: string, clock: Clock, withUsers = false): WindowAccumulator {
  let acc = map.get(key);
  if (acc === undefined) {
    acc = new WindowAccumulator(true, clock, withUsers);
    map.set(key, acc);
  }
  return acc;
}

/** Whether an entity goes into the closing window; updates its idle count either way. */
function keep(acc: WindowAccumulator, probed: boolean): boolean {
  const shown = acc.active || probed;
  acc.idleWindows = shown ? 0 : acc.idleWindows + 1;
  return shown;
}

/** Resets every accumulator for the next window and drops long-idle ones; true when the map is left empty. */
function forget<K>(map: Map<K, WindowAccumulator>): boolean {
  for (const [key, acc] of map) {
    if (acc.idleWindows > FORGET_AFTER_WINDOWS) map.delete(key);
    else acc.reset();
  }
  return map.size === 0;
}

function backendName(key: string, pool: string): string {
  return key.startsWith(`${pool}/`) ? key.slice(pool.length + 1) : key;
}

function freezeStats<T extends { status: object; errors: object; latency?: object }>(stats: T): T {
  Object.freeze(stats.status);
  Object.freeze(stats.errors);
  if (stats.latency !== undefined) Object.freeze(stats.latency);
  return Object.freeze(stats);
}
