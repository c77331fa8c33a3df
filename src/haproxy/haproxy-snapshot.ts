import type { PiperConfig, RouteConfig } from '../config/index.ts';
import type { BackendHealth, BackendState, DataPlaneSnapshot, PoolState, RouteState, Split, SplitOrigin } from '../data-plane/index.ts';
import type { HaproxyLiveState } from './haproxy-live-state.ts';
import { parseServerName } from './haproxy-names.ts';
import type { ServerState } from './servers-state.ts';

const HEALTH_RANK: Readonly<Record<BackendHealth, number>> = { healthy: 4, draining: 3, ejected: 2, unhealthy: 1, unknown: 0 };

/**
 * A route's split as HAProxy applies it: each pool's weight is the sum of its servers' weights in
 * the route's backend (`show servers state`), so pools' shares are exactly HAProxy's. Pools of the
 * configured split are always listed (0 when HAProxy gives them nothing); the other pools the
 * backend holds only when they have weight. Backup servers (`.failover`) are not part of the split.
 */
export function reportedSplit(route: RouteConfig, servers: readonly ServerState[]): Split {
  const out: Record<string, number> = {};
  for (const pool of Object.keys(route.split)) out[pool] = 0;
  for (const s of servers) {
    const names = parseServerName(s.server);
    if (names === null || names.failover) continue;
    out[names.pool] = (out[names.pool] ?? 0) + s.weight;
  }
  for (const [pool, w] of Object.entries(out)) if (w === 0 && !(pool in route.split)) delete out[pool];
  return Object.freeze(out);
}

/** What the data plane knows of one route beyond HAProxy's own state. */
export interface RouteView {
  split: Split;
  splitOrigin: SplitOrigin;
  deadMan: RouteState['deadMan'];
}

/**
 * The port's snapshot of an HAProxy data plane: routes and pools from the config, each route's
 * split as HAProxy last reported it, backends' health, in-flight and queues from `show stat`. A
 * piper backend is one HAProxy server in every route holding its pool: its in-flight and queue
 * are summed over them, and its health is the best of theirs (a backend drained in one route
 * still serves another); one in no route's backend shows `unknown`.
 */
export function haproxySnapshot(
  at: number,
  config: PiperConfig,
  routes: ReadonlyMap<string, RouteView>,
  live: HaproxyLiveState | null,
): DataPlaneSnapshot {
  const seen = new Map<string, { health: BackendHealth; reason: string | null; inFlight: number; queue: number }>();
  for (const s of live?.servers ?? []) {
    const key = `${s.pool}/${s.backend}`;
    const b = seen.get(key);
    const reason = s.health === 'healthy' ? null : `${s.status}${s.checkStatus === '' ? '' : ` (${s.checkStatus})`}`;
    if (b === undefined) seen.set(key, { health: s.health, reason, inFlight: s.sessions, queue: s.queue });
    else {
      b.inFlight += s.sessions;
      b.queue += s.queue;
      if (HEALTH_RANK[s.health] > HEALTH_RANK[b.health]) {
        b.health = s.health;
        b.reason = reason;
      }
    }
  }
  const pools: PoolState[] = Object.entries(config.pools).map(([name, pool]) => {
    let queued = 0;
    const backends: BackendState[] = pool.backends.map((b) => {
      const s = seen.get(`${name}/${b.name}`);
      queued += s?.queue ?? 0;
      return {
        name: b.name,
        url: b.url,
        weight: b.weight,
        health: s?.health ?? 'unknown',
        reason: s?.reason ?? null,
        ejectedUntil: null,
        ejections: 0,
        inFlight: s?.inFlight ?? 0,
      };
    });
    return {
      name,
      backends,
      healthyBackends: backends.filter((b) => b.health === 'healthy').length,
      // HAProxy has none of piper's adaptive limits; servers' maxconn is in haproxy.cfg.
      concurrencyLimit: 0,
      inFlight: backends.reduce((sum, b) => sum + b.inFlight, 0),
      queued,
    };
  });
  const routeStates: RouteState[] = config.routes.map((r) => {
    const view = routes.get(r.name);
    return {
      name: r.name,
      host: r.match.host,
      pathPrefix: r.match.pathPrefix,
      split: view?.split ?? r.split,
      splitOrigin: view?.splitOrigin ?? { kind: 'config', at },
      failover: r.failover,
      deadMan: view?.deadMan ?? null,
    };
  });
  return { at, routes: routeStates, pools };
}
