import { PiperError } from '../core/index.ts';
import { haproxyErrors } from './haproxy-errors.ts';

/** Largest weight HAProxy gives a server (`weight`, `set server … weight`: 0–256). */
export const MAX_SERVER_WEIGHT = 256;

/** Largest gap allowed between a pool's share of a route and the share asked, as a fraction (0.5 points). */
export const SHARE_TOLERANCE = 0.005;

/** How far back from the largest usable total the search for the closest weights goes. */
const SEARCH_WIDTH = 256;

export interface WeightedBackend {
  readonly name: string;
  /** piper's backend weight (1–1000): its part of its pool's traffic. */
  readonly weight: number;
}

export interface WeightedPool {
  readonly backends: readonly WeightedBackend[];
}

export interface ServerWeight {
  pool: string;
  backend: string;
  /** HAProxy weight, 0–256. */
  weight: number;
}

/** The weights of one route's servers and how close they come to the split asked. */
export interface WeightPlan {
  /** Pools in name order, each pool's backends in config order. */
  servers: ServerWeight[];
  /** Share of the route each pool of the split gets with these weights (0–1), every server up. */
  shares: Record<string, number>;
  /** Largest gap between a pool's share and the share asked, as a fraction. */
  maxError: number;
}

/**
 * HAProxy server weights that give each pool of `split` its share of a route whose servers are the
 * backends of those pools, in one HAProxy backend (a server's share is its weight over the sum of
 * the weights: `balance roundrobin` keeps it exactly).
 *
 * Pool totals first, then each total split among the pool's backends:
 * - A pool may hold at most `cap = ⌊256 · Σw / max w⌋` weight (w: piper's backend weights), the most
 *   that keeps its backends' weights in piper's proportions with none over 256.
 * - For a total T, each pool gets T × its share, rounded by largest remainders (Hamilton's
 *   method), so each pool is less than 1 off and its share less than 1/T off. The largest T that
 *   no cap refuses is ⌊min cap / share⌋ ≥ 256, so the error is under 1/256 = 0.39 points; the
 *   256 totals below it are tried too and the closest result kept (ties: the larger total).
 * - A pool asked for any traffic gets at least weight 1 (else HAProxy sends it none), unless
 *   that alone would put some share 0.5 points or more off: possible only when pools asked for
 *   under 1/T of the route (0.39 %) sit beside a pool whose cap is nearly all of T; then the
 *   closest weights are used even if such a pool gets 0.
 * - Within a pool the total is split by largest remainders in proportion to piper's weights; at
 *   small shares some backends get 0 so that the pool's share stays right.
 *
 * Shares hold while every server is up: HAProxy spreads a down server's part over all the others,
 * whichever pool they are in, where piper keeps the pool's share on its remaining backends.
 */
export function serverWeights(split: Readonly<Record<string, number>>, pools: Readonly<Record<string, WeightedPool>>): WeightPlan {
  const names = Object.keys(split).sort();
  let total = 0;
  for (const name of names) {
    const share = split[name] as number;
    if (!Number.isFinite(share) || share < 0) badSplit(`weight of pool "${name}" must be a finite number ≥ 0 (got ${share})`);
    const pool = pools[name];
    if (pool === undefined || pool.backends.length === 0)
      badSplit(`pool "${name}" has no backends here (pools: ${Object.keys(pools).join(', ') || 'none'})`);
    total += share;
  }
  if (total <= 0) badSplit('at least one pool needs a weight above 0');
  const asked = new Map(names.map((n) => [n, (split[n] as number) / total]));
  const positive = names.filter((n) => (asked.get(n) as number) > 0);
  const caps = new Map(positive.map((n) => [n, poolCap((pools[n] as WeightedPool).backends)]));

  let totals: Map<string, number>;
  if (positive.length === 1) {
    const only = positive[0] as string;
    totals = new Map([[only, caps.get(only) as number]]);
  } else {
    totals = closestTotals(positive, asked, caps);
  }

  const servers: ServerWeight[] = [];
  for (const name of names) {
    const backends = (pools[name] as WeightedPool).backends;
    const weights = apportion(
      totals.get(name) ?? 0,
      backends.map((b) => b.weight),
    );
    backends.forEach((b, i) => {
      servers.push({ pool: name, backend: b.name, weight: weights[i] as number });
    });
  }
  const sum = [...totals.values()].reduce((a, b) => a + b, 0);
  const shares: Record<string, number> = {};
  let maxError = 0;
  for (const name of names) {
    const share = (totals.get(name) ?? 0) / sum;
    shares[name] = share;
    maxError = Math.max(maxError, Math.abs(share - (asked.get(name) as number)));
  }
  return { servers, shares, maxError };
}

