import type { RouteConfig } from '../config/index.ts';

/**
 * Routes in the order piper's balancer tries them, most specific first: an exact host, then a
 * `*.domain`, then `*`; within each, the longer `pathPrefix` first; config order otherwise. HAProxy
 * takes the first `use_backend` whose condition holds, so rules written in this order route as
 * piper does (the balancer's `sortRoutes`, which test/haproxy-routing.test.ts compares with).
 */
export function routesBySpecificity(routes: readonly RouteConfig[]): RouteConfig[] {
  const rank = (host: string): number => (host === '*' ? 2 : host.startsWith('*.') ? 1 : 0);
  // Array.prototype.sort is stable: equal routes keep their config order.
  return [...routes].sort((a, b) => rank(a.match.host) - rank(b.match.host) || b.match.pathPrefix.length - a.match.pathPrefix.length);
}

/**
 * The pools whose servers a route's HAProxy backend holds: its split's, in name order, then its
 * failover pools not in it, then every other pool of the config (name order) at weight 0. A
 * migration may move a route to any pool, as on piper's own balancer, and a split is only server
 * weights over the Runtime API: a pool HAProxy's backend does not hold would need a reload.
 */
export function routePools(route: RouteConfig, pools: readonly string[]): string[] {
  const inSplit = Object.keys(route.split).sort();
  const failover = route.failover.filter((p, i) => !inSplit.includes(p) && route.failover.indexOf(p) === i);
  const rest = [...pools].sort().filter((p) => !inSplit.includes(p) && !failover.includes(p));
  return [...inSplit, ...failover, ...rest];
}
