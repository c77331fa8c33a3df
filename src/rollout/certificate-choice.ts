import type { RouteObjective } from '../journal/index.ts';
import type { CapacityCertificate } from './capacity-certificate.ts';
import { ageRefusal, type GateRefusal, type LooserPart, membershipRefusal, objectiveRefusal, type RouteLimits } from './gate-refusal.ts';
import { membershipChange, type PoolMembership } from './pool-membership.ts';

/** What a certificate must satisfy to count for a route and pool now. */
export interface CertificateRequirements {
  /** The route's SLO as limits (see {@link routeLimits}). */
  objective: RouteLimits;
  /** The pool's membership now; null when the data plane shows no such pool. */
  membership: PoolMembership | null;
  now: number;
  /** `migration.capacityMaxAge`. */
  maxAgeMs: number;
}

/** A certificate that does not count, and why. */
export interface SkippedCertificate {
  eventId: number;
  capacityRps: number;
  certifiedAt: number;
  problems: GateRefusal[];
}

/** Which certificate the gate goes by. */
export interface CertificateChoice {
  /** The most recent certificate that qualifies (strict enough, current membership, young enough), or null. */
  chosen: CapacityCertificate | null;
  /**
   * What the capacity figures come from: the chosen certificate, or when none qualifies the
   * newest one (so a refusal still shows what was measured), or null when there is none at all.
   */
  evaluated: CapacityCertificate | null;
  /** Why `evaluated` does not count (empty when it is the chosen one). */
  problems: GateRefusal[];
  /** Certificates newer than the chosen one (all of them when none qualifies) that do not count; newest first, at most 5. */
  skipped: SkippedCertificate[];
}

const MAX_SKIPPED = 5;
/** Fractions from the config (0.999) are compared after rounding away float noise (1 − 0.999 ≠ 0.001). */
const PRECISION = 12;

/** A route's SLO as the limits a certificate must meet: the SLO monitor's objective, turned round. */
export function routeLimits(o: RouteObjective): RouteLimits {
  return {
    latencyMs: o.latencyThresholdMs,
    percentile: clean(o.latencyTarget * 100),
    maxErrorRatio: clean(1 - o.availability),
  };
}

/**
 * Why a certificate does not count: its objective is looser than the route's SLO (a higher
 * latency bound, a lower percentile, or a higher error bound), it certified another membership of
 * the pool than the current one, or it is older than `capacityMaxAge`. Empty when it counts.
 */
export function certificateProblems(cert: CapacityCertificate, req: CertificateRequirements): GateRefusal[] {
  const problems: GateRefusal[] = [];
  const looser = looserParts(cert, req.objective);
  if (looser.length > 0) problems.push(objectiveRefusal(cert.eventId, cert.objective, req.objective, looser));
  const certified = cert.membership;
  const current = req.membership;
  if (certified === null || current === null || certified.fingerprint !== current.fingerprint) {
    const change = certified !== null && current !== null ? membershipChange(certified, current) : null;
    problems.push(membershipRefusal(cert.eventId, certified?.fingerprint ?? null, current?.fingerprint ?? null, change));
  }
  const ageMs = Math.max(0, req.now - cert.certifiedAt);
  if (ageMs > req.maxAgeMs) problems.push(ageRefusal(cert.eventId, cert.certifiedAt, ageMs, req.maxAgeMs));
  return problems;
}

/**
 * The most recent certificate that qualifies counts: a newer one that does not (a looser
 * objective, another membership, too old) neither replaces it nor hides its refusal, and an
 * older one never outvotes a newer qualifying one. `certs` must be newest first.
 */
export function chooseCertificate(certs: readonly CapacityCertificate[], req: CertificateRequirements): CertificateChoice {
  const skipped: SkippedCertificate[] = [];
  let newestProblems: GateRefusal[] = [];
  for (const [i, cert] of certs.entries()) {
    const problems = certificateProblems(cert, req);
    if (problems.length === 0) return { chosen: cert, evaluated: cert, problems: [], skipped };
    if (i === 0) newestProblems = problems;
    if (skipped.length < MAX_SKIPPED)
      skipped.push({ eventId: cert.eventId, capacityRps: cert.capacityRps, certifiedAt: cert.certifiedAt, problems });
  }
  const newest = certs[0] ?? null;
  // The newest is the refusal's subject; listing it among the skipped too would say it twice.
  return { chosen: null, evaluated: newest, problems: newestProblems, skipped: skipped.slice(1) };
}

function looserParts(cert: CapacityCertificate, route: RouteLimits): LooserPart[] {
  const o = cert.objective;
  if (o === null) return ['latency', 'percentile', 'errors'];
  const parts: LooserPart[] = [];
  if (clean(o.latencyMs) > clean(route.latencyMs)) parts.push('latency');
  if (clean(o.percentile) < clean(route.percentile)) parts.push('percentile');
  if (clean(o.maxErrorRatio) > clean(route.maxErrorRatio)) parts.push('errors');
  return parts;
}

function clean(n: number): number {
  return Number(n.toPrecision(PRECISION));
}