/** The most weight a pool can hold with its backends' weights in piper's proportions, none over 256. */
function poolCap(backends: readonly WeightedBackend[]): number {
  let sum = 0;
  let max = 0;
  for (const b of backends) {
    sum += b.weight;
    max = Math.max(max, b.weight);
  }
  return Math.floor((MAX_SERVER_WEIGHT * sum) / max + 1e-9);
}

interface Candidate {
  totals: Map<string, number>;
  error: number;
}

function closestTotals(
  positive: readonly string[],
  asked: ReadonlyMap<string, number>,
  caps: ReadonlyMap<string, number>,
): Map<string, number> {
  let top = Number.POSITIVE_INFINITY;
  for (const name of positive) top = Math.min(top, (caps.get(name) as number) / (asked.get(name) as number));
  top = Math.floor(top + 1e-9);
  let nearest: Candidate | null = null;
  let nearestServed: Candidate | null = null;
  for (let t = top; t >= Math.max(positive.length, top - SEARCH_WIDTH); t--) {
    const quotas = positive.map((n) => t * (asked.get(n) as number));
    const rounded = apportion(t, quotas);
    if (positive.some((n, i) => (rounded[i] as number) > (caps.get(n) as number))) continue;
    const plain = candidate(positive, rounded, asked);
    if (nearest === null || plain.error < nearest.error - 1e-12) nearest = plain;
    const served = candidate(
      positive,
      rounded.map((w) => Math.max(w, 1)),
      asked,
    );
    if (nearestServed === null || served.error < nearestServed.error - 1e-12) nearestServed = served;
  }
  if (nearestServed !== null && nearestServed.error < SHARE_TOLERANCE) return nearestServed.totals;
  if (nearest === null) throw new Error('unreachable: the largest total always fits the caps');
  return nearest.totals;
}

function candidate(names: readonly string[], totals: readonly number[], asked: ReadonlyMap<string, number>): Candidate {
  const sum = totals.reduce((a, b) => a + b, 0);
  let error = 0;
  names.forEach((n, i) => {
    error = Math.max(error, Math.abs((totals[i] as number) / sum - (asked.get(n) as number)));
  });
  return { totals: new Map(names.map((n, i) => [n, totals[i] as number])), error };
}

/**
 * `total` split in proportion to `parts` by largest remainders (Hamilton's method): each result is
 * its exact quota rounded down or up, and they sum to `total`. Ties go to the earlier part.
 */
function apportion(total: number, parts: readonly number[]): number[] {
  const sum = parts.reduce((a, b) => a + b, 0);
  if (total === 0 || sum === 0) return parts.map(() => 0);
  const exact = parts.map((p) => (total * p) / sum);
  const result = exact.map((q) => Math.floor(q + 1e-9));
  let left = total - result.reduce((a, b) => a + b, 0);
  const order = exact.map((q, i) => ({ i, rest: q - (result[i] as number) })).sort((a, b) => b.rest - a.rest || a.i - b.i);
  for (const { i } of order) {
    if (left <= 0) break;
    result[i] = (result[i] as number) + 1;
    left--;
  }
  return result;
}

function badSplit(message: string): never {
  throw new PiperError(haproxyErrors.PIPER_HAPROXY_BAD_SPLIT, `cannot weigh HAProxy servers for this split: ${message}`);
}
