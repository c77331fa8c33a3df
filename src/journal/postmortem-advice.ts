// What the postmortem suggests, as rules over what happened: each rule reads the recorded facts
// and says nothing unless they call for it, so an incident the judge ended in a quarter of a
// second gets no paging or rollback advice, and an overridden gate always gets some.
import { summarizeEvent } from './event-summary.ts';
import type { IncidentReport } from './incident-report.ts';
import type { JournalEvent } from './journal-event.ts';
import { humanDuration } from './time-format.ts';

/** A page is to be acknowledged within this long (the SRE Workbook's fast page, and ours). */
export const ACK_WITHIN_MS = 5 * 60_000;
/** Detection slower than this calls for a faster signal. */
export const DETECT_WITHIN_MS = 60_000;
/** An automatic rollback this soon after the start counts as the system doing its job. */
export const AUTOMATIC_WITHIN_MS = 60_000;
/** Mitigation slower than this is a problem in itself. */
export const MITIGATE_WITHIN_MS = 30 * 60_000;

/** The facts the rules read, gathered once from an incident's report. */
export interface IncidentFacts {
  report: IncidentReport;
  /** The first page that fired while the impact went on: the moment a person was due. */
  page: JournalEvent | undefined;
  /** The latest capacity-gate override for the incident's routes before it started. */
  override: JournalEvent | undefined;
  /** The event that mitigated it (rollback, abort, operator split change), if piper recorded one. */
  mitigation: JournalEvent | undefined;
  /** The controller rolled back by itself (not an operator) within {@link AUTOMATIC_WITHIN_MS}. */
  automaticRollback: boolean;
  /** A stepped migration of one of its routes started before the incident. */
  migrated: boolean;
  /** Changes recorded before the start that may have caused it. */
  changes: JournalEvent[];
}

/** Suggestions for the three sections a person confirms. */
export interface Advice {
  problems: string[];
  prevention: string[];
  changes: string[];
}

/** One rule: a stable name (for tests and docs) and what it suggests from the facts, if anything. */
export interface AdviceRule {
  name: string;
  advise(f: IncidentFacts): Partial<Advice> | undefined;
}

const CHANGE_KINDS = /^(split\.changed|config\.|migration\.(started|gate_overridden|step|resumed)|deploy\.|operator\.)/;

