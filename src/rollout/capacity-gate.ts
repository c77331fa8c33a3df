import type { CapacityCertificate, CertifiedObjective, CertifiedRequest } from './capacity-certificate.ts';
import { type CertificateRequirements, chooseCertificate, type SkippedCertificate } from './certificate-choice.ts';
import { capacityRefusal, type GateRefusal, type LoadBasis, noResultRefusal, type RouteLimits } from './gate-refusal.ts';

/** What the route carried over the peak window, beside the request mix a certificate measured. */
export interface ObservedTraffic {
  windowMs: number;
  requests: number;
  /** Mean bytes read from clients per request (request line, headers and body); null when not recorded. */
  bytesInPerRequest: number | null;
  /** Mean bytes sent to clients per request; null when not recorded. */
  bytesOutPerRequest: number | null;
}

/** Load figures the gate projects from. */
export interface RouteLoad {
  /** Requests per second of the route in the latest window. */
  currentRps: number;
  /** Highest per-second rate over the recent peak window. */
  peakRps: number;
  /** Configured expected peak of the route, when set. */
  expectedPeakRps: number | null;
  /** The route's traffic over the peak window, shown beside the certified mix. */
  observed?: ObservedTraffic | null;
}

export interface GateInput extends RouteLoad {
  pool: string;
  /** Share of the route the pool would carry, 0..1. */
  share: number;
  /** The pool's capacity results, newest first (see capacityCertificates). */
  certificates: readonly CapacityCertificate[];
  /** What a certificate must satisfy to count. */
  requirements: CertificateRequirements;
  headroom: number;
}

/** The first refusal's kind, for a glance; `refusals` holds every one. */
export type GateReason = 'ok' | 'no_capacity_result' | 'objective_looser' | 'stale_membership' | 'expired' | 'over_capacity';

/** The gate's verdict with every figure behind it (journaled as is). */
export interface GateResult {
  passed: boolean;
  reason: GateReason;
  /** Every reason it refuses, with the numbers, in the order objective, membership, age, capacity; empty when it passes. */
  refusals: GateRefusal[];
  pool: string;
  share: number;
  /** share × max(current, peak, expected peak). */
  projectedRps: number;
  basisRps: number;
  basis: LoadBasis;
  currentRps: number;
  peakRps: number;
  expectedPeakRps: number | null;
  /** Of the certificate the gate went by (the newest one when none counts). */
  capacityRps: number | null;
  certifiedAt: number | null;
  capacityEventId: number | null;
  headroom: number;
  /** capacity / headroom: the most the pool may be given. */
  allowedRps: number | null;
  /** What a certificate had to meet: the route's SLO as limits, the pool's membership now, the age limit. */
  requires: { objective: RouteLimits; fingerprint: string | null; maxAgeMs: number };
  /** The certificate the figures come from, and whether it counts. */
  certificate: { eventId: number; counts: boolean; objective: CertifiedObjective | null; fingerprint: string | null } | null;
  /** Newer certificates that do not count, and why (at most 5). */
  skipped: SkippedCertificate[];
  /** The request mix the certificate measured beside the route's observed traffic; shown, not judged. */
  mix: { certified: CertifiedRequest[] | null; observed: ObservedTraffic | null };
}

const REASONS: Record<GateRefusal['check'], GateReason> = {
  no_capacity_result: 'no_capacity_result',
  objective: 'objective_looser',
  membership: 'stale_membership',
  age: 'expired',
  capacity: 'over_capacity',
};
const MIX_SHOWN = 10;

/**
 * The capacity gate: projected load = share × max(current rate, recent peak, expected peak) must
 * stay within certified capacity / headroom, and the certificate must count: under an objective
 * at least as strict as the route's SLO, for the pool's current membership, younger than
 * `capacityMaxAge`. No certificate means no pass: an untested pool is exactly what took Pied
 * Piper down (DESIGN.md).
 */
export function evaluateGate(input: GateInput): GateResult {
  const choice = chooseCertificate(input.certificates, input.requirements);
  const cert = choice.evaluated;
  const basis = loadBasis(input);
  const projectedRps = input.share * basis.rps;
  const capacityRps = cert?.capacityRps ?? null;
  const allowedRps = capacityRps === null ? null : capacityRps / input.headroom;
  const refusals: GateRefusal[] = cert === null ? [noResultRefusal(input.pool)] : [...choice.problems];
  if (cert !== null && allowedRps !== null && projectedRps > allowedRps) {
    refusals.push(
      capacityRefusal({
        certificate: cert.eventId,
        capacityRps: cert.capacityRps,
        headroom: input.headroom,
        share: input.share,
        basis: basis.name,
        basisRps: round(basis.rps),
        projectedRps: round(projectedRps),
        requiredRps: round(projectedRps * input.headroom),
      }),
    );
  }
  const first = refusals[0];
  return {
    passed: first === undefined,
    reason: first === undefined ? 'ok' : REASONS[first.check],
    refusals,
    pool: input.pool,
    share: input.share,
    projectedRps: round(projectedRps),
    basisRps: round(basis.rps),
    basis: basis.name,
    currentRps: round(input.currentRps),
    peakRps: round(input.peakRps),
    expectedPeakRps: input.expectedPeakRps,
    capacityRps,
    certifiedAt: cert?.certifiedAt ?? null,
    capacityEventId: cert?.eventId ?? null,
    headroom: input.headroom,
    allowedRps: allowedRps === null ? null : round(allowedRps),
    requires: {
      objective: input.requirements.objective,
      fingerprint: input.requirements.membership?.fingerprint ?? null,
      maxAgeMs: input.requirements.maxAgeMs,
    },
    certificate:
      cert === null
        ? null
        : {
            eventId: cert.eventId,
            counts: choice.chosen !== null,
            objective: cert.objective,
            fingerprint: cert.membership?.fingerprint ?? null,
          },
    skipped: choice.skipped,
    mix: {
      certified: cert?.mix ? [...cert.mix].sort((a, b) => b.share - a.share).slice(0, MIX_SHOWN) : null,
      observed: input.observed ?? null,
    },
  };
}

/** The refusals as one line for people: `objective looser …; over capacity: …`. */
export function refusalText(gate: Pick<GateResult, 'refusals'>): string {
  return gate.refusals.map((r) => r.message).join('; ');
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
 * (no headroom: this is an emergency move, not a plan). Without a certificate that counts, the
 * source is assumed able, since it carried the route before the migration.
 */
export function sourceCanAbsorb(currentRps: number, share: number, capacity: CapacityCertificate | null): boolean {
  return capacity === null || currentRps * share <= capacity.capacityRps;
}

function loadBasis(load: RouteLoad): { name: LoadBasis; rps: number } {
  let best: { name: LoadBasis; rps: number } = { name: 'current', rps: load.currentRps };
  if (load.peakRps > best.rps) best = { name: 'peak', rps: load.peakRps };
  if (load.expectedPeakRps !== null && load.expectedPeakRps > best.rps) best = { name: 'expectedPeak', rps: load.expectedPeakRps };
  return best;
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}
