import { z } from 'zod';
import { defineEntry } from './catalogue-entry.ts';

const T0 = 1_490_997_000_000;
const severity = z.enum(['page', 'ticket', 'warning']);
const status = z.enum(['open', 'acknowledged', 'resolved']);
const burn = z.object({ threshold: z.number(), long: z.number(), short: z.number() });
/** What every alert event names. */
const alertFacts = { alert: z.string(), rule: z.string(), severity, route: z.string().optional(), pool: z.string().optional() };

/**
 * An alert and the figures behind it. Burn-rate rules (docs/journal.md, "SLO alerts") give `sli`,
 * `tier`, both windows, `burn`, `errorRatio` and `objective`; the fast rule gives its window,
 * `errorRatio`, `requests`, `failed` and `minRatio`; an alert raised by a data plane event
 * (`backend.ejected`, `backend.down`, `pool.no_healthy_backend`) gives its `cause` and `reason`.
 */
const alertFiring = z.strictObject({
  ...alertFacts,
  sli: z.enum(['availability', 'latency']).optional(),
  tier: severity.optional(),
  windows: z.object({ longMs: z.number().optional(), shortMs: z.number().optional(), windowMs: z.number().optional() }).optional(),
  burn: burn.optional(),
  errorRatio: z.number().optional(),
  objective: z.number().optional(),
  requests: z.number().optional(),
  failed: z.number().optional(),
  minRatio: z.number().optional(),
  /** Id of the data plane event that raised it. */
  cause: z.number().optional(),
  reason: z.string().nullable().optional(),
});

const alertExample = { alert: 'web:availability:page-1h-5m', rule: 'page-1h-5m', severity: 'page', route: 'web' } as const;
const incident = { incident: z.number(), status };
const notification = {
  /** The webhook's origin (its path may hold a secret). */
  webhook: z.string(),
  format: z.enum(['json', 'slack']),
  /** Kind and id of the event it notified of. */
  event: z.string(),
  eventId: z.number(),
  attempts: z.number(),
};
const scalar = z.union([z.string(), z.number(), z.boolean()]);

