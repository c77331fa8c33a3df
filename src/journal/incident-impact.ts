import type { RouteObjective } from './slo-monitor.ts';
import type { PoolCounts, TrafficSample } from './traffic-sample.ts';

/** Counts of one route or pool over an incident. */
export interface ImpactCounts {
  requests: number;
  /** Failed requests, shed ones not included (see `shed`). */
  failed: number;
  shed: number;
  slow: number;
  /** Requests a retry saved (upstream failures the client never saw); in no `failed`. */
  savedByRetry: number;
}

/** User impact computed from traffic, never typed in. */
export interface IncidentImpact extends ImpactCounts {
  from: number;
  to: number;
  /** Failed + shed over requests. */
  badShare: number;
  /** Seconds whose error ratio exceeded the route's allowed ratio (1 − availability). */
  secondsBelowSlo: number;
  peakRps: number;
  routes: (ImpactCounts & { route: string; budgetSpent: number })[];
  /** Per pool: samples count requests, failures and shed requests per pool, not slow or saved ones. */
  pools: (PoolCounts & { pool: string })[];
  /** Share of the period's error budget this incident spent, summed over routes (1 = the whole budget). */
  budgetSpent: number;
}

/** A second is bad when its error ratio is over `burn` times the route's allowed ratio. */
export function isBadSecond(s: TrafficSample, objective: RouteObjective, burn: number): boolean {
  if (s.requests <= 0) return false;
  return (s.failed + s.shed) / s.requests > Math.min(1, burn * (1 - objective.availability));
}

/**
 * Walks back from `detectedAt` to the first bad second of the run that led to it (good seconds
 * shorter than `gapMs` do not end a run): the incident's start, backdated from the alert. The start
 * is that second's first failure when the sample has its time, else the second's start.
 */
export function findImpactStart(
  samples: readonly TrafficSample[],
  detectedAt: number,
  isBad: (s: TrafficSample) => boolean,
  gapMs: number,
): number | undefined {
  let start: number | undefined;
  let lastBad: number | undefined;
  for (let i = samples.length - 1; i >= 0; i--) {
    const s = samples[i] as TrafficSample;
    if (s.time >= detectedAt) continue;
    if (isBad(s)) {
      // The window's first failure where the data plane stamps it: the window starts up to a second early.
      start = s.firstFailureAt ?? s.time;
      lastBad = s.time;
    } else if (s.requests > 0 && lastBad !== undefined && lastBad - s.time > gapMs) {
      break;
    } else if (lastBad === undefined && detectedAt - s.time > gapMs) {
      break;
    }
  }
  return start;
}

/** The end of the last bad run at or after `from`: the first second after it, or undefined while still bad. */
export function findImpactEnd(
  samples: readonly TrafficSample[],
  from: number,
  isBad: (s: TrafficSample) => boolean,
  gapMs: number,
): number | undefined {
  let lastBad: number | undefined;
  let lastTime: number | undefined;
  for (const s of samples) {
    if (s.time < from) continue;
    lastTime = s.time;
    if (isBad(s)) lastBad = s.time;
  }
  if (lastBad === undefined) return undefined;
  if (lastTime === undefined || lastTime - lastBad < gapMs) return undefined;
  return lastBad + 1000;
}

/** The length of the window a sample covers, in ms. */
export function sampleLength(s: TrafficSample): number {
  return s.durationMs ?? 1000;
}

/**
 * Whether a sample's window overlaps [from, to). A window that holds the period's start counts
 * whole: it starts before the start (windows are whole seconds, a start is the exact time of a
 * failure), and skipping it would skip the very failures that started the incident.
 */
export function overlaps(s: TrafficSample, from: number, to: number): boolean {
  return s.time < to && s.time + sampleLength(s) > from;
}

/** Sums the samples whose windows overlap [from, to) into the impact of an incident. */
export function computeImpact(
  samples: readonly TrafficSample[],
  from: number,
  to: number,
  objectiveOf: (route: string) => RouteObjective,
  periodMs: number,
): IncidentImpact {
  const zero = (): ImpactCounts => ({ requests: 0, failed: 0, shed: 0, slow: 0, savedByRetry: 0 });
  const total = zero();
  const routes = new Map<string, ImpactCounts>();
  const pools = new Map<string, PoolCounts>();
  const perSecond = new Map<number, number>();
  let secondsBelowSlo = 0;
  for (const s of samples) {
    if (!overlaps(s, from, to)) continue;
    const r = routes.get(s.route) ?? zero();
    routes.set(s.route, r);
    for (const c of [total, r]) {
      c.requests += s.requests;
      c.failed += s.failed;
      c.shed += s.shed;
      c.slow += s.slow;
      c.savedByRetry += s.savedByRetry ?? 0;
    }
    for (const [name, p] of Object.entries(s.pools)) {
      const pc = pools.get(name) ?? { requests: 0, failed: 0, shed: 0 };
      pools.set(name, pc);
      pc.requests += p.requests;
      pc.failed += p.failed;
      pc.shed += p.shed;
    }
    perSecond.set(s.time, (perSecond.get(s.time) ?? 0) + s.requests);
    if (isBadSecond(s, objectiveOf(s.route), 1)) secondsBelowSlo++;
  }
  const durationMs = Math.max(0, to - from);
  const routeList = [...routes].map(([route, c]) => {
    const budget = 1 - objectiveOf(route).availability;
    const ratio = c.requests > 0 ? (c.failed + c.shed) / c.requests : 0;
    // Burn rate × duration / period: the share of the period's budget spent (SRE Workbook).
    const budgetSpent = budget > 0 ? ((ratio / budget) * durationMs) / periodMs : 0;
    return { route, ...c, budgetSpent };
  });
  return {
    from,
    to,
    ...total,
    badShare: total.requests > 0 ? (total.failed + total.shed) / total.requests : 0,
    secondsBelowSlo,
    peakRps: Math.max(0, ...perSecond.values()),
    routes: routeList.sort((a, b) => a.route.localeCompare(b.route)),
    pools: [...pools].map(([pool, c]) => ({ pool, ...c })).sort((a, b) => a.pool.localeCompare(b.pool)),
    budgetSpent: routeList.reduce((a, r) => a + r.budgetSpent, 0),
  };
}