/** Gathers the facts the rules read. */
export function incidentFacts(report: IncidentReport): IncidentFacts {
  const { incident: inc, timeline } = report;
  const routes = new Set(inc.routes);
  const forRoute = (e: JournalEvent): boolean =>
    routes.size === 0 || routes.has(e.subject) || routes.has(typeof e.data.route === 'string' ? e.data.route : '');
  const impactEnd = inc.mitigatedAt ?? inc.resolvedAt ?? Number.POSITIVE_INFINITY;
  const mitigation = timeline.find((e) => e.kind === 'incident.mitigated' && e.data.incident === inc.id);
  const cause = typeof mitigation?.data.cause === 'number' ? timeline.find((e) => e.id === mitigation.data.cause) : undefined;
  const automaticRollback =
    cause?.kind === 'migration.rolled_back' &&
    cause.actor === 'rollout' &&
    inc.mitigatedAt !== undefined &&
    inc.mitigatedAt - inc.startedAt <= AUTOMATIC_WITHIN_MS;
  return {
    report,
    page: timeline.find((e) => e.kind === 'alert.firing' && e.data.severity === 'page' && e.time >= inc.startedAt && e.time < impactEnd),
    override: timeline.filter((e) => e.kind === 'migration.gate_overridden' && e.time <= inc.startedAt && forRoute(e)).at(-1),
    mitigation: cause,
    automaticRollback,
    migrated: timeline.some((e) => e.kind === 'migration.started' && e.time <= inc.startedAt && forRoute(e)),
    changes: timeline.filter((e) => CHANGE_KINDS.test(e.kind) && e.time <= inc.startedAt && forRoute(e)),
  };
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function rps(v: number): string {
  return `${Math.round(v * 100) / 100} req/s`;
}

/** The figures of a gate override, from its flat fields or, in older records, its `gate` object. */
export function overrideFigures(
  o: JournalEvent,
  capacity: JournalEvent | undefined,
): { pool?: string; certifiedRps?: number; requiredRps?: number; peakRps?: number } {
  const gate = (o.data.gate !== null && typeof o.data.gate === 'object' ? o.data.gate : {}) as Record<string, unknown>;
  const pool = typeof o.data.to === 'string' ? o.data.to : typeof gate.pool === 'string' ? gate.pool : undefined;
  const certifiedRps = num(o.data.capacityRps) ?? num(gate.capacityRps) ?? num(capacity?.data.capacityRps);
  const requiredRps = num(o.data.requiredRps) ?? num(gate.requiredRps);
  const peakRps = num(gate.peakRps) ?? num(gate.projectedRps) ?? num(o.data.projectedRps);
  return {
    ...(pool !== undefined ? { pool } : {}),
    ...(certifiedRps !== undefined ? { certifiedRps } : {}),
    ...(requiredRps !== undefined ? { requiredRps } : {}),
    ...(peakRps !== undefined ? { peakRps } : {}),
  };
}

const MITIGATION_WORDS: Record<string, string> = {
  'migration.rolled_back': 'rolled back',
  'migration.aborted': 'migration aborted',
  'deadman.reverted': 'split reverted by the dead-man guard',
  'split.changed': 'split changed',
};

/** `rolled back by the migration judge`, `split changed by gilfoyle`: what ended the impact, and who. */
export function mitigationName(e: JournalEvent | undefined): string {
  if (e === undefined) return 'errors stopped with no recorded action';
  const who = e.actor === 'rollout' ? 'the migration judge' : e.actor;
  return `${MITIGATION_WORDS[e.kind] ?? summarizeEvent(e)} by ${who}`;
}

/** The rules, in the order their suggestions are listed. */
export const ADVICE_RULES: readonly AdviceRule[] = [
  {
    // A person is needed only once a page fires while users are still affected; an incident that
    // ended before its acknowledgement was due needs no paging advice.
    name: 'acknowledgement',
    advise({ report: { incident: i }, page }) {
      if (page === undefined) return undefined;
      const due = page.time + ACK_WITHIN_MS;
      if (i.acknowledgedAt !== undefined && i.acknowledgedAt <= due) return undefined;
      const end = i.mitigatedAt ?? i.resolvedAt;
      if (end !== undefined && end <= due && (i.acknowledgedAt === undefined || i.acknowledgedAt > end)) return undefined;
      return {
        problems: [
          i.acknowledgedAt === undefined
            ? `Nobody acknowledged the page of ${humanDuration(page.time - i.startedAt)} into the incident while users were still affected.`
            : `Acknowledgement took ${humanDuration(i.acknowledgedAt - page.time)} after the page, while users were still affected.`,
        ],
        changes: ['Make sure the page reaches someone who acknowledges it within five minutes (check the on-call rota and the webhook).'],
      };
    },
  },
  {
    name: 'detection',
    advise({ report: { durations }, automaticRollback }) {
      if (automaticRollback || durations.detectMs <= DETECT_WITHIN_MS) return undefined;
      return {
        problems: [`Detection took ${humanDuration(durations.detectMs)} after the impact began.`],
        prevention: ['Add a faster signal for this failure mode (per-backend health alerts, or shorter alert windows).'],
      };
    },
  },
  {
    name: 'gate-override',
    advise({ override: o, report }) {
      if (o === undefined) return undefined;
      const g = overrideFigures(o, report.capacity);
      const reason = typeof o.data.reason === 'string' && o.data.reason !== '' ? ` with the reason "${o.data.reason}"` : '';
      const refusals = Array.isArray(o.data.refusals) && o.data.refusals.length > 0 ? `: ${o.data.refusals.map(String).join('; ')}` : '';
      const certified = g.certifiedRps !== undefined ? `${rps(g.certifiedRps)} certified` : 'no capacity certified';
      const proof =
        g.requiredRps !== undefined
          ? `to the ${rps(g.requiredRps)} the gate required (${certified})`
          : `to at least twice the peak${g.peakRps !== undefined ? ` of ${rps(g.peakRps)}` : ''} (${certified})`;
      const pool = g.pool ?? 'the target pool';
      return {
        problems: [`${o.actor} overrode the capacity gate${reason}; the gate had refused the move${refusals}.`],
        prevention: [`Load-test ${pool} ${proof} before moving traffic to it again.`],
        changes: ['Treat a capacity-gate override as a change needing a second approver and a load test on record, not a flag.'],
      };
    },
  },
  {
    // Without an override the gate let the move through or was not asked: a capacity result below
    // twice the incident's peak still says the pool was never proven for it.
    name: 'capacity-unproven',
    advise({ override, report }) {
      const c = report.capacity;
      if (override !== undefined || c === undefined) return undefined;
      const pool = typeof c.data.pool === 'string' ? c.data.pool : c.subject;
      const certified = num(c.data.capacityRps);
      const peak = report.impact.peakRps;
      if (certified !== undefined && certified >= 2 * peak) return undefined;
      return {
        prevention: [
          `Load-test ${pool} to at least twice the observed peak (${rps(2 * peak)}; ${certified !== undefined ? `${rps(certified)} certified` : 'no capacity certified'}) before moving traffic to it.`,
        ],
      };
    },
  },
  {
    // The judge rolling back within seconds is the rollback working; only a slow or manual recovery
    // calls for one.
    name: 'rollback',
    advise({ report: { incident: i }, automaticRollback, migrated, mitigation, changes }) {
      // With no recorded change there is nothing a rollback could have undone.
      if (automaticRollback || i.mitigatedAt === undefined || (!migrated && changes.length === 0)) return undefined;
      const took = humanDuration(i.mitigatedAt - i.startedAt);
      const how = mitigationName(mitigation);
      return {
        ...(i.mitigatedAt - i.startedAt > MITIGATE_WITHIN_MS ? { problems: [`Mitigation took ${took} (${how}).`] } : {}),
        prevention: [
          migrated
            ? `Tighten the judge's thresholds so it rolls this failure back by itself: recovery took ${took} (${how}).`
            : `Make the change a stepped migration whose judge rolls back by itself within seconds: recovery took ${took} (${how}).`,
        ],
      };
    },
  },
  {
    name: 'unrecorded-mitigation',
    advise({ report: { incident: i } }) {
      if (i.mitigatedBy !== 'traffic') return undefined;
      return {
        problems: ['No mitigating action was recorded: the errors stopped on their own or by an action outside piper.'],
        changes: ['Record every manual action (piper events, an operator note) so the next timeline is complete.'],
      };
    },
  },
  {
    name: 'no-healthy-backend',
    advise({ report: { timeline } }) {
      if (!timeline.some((e) => e.kind === 'pool.no_healthy_backend')) return undefined;
      return { prevention: ['Give the route a failover pool so a pool without healthy backends does not take it down.'] };
    },
  },
  {
    name: 'notifications',
    advise({ report: { timeline } }) {
      const failed = timeline.filter((e) => e.kind === 'notification.failed');
      if (failed.length === 0) return undefined;
      return {
        problems: failed.map((f) => `A notification failed: ${summarizeEvent(f)}.`),
        changes: ['Fix the failing notification webhook and test it.'],
      };
    },
  },
  {
    name: 'journal-dropped',
    advise({ report: { timeline } }) {
      const dropped = timeline.filter((e) => e.kind === 'journal.dropped');
      if (dropped.length === 0) return undefined;
      const count = dropped.reduce((a, d) => a + (num(d.data.count) ?? 0), 0);
      return { problems: [`The journal dropped ${count} event(s) under load; the timeline may miss some.`] };
    },
  },
];

/** Every rule's suggestions, in rule order. */
export function adviseFrom(f: IncidentFacts): Advice {
  const out: Advice = { problems: [], prevention: [], changes: [] };
  for (const rule of ADVICE_RULES) {
    const a = rule.advise(f);
    out.problems.push(...(a?.problems ?? []));
    out.prevention.push(...(a?.prevention ?? []));
    out.changes.push(...(a?.changes ?? []));
  }
  return out;
}
