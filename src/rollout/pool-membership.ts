import { createHash } from 'node:crypto';
import type { DataPlaneSnapshot } from '../data-plane/index.ts';

/** One backend as a capacity result certifies it: who, where, and how much of the pool's traffic. */
export interface MemberBackend {
  name: string;
  url: string;
  weight: number;
}

/**
 * A pool's membership as the control plane saw it: its backends sorted by name and URL, and the
 * SHA-256 of that list. A capacity result records it; the gate compares it with the pool now.
 */
export interface PoolMembership {
  fingerprint: string;
  backends: MemberBackend[];
}

/** How a pool's membership changed since a certificate: backends added, removed, or changed in place. */
export interface MembershipChange {
  added: MemberBackend[];
  removed: MemberBackend[];
  /** Same name, another URL or weight: certified first, current second. */
  changed: { certified: MemberBackend; current: MemberBackend }[];
}

/** The membership of `pool` in a data-plane snapshot, or null when the data plane has no such pool. */
export function poolMembership(snapshot: DataPlaneSnapshot, pool: string): PoolMembership | null {
  const state = snapshot.pools.find((p) => p.name === pool);
  if (state === undefined) return null;
  return membershipOf(state.backends.map((b) => ({ name: b.name, url: b.url, weight: b.weight })));
}

/** Sorts the backends and fingerprints them; the order they were listed in does not matter. */
export function membershipOf(backends: readonly MemberBackend[]): PoolMembership {
  const sorted = backends
    .map((b) => ({ name: b.name, url: b.url, weight: b.weight }))
    .sort((a, b) => compare(a.name, b.name) || compare(a.url, b.url) || a.weight - b.weight);
  const fingerprint = createHash('sha256')
    .update(JSON.stringify(sorted.map((b) => [b.name, b.url, b.weight])))
    .digest('hex');
  return { fingerprint, backends: sorted };
}

/** Reads a recorded membership back from event data (null when absent or malformed). */
export function readMembership(value: unknown): PoolMembership | null {
  if (value === null || typeof value !== 'object') return null;
  const v = value as { fingerprint?: unknown; backends?: unknown };
  if (typeof v.fingerprint !== 'string' || !Array.isArray(v.backends)) return null;
  const backends: MemberBackend[] = [];
  for (const b of v.backends as unknown[]) {
    const m = b as Partial<MemberBackend> | null;
    if (m === null || typeof m.name !== 'string' || typeof m.url !== 'string' || typeof m.weight !== 'number') return null;
    backends.push({ name: m.name, url: m.url, weight: m.weight });
  }
  return { fingerprint: v.fingerprint, backends };
}

/** What differs between a certified membership and the current one, backend by backend (by name). */
export function membershipChange(certified: PoolMembership, current: PoolMembership): MembershipChange {
  const before = new Map(certified.backends.map((b) => [b.name, b]));
  const after = new Map(current.backends.map((b) => [b.name, b]));
  const change: MembershipChange = { added: [], removed: [], changed: [] };
  for (const [name, b] of after) {
    const was = before.get(name);
    if (was === undefined) change.added.push(b);
    else if (was.url !== b.url || was.weight !== b.weight) change.changed.push({ certified: was, current: b });
  }
  for (const [name, b] of before) if (!after.has(name)) change.removed.push(b);
  return change;
}

/** `+inhouse-3, -inhouse-1, ~inhouse-2 (weight 100 → 200)`: a change for people. */
export function describeChange(c: MembershipChange): string {
  const parts = [
    ...c.added.map((b) => `+${b.name}`),
    ...c.removed.map((b) => `-${b.name}`),
    ...c.changed.map(({ certified: was, current: now }) => {
      const what = [
        ...(was.url === now.url ? [] : [`url ${was.url} → ${now.url}`]),
        ...(was.weight === now.weight ? [] : [`weight ${was.weight} → ${now.weight}`]),
      ];
      return `~${now.name} (${what.join(', ')})`;
    }),
  ];
  return parts.join(', ');
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
