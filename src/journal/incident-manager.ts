import { type Clock, type Logger, PiperError, type TimerHandle } from '../core/index.ts';
import type { AlertPolicy } from './alert-policy.ts';
import { type EventInputOf, eventOf } from './event-catalogue.ts';
import { findImpactEnd, findImpactStart, isBadSecond } from './incident-impact.ts';
import type { Journal } from './journal.ts';
import type { JournalEvent } from './journal-event.ts';
import type { RouteObjective } from './slo-monitor.ts';
import { journalErrors } from './journal-errors.ts';

/** Where an incident is in its life. */
export type IncidentStatus = 'open' | 'acknowledged' | 'resolved';

/** An incident as stored (state row `incident:<id>`); every time is computed from events and samples. */
export interface Incident {
  id: number;
  status: IncidentStatus;
  title: string;
  routes: string[];
  pools: string[];
  /** What opened it: a page alert or a rollback. */
  openedBy: { kind: string; eventId: number; alert?: string };
  /** Every page alert that joined this storm, and those still firing. */
  alerts: string[];
  activeAlerts: string[];
  /** First bad second (backdated from the alert), never the alert time. */
  startedAt: number;
  detectedAt: number;
  acknowledgedAt?: number;
  acknowledgedBy?: string;
  mitigatedAt?: number;
  /** The event that mitigated it (rollback, dead-man revert, operator split), or `traffic` when errors just stopped. */
  mitigatedBy?: string;
  resolvedAt?: number;
  /** Since when no page alert of it has fired. */
  clearSince?: number;
}

export interface IncidentManagerOptions {
  journal: Journal;
  clock: Clock;
  logger: Logger;
  policy: AlertPolicy;
  objective: (route: string) => RouteObjective;
  /** An incident resolves when its alerts have stayed clear this long (default 5 min). */
  resolveAfterMs?: number;
}

const KEY = 'incident:';
const key = (id: number): string => `${KEY}${String(id).padStart(8, '0')}`;
const MITIGATING = new Set(['migration.rolled_back', 'deadman.reverted', 'migration.aborted']);

/**
 * When an event's action took place: a rollback's or an abort's `completedAt`, the moment its
 * controller had the traffic back (the one the migration's own record counts from), since the
 * journal stamps the event a write later; any other event's time.
 */
function actedAt(e: JournalEvent): number {
  return typeof e.data.completedAt === 'number' ? e.data.completedAt : e.time;
}

type IncidentKind = 'incident.opened' | 'incident.updated' | 'incident.acknowledged' | 'incident.mitigated' | 'incident.resolved';
/** What a transition records besides the incident's id and status. */
type IncidentFacts<K extends IncidentKind> = Omit<EventInputOf<K>['data'], 'incident' | 'status'>;

/**
 * Opens one incident per storm (a page alert or a rollback while none is open), records
 * acknowledgement and mitigation, and resolves it when its alerts stay clear for a while.
 */
export class IncidentManager {
  #o: IncidentManagerOptions;
  #resolveAfter: number;
  #timer: TimerHandle | undefined;
  #unsubscribe: () => void;

  constructor(options: IncidentManagerOptions) {
    this.#o = options;
    this.#resolveAfter = options.resolveAfterMs ?? 300_000;
    this.#unsubscribe = options.journal.onEvent((e) => this.#onEvent(e));
    const current = this.current();
    if (current?.clearSince !== undefined) this.#scheduleResolve(current);
  }

  /** All incidents, newest first. */
  list(): Incident[] {
    return this.#o.journal
      .listState(KEY)
      .map((r) => r.value as Incident)
      .filter((v) => v !== null && typeof v === 'object')
      .reverse();
  }

  get(id: number): Incident | undefined {
    return this.#o.journal.getState(key(id)) as Incident | undefined;
  }

  /** The open (or acknowledged) incident, if any: there is at most one per storm. */
  current(): Incident | undefined {
    return this.list().find((i) => i.status !== 'resolved');
  }

  /** Acknowledges an incident for an operator; idempotent for an already acknowledged one. */
  acknowledge(id: number, actor: string): Incident {
    const incident = this.get(id);
    if (incident === undefined) {
      throw new PiperError(journalErrors.PIPER_JOURNAL_INCIDENT_NOT_FOUND, `no incident ${id}`, { details: { id } });
    }
    if (incident.status !== 'open') return incident;
    const now = this.#o.clock.now();
    const next: Incident = { ...incident, status: 'acknowledged', acknowledgedAt: now, acknowledgedBy: actor };
    this.#save('incident.acknowledged', next, { actor }, actor, now);
    return next;
  }