/** Alerts, incidents, notifications and notes: what on-call (and the journal itself) writes. */
export const ON_CALL_EVENTS = {
  'alert.firing': defineEntry({
    sources: ['alert'],
    subject: 'route, pool or `pool/backend`',
    about: 'an alert started firing, with the figures behind it',
    data: alertFiring,
    example: {
      source: 'alert',
      subject: 'web',
      actor: 'piper',
      data: {
        ...alertExample,
        sli: 'availability',
        tier: 'page',
        windows: { longMs: 3_600_000, shortMs: 300_000 },
        burn: { threshold: 14.4, long: 20.1, short: 160.4 },
        errorRatio: 0.1604,
        objective: 0.999,
      },
    },
  }),
  'alert.resolved': defineEntry({
    sources: ['alert'],
    subject: 'as its `alert.firing`',
    about: 'a firing alert cleared',
    data: z.strictObject({
      alert: z.string(),
      rule: z.string(),
      severity,
      route: z.string().optional(),
      firedAt: z.number(),
      durationMs: z.number(),
      /** Burn-rate rules: the burn rates when it cleared. */
      burn: burn.optional(),
      /** The fast rule: the error ratio when it cleared. */
      errorRatio: z.number().optional(),
      /** Data plane alerts: the event that cleared it. */
      cause: z.number().optional(),
    }),
    example: {
      source: 'alert',
      subject: 'web',
      actor: 'piper',
      data: { ...alertExample, firedAt: T0, durationMs: 1_260_000, burn: { threshold: 14.4, long: 12.2, short: 0 } },
    },
  }),
  'incident.opened': defineEntry({
    sources: ['journal'],
    subject: '`incident/<id>`',
    about: 'a page alert or a rollback opened an incident',
    data: z.strictObject({
      ...incident,
      title: z.string(),
      routes: z.array(z.string()),
      pools: z.array(z.string()),
      /** First bad second, backdated from the alert. */
      startedAt: z.number(),
      detectedAt: z.number(),
      openedBy: z.object({ kind: z.string(), eventId: z.number(), alert: z.string().optional() }),
    }),
    example: {
      source: 'journal',
      subject: 'incident/1',
      actor: 'piper',
      data: {
        incident: 1,
        status: 'open',
        title: 'web: near-total failure (97 % of requests failing)',
        routes: ['web'],
        pools: [],
        startedAt: T0 + 600_000,
        detectedAt: T0 + 625_000,
        openedBy: { kind: 'alert.firing', eventId: 42, alert: 'web:availability:fast' },
      },
    },
  }),
  'incident.updated': defineEntry({
    sources: ['journal'],
    subject: '`incident/<id>`',
    about: 'another page alert joined the open incident, or one of its alerts cleared',
    data: z.strictObject({ ...incident, alert: z.string(), joined: z.boolean().optional(), cleared: z.boolean().optional() }),
    example: {
      source: 'journal',
      subject: 'incident/1',
      actor: 'piper',
      data: { incident: 1, status: 'open', alert: 'pool:inhouse:no_healthy_backend', joined: true },
    },
  }),
  'incident.acknowledged': defineEntry({
    sources: ['operator'],
    subject: '`incident/<id>`',
    about: 'an operator acknowledged an incident (CLI, API or dashboard)',
    data: z.strictObject({ ...incident, actor: z.string() }),
    example: {
      source: 'operator',
      subject: 'incident/1',
      actor: 'gilfoyle',
      data: { incident: 1, status: 'acknowledged', actor: 'gilfoyle' },
    },
  }),
  'incident.mitigated': defineEntry({
    sources: ['journal'],
    subject: '`incident/<id>`',
    about: 'traffic was taken off the failure (a rollback, a dead-man revert, an abort, a split change), or errors stopped on their own',
    data: z.strictObject({
      ...incident,
      /** The kind of the mitigating event, or `traffic` when the errors just stopped. */
      by: z.string(),
      /** Id of the mitigating event. */
      cause: z.number().optional(),
      mitigatedAt: z.number(),
    }),
    example: {
      source: 'journal',
      subject: 'incident/1',
      actor: 'rollout',
      data: { incident: 1, status: 'acknowledged', by: 'migration.rolled_back', cause: 57, mitigatedAt: T0 + 1_860_000 },
    },
  }),
  'incident.resolved': defineEntry({
    sources: ['journal'],
    subject: '`incident/<id>`',
    about: "an incident's page alerts stayed clear long enough",
    data: z.strictObject({ ...incident, clearForMs: z.number(), durationMs: z.number() }),
    example: {
      source: 'journal',
      subject: 'incident/1',
      actor: 'piper',
      data: { incident: 1, status: 'resolved', clearForMs: 300_000, durationMs: 1_560_000 },
    },
  }),
  'notification.delivered': defineEntry({
    sources: ['journal'],
    subject: "the notified event's subject",
    about: 'a webhook accepted a notification',
    data: z.strictObject({ ...notification, status: z.number() }),
    example: {
      source: 'journal',
      subject: 'incident/1',
      actor: 'piper',
      data: { webhook: 'https://hooks.slack.com', format: 'slack', event: 'incident.opened', eventId: 43, attempts: 1, status: 200 },
    },
  }),
  'notification.failed': defineEntry({
    sources: ['journal'],
    subject: "the notified event's subject",
    about: 'a webhook did not accept a notification after every attempt (or refused it)',
    data: z.strictObject({ ...notification, error: z.string() }),
    example: {
      source: 'journal',
      subject: 'incident/1',
      actor: 'piper',
      data: { webhook: 'https://hooks.example.com', format: 'json', event: 'incident.opened', eventId: 43, attempts: 5, error: 'HTTP 503' },
    },
  }),
  'journal.dropped': defineEntry({
    sources: ['journal'],
    subject: '`journal`',
    about: "the buffered write path lost events (buffer full, or storage failing); the journal's own count",
    data: z.strictObject({ count: z.number(), total: z.number() }),
    example: { source: 'journal', subject: 'journal', actor: 'journal', data: { count: 12, total: 40 } },
  }),
  'operator.note': defineEntry({
    sources: ['operator'],
    subject: 'anything (a route, pool, incident)',
    about: 'an operator wrote a note; besides `text`, flat facts (strings, numbers, booleans) are kept as given',
    data: z.object({ text: z.string().optional() }).catchall(scalar),
    example: { source: 'operator', subject: 'web', actor: 'jared', data: { text: 'calling the vendor about the old pool' } },
  }),
};
