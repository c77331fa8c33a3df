import { formatDuration } from '../core/index.ts';
import type { CertifiedObjective } from './capacity-certificate.ts';
import { describeChange, type MembershipChange } from './pool-membership.ts';

/** What a route's SLO asks of a capacity certificate (the same figures the SLO monitor uses). */
export interface RouteLimits {
  /** The route's latency threshold. */
  latencyMs: number;
  /** Share of requests that must beat it, as a percentile (99 for 99 %). */
  percentile: number;
  /** The route's error budget rate: 1 − availability. */
  maxErrorRatio: number;
}

/** A dimension in which a certificate's objective is looser than the route's SLO. */
export type LooserPart = 'latency' | 'percentile' | 'errors';

/** How the load the gate projects from was chosen. */
export type LoadBasis = 'current' | 'peak' | 'expectedPeak';

/**
 * One reason the gate refuses, with its numbers (journaled as is; `message` is for people). The
 * certificate checks (objective, membership, age) decide whether a capacity result counts at all;
 * `capacity` is the projection against the one that counts.
 */
export type GateRefusal =
  | { check: 'no_capacity_result'; message: string; pool: string }
  | {
      check: 'objective';
      message: string;
      certificate: number;
      /** Null when the result records no SLO. */
      certified: CertifiedObjective | null;
      route: RouteLimits;
      looser: LooserPart[];
    }
  | {
      check: 'membership';
      message: string;
      certificate: number;
      /** Fingerprint recorded with the result (null: none recorded). */
      certified: string | null;
      /** Fingerprint of the pool now (null: the data plane shows no such pool). */
      current: string | null;
      added: string[];
      removed: string[];
      changed: string[];
    }
  | { check: 'age'; message: string; certificate: number; certifiedAt: number; ageMs: number; maxAgeMs: number }
  | {
      check: 'capacity';
      message: string;
      certificate: number;
      capacityRps: number;
      headroom: number;
      share: number;
      basis: LoadBasis;
      basisRps: number;
      projectedRps: number;
      /** projected × headroom: the capacity the step needs. */
      requiredRps: number;
    };

/** The kinds of refusal, in the order they are reported. */
export type GateCheck = GateRefusal['check'];

export function noResultRefusal(pool: string): GateRefusal {
  return { check: 'no_capacity_result', message: `no capacity result for pool "${pool}" (run piper capacity against it first)`, pool };
}

/** `objective looser than the route's SLO: certified p99<10s, errors<90%; route needs p99<300ms, errors<0.1%`. */
export function objectiveRefusal(
  certificate: number,
  certified: CertifiedObjective | null,
  route: RouteLimits,
  looser: LooserPart[],
): GateRefusal {
  const need = `route needs ${latencyText(route.percentile, route.latencyMs)}, errors<${ratioText(route.maxErrorRatio)}`;
  if (certified === null) {
    return {
      check: 'objective',
      message: `objective unknown: the capacity result records no SLO; ${need}`,
      certificate,
      certified,
      route,
      looser,
    };
  }
  const latencyLooser = looser.includes('latency') || looser.includes('percentile');
  const cert = [
    ...(latencyLooser ? [latencyText(certified.percentile, certified.latencyMs)] : []),
    ...(looser.includes('errors') ? [`errors<${ratioText(certified.maxErrorRatio)}`] : []),
  ];
  const wanted = [
    ...(latencyLooser ? [latencyText(route.percentile, route.latencyMs)] : []),
    ...(looser.includes('errors') ? [`errors<${ratioText(route.maxErrorRatio)}`] : []),
  ];
  return {
    check: 'objective',
    message: `objective looser than the route's SLO: certified ${cert.join(', ')}; route needs ${wanted.join(', ')}`,
    certificate,
    certified,
    route,
    looser,
  };
}

/** `stale: pool membership changed since certification (fingerprint a1b2c3d4 → c3d4e5f6): +x, -y`. */
export function membershipRefusal(
  certificate: number,
  certified: string | null,
  current: string | null,
  change: MembershipChange | null,
): GateRefusal {
  const names = (list: { name: string }[]) => list.map((b) => b.name);
  const facts = {
    check: 'membership' as const,
    certificate,
    certified,
    current,
    added: names(change?.added ?? []),
    removed: names(change?.removed ?? []),
    changed: (change?.changed ?? []).map((c) => c.current.name),
  };
  if (certified === null) {
    return {
      ...facts,
      message:
        'stale: the capacity result records no pool membership (it was not recorded through the control plane); re-run piper capacity with --admin',
    };
  }
  if (current === null) return { ...facts, message: 'stale: the pool certified is not in the data plane now' };
  const what = change === null ? '' : describeChange(change);
  return {
    ...facts,
    message: `stale: pool membership changed since certification (fingerprint ${short(certified)} → ${short(current)})${what ? `: ${what}` : ''}`,
  };
}

/** `expired: certified 3h00m ago, older than migration.capacityMaxAge (1h00m)`: the key as written in piper.yaml. */
export function ageRefusal(certificate: number, certifiedAt: number, ageMs: number, maxAgeMs: number): GateRefusal {
  return {
    check: 'age',
    message: `expired: certified ${formatDuration(ageMs)} ago, older than migration.capacityMaxAge (${formatDuration(maxAgeMs)})`,
    certificate,
    certifiedAt,
    ageMs,
    maxAgeMs,
  };
}

/** `over capacity: certified 24.7/s < 2 × peak 30/s = 60/s`; rates rounded as people read them (the figures keep every digit). */
export function capacityRefusal(f: Omit<Extract<GateRefusal, { check: 'capacity' }>, 'check' | 'message'>): GateRefusal {
  const basis = f.basis === 'expectedPeak' ? 'expected peak' : f.basis === 'current' ? 'current rate' : 'peak';
  const load = f.share === 1 ? `${basis} ${rate(f.basisRps)}` : `${round(f.share * 100)}% of ${basis} ${rate(f.basisRps)}`;
  return {
    check: 'capacity',
    message: `over capacity: certified ${rate(f.capacityRps)} < ${f.headroom} × ${load} = ${rate(f.requiredRps)}`,
    ...f,
  };
}

/** `p99<300ms`, `p99.9<1.5s`. */
export function latencyText(percentile: number, ms: number): string {
  return `p${round(percentile)}<${ms < 1000 ? `${round(ms)}ms` : `${round(ms / 1000)}s`}`;
}

/** `0.1%`, `90%`. */
export function ratioText(ratio: number): string {
  return `${Number((ratio * 100).toPrecision(3))}%`;
}

/** `310/s`, `56.6/s`, `4.25/s`: three significant digits, whole numbers from 100 up. */
function rate(rps: number): string {
  return `${rps >= 100 ? Math.round(rps) : Number(rps.toPrecision(3))}/s`;
}

function short(fingerprint: string): string {
  return fingerprint.slice(0, 8);
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}
