import type { DataPlaneSnapshot } from '../data-plane/index.ts';
import type { JournalEventInput } from '../journal/index.ts';
import { poolMembership } from './pool-membership.ts';

/**
 * What the control plane adds to a `capacity.result` as it records it: the certified pool's
 * membership as its data plane shows it now (null when it has no such pool), and when it was
 * recorded. The gate ties the certificate to these, so whatever the sender put under those keys
 * is replaced: a client cannot claim the membership it measured. Other events pass unchanged.
 */
export function recordCapacityResult(e: JournalEventInput, snapshot: DataPlaneSnapshot, now: number): JournalEventInput {
  if (e.kind !== 'capacity.result' || e.data === null || typeof e.data !== 'object' || Array.isArray(e.data)) return e;
  const pool = typeof e.data.pool === 'string' ? e.data.pool : e.subject;
  return { ...e, data: { ...e.data, membership: poolMembership(snapshot, pool), recordedAt: now } };
}
