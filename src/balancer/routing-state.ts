import type { PoolRuntime } from './pool-runtime.ts';
import type { RouteRuntime } from './route-runtime.ts';

/**
 * Routes and pools of one config generation. A reload builds a new one and swaps it in whole,
 * so a request sees either the old config or the new, never a mix.
 */
export class RoutingState {
  readonly routes: readonly RouteRuntime[];
  readonly pools: ReadonlyMap<string, PoolRuntime>;
  /** Whether the named pool has a backend that may take traffic. A bound function, made once: every request's pool pick passes it. */
  readonly routable = (pool: string): boolean => this.pools.get(pool)?.hasRoutable() ?? false;

  constructor(routes: readonly RouteRuntime[], pools: ReadonlyMap<string, PoolRuntime>) {
    this.routes = routes;
    this.pools = pools;
  }

  /** The most specific route matching host and path, or undefined. */
  match(host: string, path: string): RouteRuntime | undefined {
    for (const r of this.routes) if (r.matches(host, path)) return r;
    return undefined;
  }

  route(name: string): RouteRuntime | undefined {
    return this.routes.find((r) => r.name === name);
  }
}
