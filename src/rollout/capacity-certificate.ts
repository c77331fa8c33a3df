import type { JournalEvent } from '../journal/index.ts';
import { type PoolMembership, readMembership } from './pool-membership.ts';

/** The objective a capacity result was certified under: the latency bound at a percentile, and an error bound. */
export interface CertifiedObjective {
  latencyMs: number;
  /** 99 for a p99 bound. */
  percentile: number;
  maxErrorRatio: number;
}

/** One kind of request the capacity trials sent, and its share of them. */
export interface CertifiedRequest {
  method: string;
  path: string;
  share: number;
  bodyBytes: number;
}

/** A pool's certified capacity: one `capacity.result` event (from `piper capacity`), read back. */
export interface CapacityCertificate {
  pool: string;
  capacityRps: number;
  /**
   * When it was certified: the result's `certifiedAt`, but never later than the control plane
   * recorded it (`recordedAt`), so a result cannot make itself younger than it is.
   */
  certifiedAt: number;
  /** Journal event id of the result, so a decision points at its evidence. */
  eventId: number;
  target: string | null;
  /** Null when the result records no SLO (it cannot show it is strict enough). */
  objective: CertifiedObjective | null;
  /** The pool's membership when the control plane recorded the result; null when not recorded. */
  membership: PoolMembership | null;
  /** The request mix the trials sent; null when the result does not say. */
  mix: CertifiedRequest[] | null;
}

/**
 * Every valid certificate for `pool` among `capacity.result` events (data shape: docs/loadgen.md
 * and docs/rollout.md), newest first (by certification time, then by event id).
 */
export function capacityCertificates(events: readonly JournalEvent[], pool: string): CapacityCertificate[] {
  const certs: CapacityCertificate[] = [];
  for (const e of events) {
    if (e.kind !== 'capacity.result') continue;
    const data = e.data;
    const eventPool = typeof data.pool === 'string' ? data.pool : e.subject;
    if (eventPool !== pool) continue;
    const capacityRps = data.capacityRps;
    if (typeof capacityRps !== 'number' || !Number.isFinite(capacityRps) || capacityRps < 0) continue;
    const claimed = typeof data.certifiedAt === 'number' ? data.certifiedAt : e.time;
    const recordedAt = typeof data.recordedAt === 'number' ? data.recordedAt : e.time;
    certs.push({
      pool,
      capacityRps,
      certifiedAt: Math.min(claimed, recordedAt),
      eventId: e.id,
      target: typeof data.target === 'string' ? data.target : null,
      objective: readObjective(data.slo),
      membership: readMembership(data.membership),
      mix: readMix(data.mix),
    });
  }
  return certs.sort((a, b) => b.certifiedAt - a.certifiedAt || b.eventId - a.eventId);
}

function readObjective(slo: unknown): CertifiedObjective | null {
  if (slo === null || typeof slo !== 'object') return null;
  const s = slo as { p99Ms?: unknown; maxErrorRatio?: unknown };
  if (typeof s.p99Ms !== 'number' || !(s.p99Ms > 0) || typeof s.maxErrorRatio !== 'number' || !(s.maxErrorRatio >= 0)) return null;
  return { latencyMs: s.p99Ms, percentile: 99, maxErrorRatio: s.maxErrorRatio };
}

function readMix(mix: unknown): CertifiedRequest[] | null {
  if (!Array.isArray(mix)) return null;
  const out: CertifiedRequest[] = [];
  for (const r of mix as unknown[]) {
    const m = r as Partial<CertifiedRequest> | null;
    if (m === null || typeof m.method !== 'string' || typeof m.path !== 'string' || typeof m.share !== 'number') return null;
    out.push({ method: m.method, path: m.path, share: m.share, bodyBytes: typeof m.bodyBytes === 'number' ? m.bodyBytes : 0 });
  }
  return out;
}