  /** Checks whether the current incident has been clear long enough to resolve (also on a timer). */
  checkResolution(): void {
    const incident = this.current();
    if (incident === undefined || incident.clearSince === undefined) return;
    const now = this.#o.clock.now();
    if (now - incident.clearSince < this.#resolveAfter) {
      // A timer can fire a millisecond early by the wall clock (Node's loop time lags it): not
      // rescheduling here would leave the incident open until some other alert came along.
      this.#scheduleResolve(incident);
      return;
    }
    let next = incident;
    if (next.mitigatedAt === undefined) {
      const end = this.#impactEnd(next) ?? next.clearSince ?? now;
      next = { ...next, mitigatedAt: end, mitigatedBy: 'traffic' };
      this.#save('incident.mitigated', next, { by: 'traffic', mitigatedAt: end }, 'piper', now);
    }
    next = { ...next, status: 'resolved', resolvedAt: now };
    this.#save(
      'incident.resolved',
      next,
      { clearForMs: now - (incident.clearSince ?? now), durationMs: now - next.startedAt },
      'piper',
      now,
    );
  }

  close(): void {
    this.#unsubscribe();
    this.#timer?.cancel();
    this.#timer = undefined;
  }

  #onEvent(e: JournalEvent): void {
    if (e.kind === 'alert.firing' && e.data.severity === 'page') this.#onPage(e);
    else if (e.kind === 'alert.resolved') this.#onAlertResolved(e);
    else if (e.kind === 'migration.rolled_back') this.#onRollback(e);
    if (MITIGATING.has(e.kind) || (e.kind === 'split.changed' && e.source === 'operator')) this.#onMitigation(e);
  }

  #onPage(e: JournalEvent): void {
    const alert = String(e.data.alert);
    const route = typeof e.data.route === 'string' ? e.data.route : undefined;
    const pool = typeof e.data.pool === 'string' ? e.data.pool : undefined;
    const current = this.current();
    if (current !== undefined) {
      const { clearSince: _clear, ...rest } = current;
      const next: Incident = {
        ...rest,
        routes: union(current.routes, route),
        pools: union(current.pools, pool),
        alerts: union(current.alerts, alert),
        activeAlerts: union(current.activeAlerts, alert),
      };
      this.#timer?.cancel();
      this.#save('incident.updated', next, { alert, joined: true }, 'piper', e.time);
      return;
    }
    const routes = route === undefined ? [] : [route];
    this.#open(e, `${route ?? pool ?? e.subject}: ${describeAlert(e)}`, routes, pool === undefined ? [] : [pool], alert);
  }

  #onRollback(e: JournalEvent): void {
    if (this.current() !== undefined) return;
    const route = typeof e.data.route === 'string' ? e.data.route : e.subject;
    const pool = typeof e.data.to === 'string' ? e.data.to : undefined;
    // The rule, without the counts in parentheses: a heading, not the record (the timeline has it whole).
    const reason = typeof e.data.reason === 'string' ? ` (${e.data.reason.replace(/\s*\(.*\)\s*$/, '')})` : '';
    this.#open(
      e,
      `${route}: migration${pool === undefined ? '' : ` to ${pool}`} rolled back${reason}`,
      [route],
      pool === undefined ? [] : [pool],
      undefined,
    );
  }

  #open(e: JournalEvent, title: string, routes: string[], pools: string[], alert: string | undefined): void {
    const id = (this.list()[0]?.id ?? 0) + 1;
    const firstFailure = typeof e.data.firstFailureAt === 'number' ? e.data.firstFailureAt : undefined;
    const fromSamples = this.#impactStart(routes, e.time);
    const detectedAt = actedAt(e);
    const startedAt = Math.min(detectedAt, fromSamples ?? detectedAt, firstFailure ?? detectedAt);
    const incident: Incident = {
      id,
      status: 'open',
      title,
      routes,
      pools,
      openedBy: { kind: e.kind, eventId: e.id, ...(alert !== undefined ? { alert } : {}) },
      alerts: alert === undefined ? [] : [alert],
      activeAlerts: alert === undefined ? [] : [alert],
      startedAt,
      detectedAt,
    };
    if (alert === undefined) incident.clearSince = e.time;
    this.#save('incident.opened', incident, { title, routes, pools, startedAt, detectedAt, openedBy: incident.openedBy }, 'piper', e.time);
    if (e.kind === 'migration.rolled_back') this.#onMitigation(e);
    if (alert === undefined) {
      const current = this.get(id);
      if (current !== undefined) this.#scheduleResolve(current);
    }
  }

  #onAlertResolved(e: JournalEvent): void {
    const current = this.current();
    const alert = String(e.data.alert);
    if (current === undefined || !current.activeAlerts.includes(alert)) return;
    const activeAlerts = current.activeAlerts.filter((a) => a !== alert);
    const next: Incident = { ...current, activeAlerts };
    if (activeAlerts.length === 0) next.clearSince = e.time;
    this.#save('incident.updated', next, { alert, cleared: true }, 'piper', e.time);
    if (next.clearSince !== undefined) this.#scheduleResolve(next);
  }

  #onMitigation(e: JournalEvent): void {
    const current = this.current();
    if (current === undefined || current.mitigatedAt !== undefined) return;
    const mitigatedAt = actedAt(e);
    const next: Incident = { ...current, mitigatedAt, mitigatedBy: e.kind };
    this.#save('incident.mitigated', next, { by: e.kind, cause: e.id, mitigatedAt }, e.actor, e.time);
  }

  #scheduleResolve(incident: Incident): void {
    this.#timer?.cancel();
    const due = (incident.clearSince ?? this.#o.clock.now()) + this.#resolveAfter - this.#o.clock.now();
    this.#timer = this.#o.clock.setTimeout(
      () => {
        this.#timer = undefined;
        try {
          this.checkResolution();
        } catch (err) {
          this.#o.logger.error({ err }, 'incident resolution failed');
        }
      },
      Math.max(0, due),
    );
  }

  #isBad(route: string): (s: { requests: number; failed: number; shed: number }) => boolean {
    const objective = this.#o.objective(route);
    return (s) => isBadSecond(s as never, objective, this.#o.policy.badWindowBurn);
  }

  #impactStart(routes: readonly string[], detectedAt: number): number | undefined {
    let start: number | undefined;
    for (const route of routes) {
      const samples = this.#o.journal.samples(route, detectedAt - 6 * 3_600_000, detectedAt);
      const s = findImpactStart(samples, detectedAt, this.#isBad(route), this.#o.policy.impactGapMs);
      if (s !== undefined) start = Math.min(start ?? s, s);
    }
    return start;
  }

  #impactEnd(incident: Incident): number | undefined {
    let end: number | undefined;
    for (const route of incident.routes) {
      const samples = this.#o.journal.samples(route, incident.startedAt, this.#o.clock.now() + 1);
      const e = findImpactEnd(samples, incident.startedAt, this.#isBad(route), this.#o.policy.impactGapMs);
      if (e !== undefined) end = Math.max(end ?? e, e);
    }
    return end;
  }

  #save<K extends IncidentKind>(kind: K, incident: Incident, data: IncidentFacts<K>, actor: string, time: number): void {
    this.#o.journal.appendWithState(
      eventOf(kind, {
        source: kind === 'incident.acknowledged' ? 'operator' : 'journal',
        subject: `incident/${incident.id}`,
        actor,
        time,
        // The facts are typed per kind; TypeScript cannot add the two common fields to a generic K's data.
        data: { incident: incident.id, status: incident.status, ...data } as EventInputOf<K>['data'],
      }),
      key(incident.id),
      incident,
    );
  }
}

function union(list: readonly string[], item: string | undefined): string[] {
  return item === undefined || list.includes(item) ? [...list] : [...list, item];
}

function describeAlert(e: JournalEvent): string {
  if (e.data.rule === 'fast') return `near-total failure (${Math.round(Number(e.data.errorRatio) * 100)} % of requests failing)`;
  if (e.data.rule === 'pool.no_healthy_backend') return 'no healthy backend in the pool';
  const burn = e.data.burn as { long?: number } | undefined;
  return `${String(e.data.sli ?? 'SLO')} burn rate ${burn?.long ?? '?'}× (${String(e.data.rule)})`;
}
