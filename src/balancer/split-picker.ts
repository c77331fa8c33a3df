import type { Random } from '../core/index.ts';
import type { Split } from '../data-plane/index.ts';

/** 32-bit FNV-1a: a cheap, stable hash for sticky keys. */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * Picks a pool of a split by weight among the pools `usable` accepts. Pools are laid out on
 * [0, total) in name order, so a sticky key (hashed to a fixed point) stays on its pool while
 * weights move, except for the share that actually moves. Without a key the point is random.
 * Returns null when no usable pool has weight.
 */
export function pickPool(
  split: Split,
  names: readonly string[],
  usable: (pool: string) => boolean,
  random: Random,
  stickyKey: string | null,
): string | null {
  let total = 0;
  for (const name of names) {
    const w = split[name] ?? 0;
    if (w > 0 && usable(name)) total += w;
  }
  if (total === 0) return null;
  const point = stickyKey === null ? random.next() * total : (fnv1a(stickyKey) / 4294967296) * total;
  let acc = 0;
  let last: string | null = null;
  for (const name of names) {
    const w = split[name] ?? 0;
    if (w <= 0 || !usable(name)) continue;
    acc += w;
    last = name;
    if (point < acc) return name;
  }
  return last;
}

/** The value of one cookie in a Cookie header, or null. */
export function readCookie(header: string | undefined, name: string): string | null {
  if (header === undefined) return null;
  let start = 0;
  while (start < header.length) {
    let end = header.indexOf(';', start);
    if (end < 0) end = header.length;
    const eq = header.indexOf('=', start);
    if (eq > start && eq < end && header.slice(start, eq).trim() === name) return header.slice(eq + 1, end).trim();
    start = end + 1;
  }
  return null;
}
