import { PiperError } from '../core/index.ts';
import type { Split } from '../data-plane/index.ts';
import { dataPlaneErrors } from '../data-plane/index.ts';

/**
 * Checks a split from an operator or the controller: an object of known pool names to integer
 * weights 0..10000, at least one above 0. Returns a frozen copy.
 */
export function validateSplit(split: unknown, pools: ReadonlySet<string>, key: string): Split {
  const fail = (message: string): never => {
    throw new PiperError(dataPlaneErrors.PIPER_BALANCER_INVALID_SPLIT, `${key}: ${message}`);
  };
  if (split === null || typeof split !== 'object' || Array.isArray(split)) return fail('must be an object of pool names to weights');
  const out: Record<string, number> = {};
  let total = 0;
  for (const [pool, weight] of Object.entries(split)) {
    if (!pools.has(pool)) fail(`unknown pool "${pool}" (pools: ${[...pools].join(', ')})`);
    if (typeof weight !== 'number' || !Number.isInteger(weight) || weight < 0 || weight > 10_000) {
      fail(`weight of "${pool}" must be an integer from 0 to 10000, got ${JSON.stringify(weight)}`);
    }
    out[pool] = weight as number;
    total += weight as number;
  }
  if (total === 0) fail('at least one pool needs a weight above 0');
  return Object.freeze(out);
}
