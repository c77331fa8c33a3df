import type { Random } from '../core/index.ts';
import type { BackendWindowStats, PoolWindowStats, TelemetryWindow, WindowStats } from '../telemetry/index.ts';
import type { BackendState, PoolState, Split } from './data-plane.ts';
import type { TrafficTally } from './conformance-factory.ts';

interface Counts {
  requests: number;
  failed: number;
  firstFailureAt: number | null;
}

/**
 * Requests the in-memory double serves by its own means, chosen as the balancer chooses: a pool by
 * the route's split among pools with a routable backend, then one of its routable backends by
 * weight, each with the injected Random. What was served folds into the open window, which
 * {@link closeWindow} turns into a `TelemetryWindow` of counts. The double measures no latency:
 * its windows carry no histogram (`''`, which readers take as "percentiles only") and zero latencies.
 */
export class SimulatedTraffic {
  readonly #random: Random;
  #routes = new Map<string, Counts>();
  #pools = new Map<string, Counts>();
  #backends = new Map<string, Counts>();

  constructor(random: Random) {
    this.#random = random;
  }

  /** Serves `count` requests of `route` on `split` over `pools` at time `now`; a request with no routable pool fails. */
  serve(route: string, split: Split, pools: readonly PoolState[], count: number, now: number): TrafficTally {
    const tally: TrafficTally = { served: {}, failed: 0, failures: {} };
    for (let i = 0; i < count; i++) {
      const pool = pick(pools, (p) => ((split[p.name] ?? 0) > 0 && p.backends.some(routable) ? (split[p.name] ?? 0) : 0), this.#random);
      const backend = pool === null ? null : pick(pool.backends, (b) => (routable(b) ? b.weight : 0), this.#random);
      if (pool === null || backend === null) {
        // The balancer's 503 "no healthy backend": counted on the route only.
        tally.failed++;
        tally.failures.no_backend = (tally.failures.no_backend ?? 0) + 1;
        add(this.#routes, route, true, now);
        continue;
      }
      const key = `${pool.name}/${backend.name}`;
      tally.served[key] = (tally.served[key] ?? 0) + 1;
      add(this.#routes, route, false, now);
      add(this.#pools, pool.name, false, now);
      add(this.#backends, key, false, now);
    }
    return tally;
  }

  /** The window of what was served since the last close; every route and pool and backend given is listed, idle ones with zeros. */
  closeWindow(start: number, durationMs: number, routes: readonly string[], pools: readonly PoolState[]): TelemetryWindow {
    const routeStats: Record<string, WindowStats> = {};
    for (const name of routes) routeStats[name] = stats(this.#routes.get(name));
    const poolStats: Record<string, PoolWindowStats> = {};
    const backendStats: Record<string, BackendWindowStats> = {};
    for (const p of pools) {
      poolStats[p.name] = {
        ...stats(this.#pools.get(p.name)),
        healthyBackends: p.healthyBackends,
        totalBackends: p.backends.length,
        concurrencyLimit: p.concurrencyLimit,
      };
      for (const b of p.backends) {
        const key = `${p.name}/${b.name}`;
        backendStats[key] = { ...stats(this.#backends.get(key)), pool: p.name, health: b.health };
      }
    }
    this.#routes = new Map();
    this.#pools = new Map();
    this.#backends = new Map();
    return { start, durationMs, routes: routeStats, pools: poolStats, backends: backendStats };
  }
}

function routable(b: BackendState): boolean {
  return b.health === 'healthy';
}

/** Picks one item with probability proportional to its weight; null when every weight is 0. */
function pick<T>(items: readonly T[], weight: (item: T) => number, random: Random): T | null {
  let total = 0;
  for (const item of items) total += weight(item);
  if (total <= 0) return null;
  let point = random.next() * total;
  let last: T | null = null;
  for (const item of items) {
    const w = weight(item);
    if (w <= 0) continue;
    last = item;
    if (point < w) return item;
    point -= w;
  }
  return last;
}

function add(map: Map<string, Counts>, key: string, failed: boolean, now: number): void {
  let c = map.get(key);
  if (c === undefined) {
    c = { requests: 0, failed: 0, firstFailureAt: null };
    map.set(key, c);
  }
  c.requests++;
  if (failed) {
    c.failed++;
    c.firstFailureAt ??= now;
  }
}

function stats(c: Counts | undefined): WindowStats {
  const requests = c?.requests ?? 0;
  const failed = c?.failed ?? 0;
  return {
    requests,
    failed,
    status: { '1xx': 0, '2xx': requests - failed, '3xx': 0, '4xx': 0, '5xx': failed },
    errors: failed > 0 ? { no_backend: failed } : {},
    shed: 0,
    retries: 0,
    ejections: 0,
    inFlight: 0,
    bytesIn: 0,
    bytesOut: 0,
    latency: { count: requests, min: 0, mean: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0 },
    histogram: '',
    firstFailureAt: c?.firstFailureAt ?? null,
  };
}
