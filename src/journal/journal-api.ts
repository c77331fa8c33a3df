import type { IncomingMessage, ServerResponse } from 'node:http';
import { type ApiHandler, type Clock, matchPath, PiperError, readJson, sendCaught, sendError, sendJson } from '../core/index.ts';
import type { FiringAlert } from './alert-book.ts';
import type { AlertPolicy } from './alert-policy.ts';
import { catalogueEntry, checkEvent, type JournalEventInput } from './event-catalogue.ts';
import { parseEventFilter, validateEventFilter } from './event-filter.ts';
import { type SummarizedEvent, withSummary } from './event-summary.ts';
import type { IncidentMeans, IncidentReport, ListedIncident } from './incident-report.ts';
import type { Journal } from './journal.ts';
import type { EventFilter, JournalEvent } from './journal-event.ts';
import type { OnCall } from './on-call.ts';
import type { RouteSloStatus } from './slo-monitor.ts';
import { SseWriter } from './sse-writer.ts';
import type { StatusPage } from './status-page.ts';

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

/** Options of {@link createJournalApi}. */
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

function badRequest(message: string, code = 'PIPER_JOURNAL_BAD_REQUEST', field?: string): PiperError {
  return new PiperError(code, message, { source: 'downstream', details: { status: 400, ...(field === undefined ? {} : { field }) } });
}

/**
 * The kinds anyone may append through the API: an operator's note, and the capacity results
 * `piper capacity --admin` posts. Every other kind records what a part of piper saw or did,
 * so only that part writes it.
 */
const POSTED_KINDS = ['operator.note', 'capacity.result'] as const;

function incidentId(text: string | undefined): number {
  if (text === undefined || !/^[1-9]\d{0,9}$/.test(text))
    throw badRequest(`incident id must be a positive integer, got "${text ?? ''}"`, 'PIPER_JOURNAL_BAD_INCIDENT_ID');
  return Number(text);
}

function only(url: URL, allowed: readonly string[]): void {
  for (const key of url.searchParams.keys()) {
    if (!allowed.includes(key))
      throw badRequest(`unknown query parameter "${key}"${allowed.length ? ` (known: ${allowed.join(', ')})` : ''}`);
  }
}

/**
 * The journal's slice of the control-plane API (docs/api.md, "Journal"): events (list, stream,
 * append), incidents (list, one, acknowledge, postmortem), capacity results and SLO status.
 */
export function createJournalApi(o: JournalApiOptions): ApiHandler {
  return async (req, res, url) => {
    const path = url.pathname;
    if (
      !path.startsWith('/api/v1/events') &&
      !path.startsWith('/api/v1/incidents') &&
      path !== '/api/v1/capacity' &&
      path !== '/api/v1/slo'
    )
      return false;
    const method = req.method ?? 'GET';
    try {
      if (path === '/api/v1/events') {
        if (method === 'GET') {
          const filter = parseEventFilter(url.searchParams, o.clock.now());
          const events = o.journal.query(filter);
          sendJson(res, 200, { events: events.map(withSummary), lastId: events.at(-1)?.id ?? filter.afterId ?? null } satisfies EventList);
          return true;
        }
        if (method === 'POST') {
          const input = eventFromBody(await readJson(req));
          const event = o.journal.append(o.annotate ? o.annotate(input) : input);
          sendJson(res, 201, withSummary(event));
          return true;
        }
        return notAllowed(res, 'GET, POST');
      }
      if (path === '/api/v1/events/stream') {
        if (method !== 'GET') return notAllowed(res, 'GET');
        only(url, ['kind', 'subject', 'afterId']);
        const filter = parseEventFilter(url.searchParams, o.clock.now());
        const lastEventId = req.headers['last-event-id'];
        if (typeof lastEventId === 'string' && /^\d+$/.test(lastEventId)) filter.afterId = Number(lastEventId);
        // Without a starting point a stream starts now, not at the beginning of history.
        if (filter.afterId === undefined) filter.afterId = o.journal.lastId();
        stream(o, req, res, validateEventFilter(filter));
        return true;
      }
      if (path === '/api/v1/incidents') {
        if (method !== 'GET') return notAllowed(res, 'GET');
        only(url, []);
        sendJson(res, 200, { incidents: o.onCall.listIncidents(), means: o.onCall.means() } satisfies IncidentList);
        return true;
      }
      let m = matchPath('/api/v1/incidents/:id', path);
      if (m !== null) {
        if (method !== 'GET') return notAllowed(res, 'GET');
        const report = o.onCall.report(incidentId(m.id));
        sendJson(res, 200, { ...report, timeline: report.timeline.map(withSummary) } satisfies IncidentAnswer);
        return true;
      }
      m = matchPath('/api/v1/incidents/:id/ack', path);
      if (m !== null) {
        if (method !== 'POST') return notAllowed(res, 'POST');
        const id = incidentId(m.id);
        const body = await readJson(req);
        const actor = (body as { actor?: unknown } | null)?.actor;
        if (typeof actor !== 'string' || actor.length === 0 || actor.length > 128)
          throw badRequest('body must be { "actor": "<who acknowledges>" } (1 to 128 characters)');
        sendJson(res, 200, o.onCall.incidents.acknowledge(id, actor));
        return true;
      }
      m = matchPath('/api/v1/incidents/:id/postmortem', path);
      if (m !== null) {
        if (method !== 'GET') return notAllowed(res, 'GET');
        only(url, ['format', 'tz']);
        const id = incidentId(m.id);
        const format = url.searchParams.get('format') ?? 'md';
        if (format !== 'md' && format !== 'html' && format !== 'json') throw badRequest(`format must be md, html or json, got "${format}"`);
        const tz = url.searchParams.get('tz') ?? undefined;
        if (tz !== undefined && !validTimeZone(tz)) throw badRequest(`tz must be an IANA time zone like America/Los_Angeles, got "${tz}"`);
        if (format === 'json') {
          sendJson(res, 200, o.onCall.postmortemDocument(id, tz));
          return true;
        }
        const text = o.onCall.postmortem(id, format, tz);
        res.writeHead(200, {
          'content-type': format === 'html' ? 'text/html; charset=utf-8' : 'text/markdown; charset=utf-8',
          'content-length': Buffer.byteLength(text),
        });
        res.end(text);
        return true;
      }
      if (path === '/api/v1/capacity') {
        if (method !== 'GET') return notAllowed(res, 'GET');
        only(url, ['pool', 'limit']);
        const filter: EventFilter = { kinds: ['capacity.result'], limit: 10_000 };
        const pool = url.searchParams.get('pool');
        const limitText = url.searchParams.get('limit') ?? '100';
        if (!/^\d+$/.test(limitText) || Number(limitText) < 1 || Number(limitText) > 10_000)
          throw badRequest('limit must be an integer from 1 to 10000', 'PIPER_JOURNAL_BAD_FILTER');
        const results = o.journal
          .query(filter)
          .filter((e) => pool === null || e.data.pool === pool || e.subject === pool)
          .reverse()
          .slice(0, Number(limitText));
        sendJson(res, 200, { results } satisfies CapacityList);
        return true;
      }
      if (path === '/api/v1/slo') {
        if (method !== 'GET') return notAllowed(res, 'GET');
        only(url, []);
        sendJson(res, 200, {
          routes: o.onCall.sloStatus(),
          firing: o.onCall.firing(),
          policy: o.onCall.slo.policy,
          status: o.onCall.statusPage(),
        } satisfies SloAnswer);
        return true;
      }
      return false;
    } catch (err) {
      return sendCaught(res, err);
    }
  };
}

