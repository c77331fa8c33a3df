import { decodeUserIds } from '../core/index.ts';
import { computeImpact, type IncidentImpact, overlaps, sampleLength } from './incident-impact.ts';
import type { Incident } from './incident-manager.ts';
import type { RouteObjective } from './slo-monitor.ts';
import type { TrafficSample } from './traffic-sample.ts';

/** The users of an incident's impact period, and how many of them received a failure. */
export interface UserImpact {
  /** Distinct users with a request that ended in the impact period. */
  total: number;
  /** Of them, users who received at least one failure (shed included). */
  affected: number;
  /** `affected / total` (0 without users). */
  share: number;
  /** How users were told apart, in words to print beside the figure: `by sticky cookie`, `by client address`. */
  method: string;
  /** Some second of the period held more users than a window keeps ids of, or had no user ids: both counts are lower bounds. */
  lowerBound: boolean;
}

/**
 * The numbers of one incident, as docs/journal.md ("Numbers") defines them: what the report, the
 * API, `piper incidents`, the postmortem, the dashboard and the demo show, computed here only.
 */
export interface IncidentNumbers {
  /** The impact period: the incident's start (its first failure) to the end of its failures (see {@link impactPeriod}). */
  from: number;
  to: number;
  /** False when no traffic sample covers the period (pruned after `storage.sampleRetention`): the counts are unknown, not zero. */
  measured: boolean;
  /** Requests that ended in the seconds of the period, on the incident's routes. */
  requests: number;
  /** Requests whose client received a failure: 5xx (the balancer's own 502/503/504 and shed 503s included), a reset, a timeout. Once per client request. */
  failed: number;
  /** Of `failed`, requests the balancer shed (refused by load shedding). */
  shed: number;
  /** Not in `failed`: requests whose upstream attempt failed and a retry on another backend answered. */
  savedByRetry: number;
  /** `failed / requests` (0 without requests). */
  failedShare: number;
  /** Null when the data plane told no users apart in the period. */
  users: UserImpact | null;
  /** Impact start → detection (the alert, or the rollback that opened the incident). */
  detectMs: number;
  /** Impact start → traffic off the bad pool (the rollback or split that moved it); null until then. */
  mitigateMs: number | null;
  /** Impact start → resolved (its alerts stayed clear); null while open. */
  resolveMs: number | null;
}

/** An incident's impact period with its impact (per route and pool) and its numbers. */
export interface IncidentMeasure {
  impact: IncidentImpact;
  numbers: IncidentNumbers;
}

/** Traffic samples that can overlap a period starting at `from` begin at most this long before it (a window stretched by a blocked event loop). */
export const SAMPLE_LOOKBACK_MS = 60_000;

/**
 * The impact period of an incident: from its start (the exact time of its first failure where a
 * sample or the rollback recorded it) to its mitigation, or to its resolution (or `now`) while
 * unmitigated. After a mitigation that moved traffic, requests already on the pool it left still
 * end there: the period runs on through the seconds that still hold failures on the incident's
 * pools, so the failures of those requests are the incident's too.
 */
export function impactPeriod(incident: Incident, samples: readonly TrafficSample[], now: number): { from: number; to: number } {
  const from = incident.startedAt;
  const end = Math.max(incident.resolvedAt ?? now, from + 1);
  if (incident.mitigatedAt === undefined) return { from, to: end };
  let to = Math.min(end, Math.max(incident.mitigatedAt, from + 1));
  if (incident.mitigatedBy === 'traffic' || incident.pools.length === 0) return { from, to };
  // Window start → window end, for windows with failures on a pool of the incident (any route).
  const straggling = new Map<number, number>();
  for (const s of samples) {
    if (incident.pools.some((p) => (s.pools[p]?.failed ?? 0) + (s.pools[p]?.shed ?? 0) > 0)) {
      straggling.set(s.time, Math.max(straggling.get(s.time) ?? 0, s.time + sampleLength(s)));
    }
  }
  for (;;) {
    const holding = [...straggling].find(([start, stop]) => start <= to && stop > to);
    if (holding === undefined || to >= end) break;
    to = Math.min(holding[1], end);
  }
  return { from, to };
}

/**
 * Measures an incident from the samples of its routes (every route when it names none): `samples`
 * from {@link SAMPLE_LOOKBACK_MS} before its start to its resolution (or now).
 */
export function measureIncident(
  incident: Incident,
  samples: readonly TrafficSample[],
  objective: (route: string) => RouteObjective,
  periodMs: number,
  now: number,
): IncidentMeasure {
  const routes = new Set(incident.routes);
  const relevant = routes.size > 0 ? samples.filter((s) => routes.has(s.route)) : samples;
  const { from, to } = impactPeriod(incident, relevant, now);
  const inPeriod = relevant.filter((s) => overlaps(s, from, to));
  const impact = computeImpact(inPeriod, from, to, objective, periodMs);
  const failed = impact.failed + impact.shed;
  return {
    impact,
    numbers: {
      from,
      to,
      measured: inPeriod.length > 0,
      requests: impact.requests,
      failed,
      shed: impact.shed,
      savedByRetry: impact.savedByRetry,
      failedShare: impact.requests > 0 ? failed / impact.requests : 0,
      users: userImpact(inPeriod),
      detectMs: incident.detectedAt - incident.startedAt,
      mitigateMs: incident.mitigatedAt === undefined ? null : incident.mitigatedAt - incident.startedAt,
      resolveMs: incident.resolvedAt === undefined ? null : incident.resolvedAt - incident.startedAt,
    },
  };
}

/** The union of the samples' users: a user seen in several seconds is one user. */
function userImpact(samples: readonly TrafficSample[]): UserImpact | null {
  const all = new Set<number>();
  const failed = new Set<number>();
  const by = new Set<string>();
  let counted = false;
  let lowerBound = false;
  for (const s of samples) {
    if (s.users === undefined) {
      if (s.requests > 0) lowerBound = true;
      continue;
    }
    counted = true;
    if (s.users.capped) lowerBound = true;
    for (const id of decodeUserIds(s.users.ids)) all.add(id);
    for (const id of decodeUserIds(s.users.failedIds)) failed.add(id);
    for (const b of s.users.by) by.add(b);
  }
  if (!counted) return null;
  return { total: all.size, affected: failed.size, share: all.size > 0 ? failed.size / all.size : 0, method: methodOf(by), lowerBound };
}

/** `by sticky cookie`, `by client address`, `by sticky cookie, else client address`. */
function methodOf(by: ReadonlySet<string>): string {
  const keys = [by.has('cookie') ? 'sticky cookie' : '', by.has('header') ? 'sticky header' : ''].filter((k) => k !== '');
  if (keys.length === 0) return 'by client address';
  return `by ${keys.join(' or ')}${by.has('address') ? ', else client address' : ''}`;
}
