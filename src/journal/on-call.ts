import type { PiperConfig } from '../config/index.ts';
import { type Clock, type Logger, PiperError, silentLogger } from '../core/index.ts';
import { AlertBook, type FiringAlert } from './alert-book.ts';
import type { AlertPolicy } from './alert-policy.ts';
import { applyBalancerEvent } from './balancer-alerts.ts';
import { IncidentManager } from './incident-manager.ts';
import {
  buildIncidentReport,
  type IncidentMeans,
  type IncidentReport,
  incidentMeans,
  type ListedIncident,
  listIncidents,
} from './incident-report.ts';
import type { Journal } from './journal.ts';
import { buildPostmortem } from './postmortem.ts';
import { type PostmortemDocument, renderHtml, renderMarkdown } from './postmortem-document.ts';
import { objectiveOf, type RouteObjective, type RouteSloStatus, SloMonitor } from './slo-monitor.ts';
import { buildStatusPage, type StatusPage, type StatusRoute } from './status-page.ts';
import type { TrafficSample } from './traffic-sample.ts';
import { WebhookNotifier, type WebhookSender } from './webhook-notifier.ts';
import { journalErrors } from './journal-errors.ts';

/** Options of {@link OnCall}. */
export interface OnCallOptions {
  journal: Journal;
  clock: Clock;
  logger?: Logger;
  /** Routes (their `slo`) and `notifications.webhooks` are read from it. */
  config?: { routes: PiperConfig['routes']; notifications: Pick<PiperConfig['notifications'], 'webhooks'> & { resolveAfter?: number } };
  /** Objectives by route, overriding the config's. */
  objectives?: Record<string, RouteObjective>;
  policy?: AlertPolicy;
  /** Incidents resolve after their alerts stay clear this long (default: `notifications.resolveAfter`, 5 min). */
  resolveAfterMs?: number;
  /** Webhook transport (tests); fetch by default. */
  webhookSender?: WebhookSender;
  /** How long traffic samples are kept (`storage.sampleRetention`; default: the longest alert window). */
  sampleRetentionMs?: number;
  webhookBackoffMs?: number;
  dashboardUrl?: string;
  /**
   * The pools carrying a route now (the data plane's live split, which a migration changes), for
   * the status page; without it, or for a route it does not know, the configured split is used.
   */
  routePools?: (route: string) => readonly string[] | undefined;
  /**
   * Whether this process pages: with several control planes on one journal, only the leader
   * (`() => leadership.holds()`) observes traffic, stores its samples and raises SLO alerts; a
   * follower's OnCall serves incidents, reports and the status page from the journal. Always, when absent.
   */
  leading?: () => boolean;
}

/**
 * Everything that watches the journal and the traffic: SLO burn-rate alerts, balancer alerts,
 * incidents, notifications, the status page and postmortems. The composition root feeds it one
 * {@link TrafficSample} per route per second with `observe`.
 */
export class OnCall {
  readonly alerts: AlertBook;
  readonly slo: SloMonitor;
  readonly incidents: IncidentManager;
  readonly #journal: Journal;
  readonly #clock: Clock;
  readonly #notifier: WebhookNotifier;
  readonly #unsubscribe: () => void;
  readonly #routes: string[];
  readonly #internal: string[];
  /** Pools each configured route may use (its split and failover), when no live split is given. */
  readonly #configuredPools: Map<string, string[]>;
  readonly #routePools: OnCallOptions['routePools'];
  readonly #leading: () => boolean;
  #closed = false;

