import type { JournalEvent } from '../journal/index.ts';

/** A pool's certified capacity: the latest `capacity.result` event from `piper capacity`. */
export interface CapacityCertificate {
  pool: string;
  capacityRps: number;
  certifiedAt: number;
  /** Journal event id of the result, so a decision points at its evidence. */
  eventId: number;
  target: string | null;
}

/** Load figures the gate projects from. */
export interface RouteLoad {
  /** Requests per second of the route in the latest window. */
  currentRps: number;
  /** Highest per-second rate over the recent peak window. */
  peakRps: number;
  /** Configured expected peak of the route, when set. */
  expectedPeakRps: number | null;
}

export interface GateInput extends RouteLoad {
  pool: string;
  /** Share of the route the pool would carry, 0..1. */
  share: number;
  capacity: CapacityCertificate | null;
  headroom: number;
}

export type GateReason = 'ok' | 'no_capacity_result' | 'over_capacity';

/** The gate's verdict with every figure behind it (journaled as is). */
export interface GateResult {
  passed: boolean;
  reason: GateReason;
  pool: string;
  share: number;
  /** share × max(current, peak, expected peak). */
  projectedRps: number;
  basisRps: number;
  basis: 'current' | 'peak' | 'expectedPeak';
  currentRps: number;
  peakRps: number;
  expectedPeakRps: number | null;
  capacityRps: number | null;
  certifiedAt: number | null;
  capacityEventId: number | null;
  headroom: number;
  /** capacity / headroom: the most the pool may be given. */
  allowedRps: number | null;
}

/**
 * The capacity gate: projected load = share × max(current rate, recent peak, expected peak) must
 * stay within certified capacity / headroom. No certificate means no pass: an untested pool is
 * exactly what took Pied Piper down (DESIGN.md).
 */
export function evaluateGate(input: GateInput): GateResult {
  const basis = loadBasis(input);
  const projectedRps = input.share * basis.rps;
  const capacityRps = input.capacity?.capacityRps ?? null;
  const allowedRps = capacityRps === null ? null : capacityRps / input.headroom;
  const passed = allowedRps !== null && projectedRps <= allowedRps;
  return {
    passed,
    reason: allowedRps === null ? 'no_capacity_result' : passed ? 'ok' : 'over_capacity',
    pool: input.pool,
    share: input.share,
    projectedRps: round(projectedRps),
    basisRps: round(basis.rps),
    basis: basis.name,
    currentRps: round(input.currentRps),
    peakRps: round(input.peakRps),
    expectedPeakRps: input.expectedPeakRps,
    capacityRps,
    certifiedAt: input.capacity?.certifiedAt ?? null,
    capacityEventId: input.capacity?.eventId ?? null,
    headroom: input.headroom,
    allowedRps: allowedRps === null ? null : round(allowedRps),
  };
}

/**
 * The index of the highest step (in percent to the target, ascending) up to `upTo` the gate passes
 * at, or -1 when none does (0 % to the target).
 */
export function lastSafeStep(steps: readonly number[], upTo: number, gate: (share: number) => GateResult): number {
  for (let i = Math.min(upTo, steps.length - 1); i >= 0; i--) {
    if (gate((steps[i] as number) / 100).passed) return i;
  }
  return -1;
}

/**
 * Whether the source pool can carry `share` of the route's current load on its certified capacity
 * (no headroom: this is an emergency move, not a plan). Without a certificate the source is
 * assumed able, since it carried the route before the migration.
 */
export function sourceCanAbsorb(currentRps: number, share: number, capacity: CapacityCertificate | null): boolean {
  return capacity === null || currentRps * share <= capacity.capacityRps;
}

/** The newest valid certificate for `pool` among `capacity.result` events (data shape: docs/loadgen.md). */
export function latestCapacity(events: readonly JournalEvent[], pool: string, notBefore: number): CapacityCertificate | null {
  let best: CapacityCertificate | null = null;
  for (const e of events) {
    if (e.kind !== 'capacity.result') continue;
    const data = e.data;
    const eventPool = typeof data.pool === 'string' ? data.pool : e.subject;
    if (eventPool !== pool) continue;
    const capacityRps = data.capacityRps;
    if (typeof capacityRps !== 'number' || !Number.isFinite(capacityRps) || capacityRps < 0) continue;
    const certifiedAt = typeof data.certifiedAt === 'number' ? data.certifiedAt : e.time;
    if (certifiedAt < notBefore) continue;
    if (best === null || certifiedAt >= best.certifiedAt) {
      best = { pool, capacityRps, certifiedAt, eventId: e.id, target: typeof data.target === 'string' ? data.target : null };
    }
  }
  return best;
}

function loadBasis(load: RouteLoad): { name: GateResult['basis']; rps: number } {
  let best: { name: GateResult['basis']; rps: number } = { name: 'current', rps: load.currentRps };
  if (load.peakRps > best.rps) best = { name: 'peak', rps: load.peakRps };
  if (load.expectedPeakRps !== null && load.expectedPeakRps > best.rps) best = { name: 'expectedPeak', rps: load.expectedPeakRps };
  return best;
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}
