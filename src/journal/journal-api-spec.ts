import { z } from 'zod';
import { defineApi } from '../control-api/index.ts';

/**
 * The kinds anyone may append through the API: an operator's note, and the capacity results
 * `piper capacity --admin` posts. Every other kind records what a part of piper saw or did,
 * so only that part writes it.
 */
export const POSTED_KINDS = ['operator.note', 'capacity.result'] as const;

const eventSchema = z.looseObject({
  id: z.number().int(),
  time: z.number().describe('ms since the epoch'),
  kind: z.string(),
  source: z.string(),
  subject: z.string(),
  data: z.record(z.string(), z.unknown()),
  actor: z.string(),
});
const summarized = eventSchema.extend({ summary: z.string().describe('the one line every place prints (docs/journal.md)') });

const text = (description: string): z.ZodOptional<z.ZodString> => z.string().describe(description).optional();
const eventQuery = {
  since: text('ms since the epoch, an ISO date, or a duration back from now (15m)'),
  until: text('ms since the epoch, an ISO date, or a duration back from now'),
  kind: z
    .union([z.string(), z.array(z.string())])
    .describe('a kind or a prefix (migration.*); repeat it or separate with commas')
    .optional(),
  subject: text('a route, pool, pool/backend, migration or incident id'),
  afterId: text('events after this id (resuming)'),
};
const incidentParams = z.strictObject({ id: z.string().describe('a positive integer') });
const anyObject = z.looseObject({});

/** The journal's slice of the control-plane API (docs/api.md, "Journal"). */
export const journalApiSpec = defineApi({
  tag: 'Journal',
  invalid: { code: 'PIPER_JOURNAL_BAD_REQUEST' },
  methodNotAllowedCode: 'PIPER_JOURNAL_METHOD_NOT_ALLOWED',
  routes: {
    listEvents: {
      method: 'GET',
      url: '/api/v1/events',
      summary: 'Events the filter matches, oldest first, each with its summary, and the id to resume after',
      schema: {
        querystring: z.strictObject({ ...eventQuery, limit: text('at most this many, 1 to 10000 (default 1000)') }),
        response: { 200: z.strictObject({ events: z.array(summarized), lastId: z.number().int().nullable() }) },
      },
      invalid: { code: 'PIPER_JOURNAL_BAD_FILTER' },
    },
    appendEvent: {
      method: 'POST',
      url: '/api/v1/events',
      summary: "Appends an operator's note or a capacity result, checked against the event catalogue",
      schema: {
        body: z.strictObject({
          kind: z.enum(POSTED_KINDS),
          source: z.string().optional().describe("default: the kind's writer (operator, loadgen)"),
          subject: z.string().optional(),
          data: z.record(z.string(), z.unknown()).optional(),
          actor: z.string().optional(),
          time: z.number().optional(),
        }),
        response: { 201: summarized },
      },
      invalid: { code: 'PIPER_JOURNAL_BAD_EVENT', message: (field, problem) => `event ${field} ${problem}` },
    },
    streamEvents: {
      method: 'GET',
      url: '/api/v1/events/stream',
      summary: 'New matching events as server-sent events (`journal`), from now, afterId or Last-Event-ID',
      schema: {
        querystring: z.strictObject({ kind: eventQuery.kind, subject: eventQuery.subject, afterId: eventQuery.afterId }),
        response: {},
      },
      produces: ['text/event-stream'],
      invalid: { code: 'PIPER_JOURNAL_BAD_FILTER' },
    },
    listIncidents: {
      method: 'GET',
      url: '/api/v1/incidents',
      summary: 'Every incident with its numbers, and the mean times across them',
      schema: {
        querystring: z.strictObject({}),
        response: { 200: z.strictObject({ incidents: z.array(anyObject), means: anyObject }) },
      },
    },
    getIncident: {
      method: 'GET',
      url: '/api/v1/incidents/:id',
      summary: "An incident's report, its timeline's events with their summary",
      schema: { params: incidentParams, response: { 200: z.looseObject({ timeline: z.array(summarized) }) } },
    },
    acknowledgeIncident: {
      method: 'POST',
      url: '/api/v1/incidents/:id/ack',
      summary: 'Acknowledges an incident (idempotent: the first acknowledgement stays)',
      schema: {
        params: incidentParams,
        body: z.strictObject({ actor: z.string().min(1).max(128).describe('who acknowledges') }),
        response: { 200: anyObject },
      },
    },
    postmortem: {
      method: 'GET',
      url: '/api/v1/incidents/:id/postmortem',
      summary: "An incident's postmortem: markdown, HTML, or the structured document (json)",
      schema: {
        params: incidentParams,
        querystring: z.strictObject({
          format: z.enum(['md', 'html', 'json']).optional(),
          tz: text('an IANA time zone like America/Los_Angeles (default UTC)'),
        }),
        response: { 200: z.looseObject({ incidentId: z.number().int(), sections: z.array(anyObject) }) },
      },
      produces: ['text/markdown', 'text/html', 'application/json'],
    },
    capacity: {
      method: 'GET',
      url: '/api/v1/capacity',
      summary: '`capacity.result` events, newest first',
      schema: {
        querystring: z.strictObject({
          pool: text('results for this pool only'),
          limit: text('at most this many, 1 to 10000 (default 100)'),
        }),
        response: { 200: z.strictObject({ results: z.array(eventSchema) }) },
      },
      invalid: { code: 'PIPER_JOURNAL_BAD_FILTER' },
    },
    slo: {
      method: 'GET',
      url: '/api/v1/slo',
      summary: "Each route's SLO status, the alerts firing, the alert policy, the public status",
      schema: {
        querystring: z.strictObject({}),
        response: { 200: z.strictObject({ routes: z.array(anyObject), firing: z.array(anyObject), policy: anyObject, status: anyObject }) },
      },
    },
  },
});
