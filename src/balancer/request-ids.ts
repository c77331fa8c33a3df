import type { Random } from '../core/index.ts';

/**
 * Request ids for requests that came without one: a random 32-bit prefix per process (drawn again
 * when the counter wraps) and a counter, 16 hex digits in all. Unique, which is what an id is for,
 * and cheap: two random 32-bit numbers per request cost a slow double-to-hex conversion each.
 */
export function requestIds(random: Random): () => string {
  let prefix = '';
  let next = 0x40000000;
  return () => {
    if (next >= 0x40000000) {
      prefix = random.int(0x100000000).toString(16).padStart(8, '0');
      next = 0;
    }
    return prefix + (next++).toString(16).padStart(8, '0');
  };
}
