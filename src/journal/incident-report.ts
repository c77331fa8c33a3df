import { type FigureLabel, figureRows } from './incident-figures.ts';
import type { IncidentImpact } from './incident-impact.ts';
import type { Incident } from './incident-manager.ts';
import { type IncidentNumbers, measureIncident, SAMPLE_LOOKBACK_MS } from './incident-numbers.ts';
import type { Journal } from './journal.ts';
import type { JournalEvent } from './journal-event.ts';
import type { RouteObjective } from './slo-monitor.ts';
import type { TrafficSample } from './traffic-sample.ts';

/** Durations of one incident, in ms; absent while the moment has not come. */
export interface IncidentDurations {
  /** Time to detect: impact start (the first failure) → alert. */
  detectMs: number;
  /** Detection → acknowledgement. */
  acknowledgeMs?: number;
  /** Time to mitigate: impact start → traffic off the bad pool, or errors stopped. */
  mitigateMs?: number;
  /** Time to resolve: impact start → resolved. */
  resolveMs?: number;
}

/** An incident with what is computed from it: its numbers, durations, impact and its timeline. */
export interface IncidentReport {
  incident: Incident;
  /** The figures every place shows (docs/journal.md, "Numbers"). */
  numbers: IncidentNumbers;
  /** `numbers` as people read them, label → value (`figureRows`): what the dashboard prints. */
  figures: [FigureLabel, string][];
  durations: IncidentDurations;
  /** The same period's counts per route and pool, slow requests, seconds below the objective, budget spent. */
  impact: IncidentImpact;
  timeline: JournalEvent[];
  /** The latest capacity result recorded before the start for a pool of the incident (any age), if any. */
  capacity: JournalEvent | undefined;
}

/** Mean times across incidents, each over the incidents that reached that moment (null: none did). */
export interface IncidentMeans {
  count: number;
  /** Mean time to detect. */
  mttdMs: number | null;
  /** Mean time to acknowledge (from detection). */
  mttaMs: number | null;
  /** Mean time to mitigate: traffic off the bad pool. */
  mttmMs: number | null;
  /** Mean time to resolve (not to recover: see docs/journal.md, "Numbers"). */
  mttrMs: number | null;
}

/** How far before the start the timeline and cause candidates reach. */
export const LOOKBACK_MS = 30 * 60_000;

export function durationsOf(i: Incident): IncidentDurations {
  return {
    detectMs: i.detectedAt - i.startedAt,
    ...(i.acknowledgedAt !== undefined ? { acknowledgeMs: i.acknowledgedAt - i.detectedAt } : {}),
    ...(i.mitigatedAt !== undefined ? { mitigateMs: i.mitigatedAt - i.startedAt } : {}),
    ...(i.resolvedAt !== undefined ? { resolveMs: i.resolvedAt - i.startedAt } : {}),
  };
}

/** Builds the report of one incident from the journal's events and samples. */
export function buildIncidentReport(
  journal: Journal,
  incident: Incident,
  objective: (route: string) => RouteObjective,
  periodMs: number,
  now: number,
): IncidentReport {
  const end = incident.resolvedAt ?? now;
  const { impact, numbers } = measureIncident(incident, incidentSamples(journal, incident, now), objective, periodMs, now);
  const timeline = journal
    .query({ since: incident.startedAt - LOOKBACK_MS, until: end + 1, limit: 10_000 })
    .filter((e) => e.kind !== 'incident.updated');
  const pools = new Set([...incident.pools, ...impact.pools.map((p) => p.pool)]);
  const capacity = journal
    .query({ kinds: ['capacity.result'], until: incident.startedAt, limit: 10_000 })
    .filter((e) => pools.has(typeof e.data.pool === 'string' ? e.data.pool : e.subject))
    .at(-1);
  return {
    incident,
    capacity,
    numbers,
    figures: figureRows(numbers),
    durations: durationsOf(incident),
    impact,
    timeline,
  };
}

/** The samples an incident's numbers are measured from: every route's, from before its start to its resolution (or now). */
export function incidentSamples(journal: Journal, incident: Incident, now: number): TrafficSample[] {
  return journal.samples(undefined, incident.startedAt - SAMPLE_LOOKBACK_MS, Math.max(incident.resolvedAt ?? now, incident.startedAt + 1));
}

/** An incident with its numbers, as the incident list (API and `piper incidents --json`) gives it. */
export type ListedIncident = Incident & { numbers: IncidentNumbers; figures: [FigureLabel, string][] };

/** The numbers of each incident, for the list. */
export function listIncidents(
  journal: Journal,
  incidents: readonly Incident[],
  objective: (route: string) => RouteObjective,
  periodMs: number,
  now: number,
): ListedIncident[] {
  return incidents.map((i) => {
    const { numbers } = measureIncident(i, incidentSamples(journal, i, now), objective, periodMs, now);
    return { ...i, numbers, figures: figureRows(numbers) };
  });
}

/** The mean times to detect, acknowledge, mitigate and resolve across incidents. */
export function incidentMeans(incidents: readonly Incident[]): IncidentMeans {
  const mean = (xs: (number | undefined)[]): number | null => {
    const v = xs.filter((x): x is number => x !== undefined);
    return v.length === 0 ? null : Math.round(v.reduce((a, b) => a + b, 0) / v.length);
  };
  const d = incidents.map(durationsOf);
  return {
    count: incidents.length,
    mttdMs: mean(d.map((x) => x.detectMs)),
    mttaMs: mean(d.map((x) => x.acknowledgeMs)),
    mttmMs: mean(d.map((x) => x.mitigateMs)),
    mttrMs: mean(d.map((x) => x.resolveMs)),
  };
}