function notAllowed(res: ServerResponse, allow: string): true {
  sendError(res, 405, 'PIPER_JOURNAL_METHOD_NOT_ALLOWED', `method not allowed; use ${allow}`, { allow });
  return true;
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
 * An appended event from the API: an operator note or a capacity result (`POSTED_KINDS`), checked
 * against the event catalogue; `source` defaults to the kind's writer (operator, loadgen).
 */
function eventFromBody(body: unknown): JournalEventInput {
  const bad = (field: string, problem: string): PiperError => badRequest(`event ${field} ${problem}`, 'PIPER_JOURNAL_BAD_EVENT', field);
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw bad('body', 'must be a JSON object');
  const b = body as Record<string, unknown>;
  const known = new Set(['kind', 'source', 'subject', 'data', 'actor', 'time']);
  for (const key of Object.keys(b)) if (!known.has(key)) throw bad(key, `is not a field of an event (known: ${[...known].join(', ')})`);
  if (!POSTED_KINDS.includes(b.kind as (typeof POSTED_KINDS)[number]))
    throw bad(
      'kind',
      `must be ${POSTED_KINDS.join(' or ')}: the other kinds are written by piper itself (docs/journal.md, "Event catalogue")`,
    );
  const kind = b.kind as (typeof POSTED_KINDS)[number];
  const source = b.source ?? catalogueEntry(kind)?.sources[0];
  if (b.data !== undefined && (b.data === null || typeof b.data !== 'object' || Array.isArray(b.data)))
    throw bad('data', 'must be an object');
  const mismatch = checkEvent({ kind, source: String(source), data: b.data ?? {} });
  if (mismatch !== null) throw bad(mismatch.field, mismatch.problem);
  // Checked against the catalogue above; the store checks subject, actor and time.
  return { ...b, kind, source, subject: b.subject ?? '', data: b.data ?? {} } as JournalEventInput;
}

function stream(o: JournalApiOptions, req: IncomingMessage, res: ServerResponse, filter: EventFilter): void {
  const sse = new SseWriter(res, o.clock, o.heartbeatMs !== undefined ? { heartbeatMs: o.heartbeatMs } : {});
  const abort = new AbortController();
  sse.onClose(() => abort.abort());
  req.on('close', () => abort.abort());
  void (async () => {
    for await (const e of o.journal.follow(filter, abort.signal)) {
      if (!sse.send('journal', String(e.id), withSummary(e))) break;
    }
    sse.close();
  })().catch(() => sse.close());
}