  constructor(o: OnCallOptions) {
    const logger = o.logger ?? silentLogger();
    this.#journal = o.journal;
    this.#clock = o.clock;
    const objectives: Record<string, RouteObjective> = {};
    for (const r of o.config?.routes ?? []) objectives[r.name] = objectiveOf(r.slo);
    Object.assign(objectives, o.objectives);
    this.#routes = Object.keys(objectives);
    this.#routePools = o.routePools;
    this.#leading = o.leading ?? (() => true);
    this.#internal = (o.config?.routes ?? []).filter((r) => r.internal).map((r) => r.name);
    this.#configuredPools = new Map(
      (o.config?.routes ?? []).map((r) => [
        r.name,
        [...Object.entries(r.split).flatMap(([pool, w]) => (w > 0 ? [pool] : [])), ...r.failover],
      ]),
    );
    this.alerts = new AlertBook(o.journal);
    this.slo = new SloMonitor({
      journal: o.journal,
      alerts: this.alerts,
      clock: o.clock,
      logger,
      objectives,
      internal: this.#internal,
      ...(o.policy ? { policy: o.policy } : {}),
    });
    this.incidents = new IncidentManager({
      journal: o.journal,
      clock: o.clock,
      logger,
      policy: this.slo.policy,
      objective: (route) => this.slo.objective(route),
      ...((o.resolveAfterMs ?? o.config?.notifications.resolveAfter) !== undefined
        ? { resolveAfterMs: (o.resolveAfterMs ?? o.config?.notifications.resolveAfter) as number }
        : {}),
    });
    this.#unsubscribe = o.journal.onEvent((e) => applyBalancerEvent(this.alerts, e));
    this.#notifier = new WebhookNotifier({
      journal: o.journal,
      clock: o.clock,
      logger,
      webhooks: o.config?.notifications.webhooks ?? [],
      ...(o.webhookSender ? { send: o.webhookSender } : {}),
      ...(o.webhookBackoffMs !== undefined ? { backoffMs: o.webhookBackoffMs } : {}),
      ...(o.dashboardUrl ? { dashboardUrl: o.dashboardUrl } : {}),
    });
  }

  /** Feeds one route's second of traffic (the lead maps telemetry windows to samples); ignored on a follower. */
  observe(sample: TrafficSample): void {
    if (this.#closed || !this.#leading()) return;
    this.slo.observe(sample);
  }

  firing(): FiringAlert[] {
    return this.alerts.list();
  }

  /** All incidents, newest first, each with its numbers. */
  listIncidents(): ListedIncident[] {
    return listIncidents(this.#journal, this.incidents.list(), (r) => this.slo.objective(r), this.slo.policy.periodMs, this.#clock.now());
  }

  /** One incident with its durations, impact and timeline; throws PIPER_JOURNAL_INCIDENT_NOT_FOUND. */
  report(id: number): IncidentReport {
    const incident = this.incidents.get(id);
    if (incident === undefined) {
      throw new PiperError(journalErrors.PIPER_JOURNAL_INCIDENT_NOT_FOUND, `no incident ${id}`, { details: { id } });
    }
    return buildIncidentReport(this.#journal, incident, (r) => this.slo.objective(r), this.slo.policy.periodMs, this.#clock.now());
  }

  /** The postmortem of an incident (the latest when `id` is undefined) as Markdown or HTML. */
  postmortem(id: number | undefined, format: 'md' | 'html' = 'md', timeZone?: string): string {
    const doc = this.postmortemDocument(id, timeZone);
    return format === 'html' ? renderHtml(doc) : renderMarkdown(doc);
  }

  /** The postmortem as its structured document (what the dashboard renders), the latest incident's when `id` is undefined. */
  postmortemDocument(id: number | undefined, timeZone?: string): PostmortemDocument {
    const target = id ?? this.incidents.list()[0]?.id;
    if (target === undefined) {
      throw new PiperError(journalErrors.PIPER_JOURNAL_INCIDENT_NOT_FOUND, 'no incident recorded yet');
    }
    return buildPostmortem(this.report(target), { generatedAt: this.#clock.now(), ...(timeZone ? { timeZone } : {}) });
  }

  sloStatus(): RouteSloStatus[] {
    const seen = new Set(this.slo.status().map((s) => s.route));
    return [...this.slo.status(), ...this.#routes.filter((r) => !seen.has(r)).map((r) => this.slo.statusOf(r))].sort((a, b) =>
      a.route.localeCompare(b.route),
    );
  }

  means(): IncidentMeans {
    return incidentMeans(this.incidents.list());
  }

  /** The public status page: per public route major outage / degraded / operational / no traffic, and incident history. */
  statusPage(): StatusPage {
    const firing = this.alerts.list().flatMap((a) => (a.route === undefined ? [] : [a.route]));
    const names = [...new Set([...this.#routes, ...this.slo.status().map((s) => s.route), ...firing])]
      .filter((r) => !this.#internal.includes(r))
      .sort();
    const routes: StatusRoute[] = names.map((name) => ({
      name,
      pools: this.#routePools?.(name) ?? this.#configuredPools.get(name) ?? [],
      lastRequestAt: this.slo.statusOf(name).lastRequestAt,
    }));
    return buildStatusPage(routes, this.alerts.list(), this.incidents.list(), this.#clock.now());
  }

  /** Resolves when pending webhook deliveries are done. */
  notificationsIdle(): Promise<void> {
    return this.#notifier.idle();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#unsubscribe();
    this.incidents.close();
    this.#notifier.close();
  }
}
