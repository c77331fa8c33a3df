import type { AlertSeverity } from './alert-policy.ts';
import type { EventInputOf } from './event-catalogue.ts';
import type { Journal } from './journal.ts';

/** The figures an alert carries besides its identity (its `alert.firing` data, docs/journal.md). */
export type AlertFigures = Omit<EventInputOf<'alert.firing'>['data'], 'alert' | 'rule' | 'severity' | 'route' | 'pool'>;
/** What an `alert.resolved` adds: the figures when it cleared, or the event that cleared it. */
export type ClearedFigures = Pick<EventInputOf<'alert.resolved'>['data'], 'burn' | 'errorRatio' | 'cause'>;

/** An alert as it is firing now; persisted as state row `alert:<id>` beside its events. */
export interface FiringAlert {
  /** Stable identity, e.g. `web:availability:page-1h-5m` or `pool:inhouse:no_healthy_backend`. */
  id: string;
  rule: string;
  severity: AlertSeverity;
  /** Route, pool or backend it is about. */
  subject: string;
  route?: string;
  pool?: string;
  since: number;
  /** The numbers behind it at firing time (burn rates, windows, ratios). */
  data: AlertFigures;
}

/**
 * The set of firing alerts. Each change is journaled (`alert.firing`, `alert.resolved`) together
 * with the state row, so a restarted process knows what is firing without re-deriving it.
 */
export class AlertBook {
  #journal: Journal;
  #firing = new Map<string, FiringAlert>();

  constructor(journal: Journal) {
    this.#journal = journal;
    for (const row of journal.listState('alert:')) {
      const v = row.value as FiringAlert | null;
      if (v !== null && typeof v === 'object' && typeof v.id === 'string') this.#firing.set(v.id, v);
    }
  }

  /** Fires an alert unless it already fires; returns true when it was new. */
  fire(alert: Omit<FiringAlert, 'since'>, time: number): boolean {
    if (this.#firing.has(alert.id)) return false;
    const firing: FiringAlert = { ...alert, since: time };
    this.#journal.appendWithState(
      {
        kind: 'alert.firing',
        source: 'alert',
        subject: alert.subject,
        actor: 'piper',
        time,
        data: {
          alert: alert.id,
          rule: alert.rule,
          severity: alert.severity,
          ...(alert.route ? { route: alert.route } : {}),
          ...(alert.pool ? { pool: alert.pool } : {}),
          ...alert.data,
        },
      },
      `alert:${alert.id}`,
      firing,
    );
    this.#firing.set(alert.id, firing);
    return true;
  }

  /** Resolves a firing alert; returns true when it was firing. */
  resolve(id: string, time: number, data: ClearedFigures = {}): boolean {
    const firing = this.#firing.get(id);
    if (firing === undefined) return false;
    this.#journal.appendWithState(
      {
        kind: 'alert.resolved',
        source: 'alert',
        subject: firing.subject,
        actor: 'piper',
        time,
        data: {
          alert: id,
          rule: firing.rule,
          severity: firing.severity,
          firedAt: firing.since,
          durationMs: time - firing.since,
          ...(firing.route ? { route: firing.route } : {}),
          ...data,
        },
      },
      `alert:${id}`,
      null,
    );
    this.#firing.delete(id);
    return true;
  }

  isFiring(id: string): boolean {
    return this.#firing.has(id);
  }

  /** Firing alerts, oldest first. */
  list(): FiringAlert[] {
    return [...this.#firing.values()].sort((a, b) => a.since - b.since);
  }
}
