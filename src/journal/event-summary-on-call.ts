import type { ON_CALL_EVENTS } from './event-catalogue-on-call.ts';
import { count, duration, figure, list, percent, plural, type SummaryWriters, who } from './event-wording.ts';

/** What mitigated an incident, by the kind of the event that did. */
const MITIGATIONS: Record<string, string> = {
  'migration.rolled_back': "the migration's rollback",
  'migration.aborted': 'the aborted migration',
  'deadman.reverted': "the dead-man guard's revert",
  'split.changed': 'a split change',
};

/** Sentences for alerts, incidents, notifications and notes. */
export const ON_CALL_SUMMARIES: SummaryWriters<keyof typeof ON_CALL_EVENTS> = {
  'alert.firing': ({ subject, data: d }) => {
    const on = d.route ?? subject;
    const { burn, windows, errorRatio } = d;
    if (burn !== undefined && windows?.longMs !== undefined && windows.shortMs !== undefined) {
      const failing = errorRatio === undefined ? '' : `; ${percent(errorRatio)} of requests ${d.sli === 'latency' ? 'slow' : 'failing'}`;
      return `${d.severity} alert ${d.rule} on ${on}${d.sli === undefined ? '' : ` ${d.sli}`}: error budget burning ${figure(burn.long)}× over ${duration(windows.longMs)} and ${figure(burn.short)}× over ${duration(windows.shortMs)} (fires over ${figure(burn.threshold)}×)${failing}`;
    }
    if (d.requests !== undefined && d.failed !== undefined) {
      const over = windows?.windowMs === undefined ? '' : ` over ${duration(windows.windowMs)}`;
      return `${d.severity} alert ${d.rule} on ${on}: ${count(d.failed)} of ${plural(d.requests, 'request')} failing${over}`;
    }
    if (d.rule === 'pool.no_healthy_backend')
      return `${d.severity} alert: no healthy backend in ${d.pool ?? subject}${d.route === undefined ? '' : ` for ${d.route}`}`;
    const what = d.rule === 'backend.down' ? 'down' : d.rule === 'backend.ejected' ? 'ejected' : `${d.rule} fired`;
    return `${d.severity} alert: ${subject} ${what}${d.reason ? `: ${d.reason}` : ''}`;
  },
  // The alert's id names route, SLI and rule (`web:latency:page-1h-5m`): two rules of one route stay apart.
  'alert.resolved': ({ data: d }) => `${d.severity} alert ${d.alert} resolved after ${duration(d.durationMs)}`,
  'incident.opened': ({ data: d }) => {
    const before = d.detectedAt - d.startedAt;
    return `incident ${d.incident} opened: ${d.title}${before > 0 ? `; impact began ${duration(before)} before it was detected` : ''}`;
  },
  'incident.updated': ({ data: d }) =>
    d.joined === true
      ? `alert ${d.alert} joined incident ${d.incident}`
      : d.cleared === true
        ? `alert ${d.alert} of incident ${d.incident} cleared`
        : `incident ${d.incident} updated for alert ${d.alert}`,
  'incident.acknowledged': ({ data: d }) => `${who(d.actor)} acknowledged incident ${d.incident}`,
  'incident.mitigated': ({ data: d }) =>
    d.by === 'traffic'
      ? `incident ${d.incident} mitigated: its errors stopped without an action`
      : `incident ${d.incident} mitigated by ${MITIGATIONS[d.by] ?? d.by}${d.cause === undefined ? '' : ` (event ${d.cause})`}`,
  'incident.resolved': ({ data: d }) =>
    `incident ${d.incident} resolved: its alerts stayed clear for ${duration(d.clearForMs)}, ${duration(d.durationMs)} after it began`,
  'notification.delivered': ({ data: d }) =>
    `webhook ${d.webhook} notified of ${d.event} (event ${d.eventId})${d.attempts > 1 ? ` on attempt ${d.attempts}` : ''}`,
  'notification.failed': ({ data: d }) =>
    `webhook ${d.webhook} not notified of ${d.event} (event ${d.eventId}) after ${plural(d.attempts, 'attempt')}: ${d.error}`,
  'journal.dropped': ({ data: d }) =>
    `the journal lost ${plural(d.count, 'event')} (buffer full, or storage failing); ${count(d.total)} since it opened`,
  'operator.note': ({ actor, data: d }) => {
    const { text, ...facts } = d;
    const rest = Object.entries(facts).map(([k, v]) => `${k} ${String(v)}`);
    const body = [...(text === undefined || text === '' ? [] : [text]), ...(rest.length > 0 ? [list(rest)] : [])];
    return body.length > 0 ? `${who(actor)} noted: ${body.join('; ')}` : `${who(actor)} wrote an empty note`;
  },
};
