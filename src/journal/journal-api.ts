import type { FastifyPluginAsync } from 'fastify';
import { apiPlugin, type RouteRequest, streamEvents } from '../control-api/index.ts';
import { type Clock, PiperError } from '../core/index.ts';
import type { FiringAlert } from './alert-book.ts';
import type { AlertPolicy } from './alert-policy.ts';
import { catalogueEntry, checkEvent, type JournalEventInput } from './event-catalogue.ts';
import { parseEventFilter, validateEventFilter } from './event-filter.ts';
import { type SummarizedEvent, withSummary } from './event-summary.ts';
import type { IncidentMeans, IncidentReport, ListedIncident } from './incident-report.ts';
import type { Journal } from './journal.ts';
import type { JournalEvent } from './journal-event.ts';
import type { OnCall } from './on-call.ts';
import type { RouteSloStatus } from './slo-monitor.ts';
import { journalApiSpec } from './journal-api-spec.ts';
import type { StatusPage } from './status-page.ts';
import { journalErrors } from './journal-errors.ts';

/** `GET /api/v1/events`: the events the filter matched, oldest first, and where to resume. */
export interface EventList {
  /** Each with its one-line summary. */
  events: SummarizedEvent[];
  /** The newest event's id (or the `afterId` asked for): the next `afterId`. Null when neither. */
  lastId: number | null;
}

/** `GET /api/v1/incidents`: every incident, and the mean times across them. */
export interface IncidentList {
  /** Each with its numbers and the rows every place prints (docs/journal.md, "Numbers"). */
  incidents: ListedIncident[];
  means: IncidentMeans;
}

/** `GET /api/v1/incidents/:id`: the incident's report, its timeline's events with their summary. */
export type IncidentAnswer = Omit<IncidentReport, 'timeline'> & { timeline: SummarizedEvent[] };

/** `GET /api/v1/capacity`: `capacity.result` events, newest first. */
export interface CapacityList {
  results: JournalEvent[];
}

/** `GET /api/v1/slo`: each route's SLO status, the alerts firing, the alert policy, the public status. */
export interface SloAnswer {
  routes: RouteSloStatus[];
  firing: FiringAlert[];
  policy: AlertPolicy;
  status: StatusPage;
}

/** Options of {@link journalApi}. */
export interface JournalApiOptions {
  journal: Journal;
  onCall: OnCall;
  clock: Clock;
  /** SSE heartbeat period (default 15 s). */
  heartbeatMs?: number;
  /**
   * Adds what the control plane knows to an event appended through the API before it is written
   * (the pool membership a capacity result certified); the event as sent when absent.
   */
  annotate?: (event: JournalEventInput) => JournalEventInput;
}

function badRequest(message: string, code = 'PIPER_JOURNAL_BAD_REQUEST'): PiperError {
  return new PiperError(code, message, { source: 'downstream', details: { status: 400 } });
}

function incidentId(text: string): number {
  if (!/^[1-9]\d{0,9}$/.test(text))
    throw badRequest(`incident id must be a positive integer, got "${text}"`, 'PIPER_JOURNAL_BAD_INCIDENT_ID');
  return Number(text);
}

/**
 * The journal's slice of the control-plane API (docs/api.md, "Journal"): events (list, stream,
 * append), incidents (list, one, acknowledge, postmortem), capacity results and SLO status.
 */
export function journalApi(o: JournalApiOptions): FastifyPluginAsync {
  return apiPlugin(journalApiSpec, {
    listEvents: (req) => {
      const filter = parseEventFilter(req.query, o.clock.now());
      const events = o.journal.query(filter);
      return { events: events.map(withSummary), lastId: events.at(-1)?.id ?? filter.afterId ?? null } satisfies EventList;
    },
    appendEvent: (req, reply) => {
      const input = eventFromBody(req.body);
      reply.code(201);
      return withSummary(o.journal.append(o.annotate ? o.annotate(input) : input));
    },
    streamEvents: (req, reply) => {
      const filter = parseEventFilter(req.query, o.clock.now());
      const lastEventId = req.headers['last-event-id'];
      if (typeof lastEventId === 'string' && /^\d+$/.test(lastEventId)) filter.afterId = Number(lastEventId);
      // Without a starting point a stream starts now, not at the beginning of history.
      if (filter.afterId === undefined) filter.afterId = o.journal.lastId();
      const checked = validateEventFilter(filter);
      streamEvents(
        req,
        reply,
        { clock: o.clock, ...(o.heartbeatMs === undefined ? {} : { heartbeatMs: o.heartbeatMs }) },
        (signal) => o.journal.follow(checked, signal),
        (e) => ({ event: 'journal', id: String(e.id), data: withSummary(e) }),
      );
    },
    listIncidents: () => ({ incidents: o.onCall.listIncidents(), means: o.onCall.means() }) satisfies IncidentList,
    getIncident: (req) => {
      const report = o.onCall.report(incidentId(req.params.id));
      return { ...report, timeline: report.timeline.map(withSummary) } satisfies IncidentAnswer;
    },
    acknowledgeIncident: (req) => o.onCall.incidents.acknowledge(incidentId(req.params.id), req.body.actor),
    postmortem: (req, reply) => {
      const id = incidentId(req.params.id);
      const { format = 'md', tz } = req.query;
      if (tz !== undefined && !validTimeZone(tz)) throw badRequest(`tz must be an IANA time zone like America/Los_Angeles, got "${tz}"`);
      if (format === 'json') return o.onCall.postmortemDocument(id, tz);
      reply.type(format === 'html' ? 'text/html; charset=utf-8' : 'text/markdown; charset=utf-8');
      return o.onCall.postmortem(id, format, tz);
    },
    capacity: (req) => {
      const { pool, limit = '100' } = req.query;
      if (!/^\d+$/.test(limit) || Number(limit) < 1 || Number(limit) > 10_000)
        throw badRequest('limit must be an integer from 1 to 10000', 'PIPER_JOURNAL_BAD_FILTER');
      const results = o.journal
        .query({ kinds: ['capacity.result'], limit: 10_000 })
        .filter((e) => pool === undefined || e.data.pool === pool || e.subject === pool)
        .reverse()
        .slice(0, Number(limit));
      return { results } satisfies CapacityList;
    },
    slo: () =>
      ({
        routes: o.onCall.sloStatus(),
        firing: o.onCall.firing(),
        policy: o.onCall.slo.policy,
        status: o.onCall.statusPage(),
      }) satisfies SloAnswer,
  });
}

function validTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/**
 * An appended event from the API: an operator note or a capacity result (its schema took only
 * `POSTED_KINDS`), checked against the event catalogue; `source` defaults to the kind's writer.
 */
function eventFromBody(b: RouteRequest<(typeof journalApiSpec)['routes']['appendEvent']['schema']>['body']): JournalEventInput {
  const source = b.source ?? catalogueEntry(b.kind)?.sources[0];
  const mismatch = checkEvent({ kind: b.kind, source: String(source), data: b.data ?? {} });
  if (mismatch !== null)
    throw new PiperError(journalErrors.PIPER_JOURNAL_BAD_EVENT, `event ${mismatch.field} ${mismatch.problem}`, {
      details: { field: mismatch.field },
    });
  // Checked against the catalogue above; the store checks subject, actor and time.
  return { ...b, source, subject: b.subject ?? '', data: b.data ?? {} } as JournalEventInput;
}
