import type { PiperConfig, PoolConfig, RouteConfig } from '../config/index.ts';
import { PiperError } from '../core/index.ts';
import type { Split } from '../data-plane/index.ts';
import { serverName } from './haproxy-names.ts';
import { routePools } from './route-order.ts';
import { serverWeights } from './server-weights.ts';
import { dataPlaneErrors } from '../data-plane/index.ts';

/** Every server of the route's HAProxy backend weighted for `split` (0 for the pools it leaves out). */
export function routeWeights(config: PiperConfig, route: RouteConfig, split: Split): Record<string, number> {
  const pools: Record<string, PoolConfig> = {};
  for (const p of routePools(route, Object.keys(config.pools))) pools[p] = config.pools[p] as PoolConfig;
  const plan = serverWeights(split, pools);
  const out: Record<string, number> = {};
  for (const [pool, cfg] of Object.entries(pools)) for (const b of cfg.backends) out[serverName(pool, b.name)] = 0;
  for (const s of plan.servers) out[serverName(s.pool, s.backend)] = s.weight;
  return out;
}

/** A split over the pools the route's HAProxy backend holds: integer weights 0..10000, one above 0. */
export function checkSplit(split: unknown, route: RouteConfig, all: readonly string[], key: string): Split {
  const pools = routePools(route, all);
  if (split === null || typeof split !== 'object' || Array.isArray(split))
    throw invalidSplit(`${key}: must be an object of pool names to weights`);
  const out: Record<string, number> = {};
  let total = 0;
  for (const [pool, w] of Object.entries(split)) {
    if (!pools.includes(pool)) {
      throw invalidSplit(`${key}: unknown pool "${pool}" (pools: ${pools.join(', ')})`);
    }
    if (typeof w !== 'number' || !Number.isInteger(w) || w < 0 || w > 10_000)
      throw invalidSplit(`${key}: weight of "${pool}" must be an integer from 0 to 10000, got ${JSON.stringify(w)}`);
    out[pool] = w;
    total += w;
  }
  if (total === 0) throw invalidSplit(`${key}: at least one pool needs a weight above 0`);
  return Object.freeze(out);
}

export function invalidSplit(message: string): PiperError {
  return new PiperError(dataPlaneErrors.PIPER_BALANCER_INVALID_SPLIT, message);
}
