import { PiperError, parseDuration } from '../core/index.ts';
import type { EventFilter } from './journal-event.ts';
import { journalErrors } from './journal-errors.ts';

/** Default and largest page of a query. */
export const DEFAULT_QUERY_LIMIT = 1000;
export const MAX_QUERY_LIMIT = 10_000;

const KIND_PATTERN = /^(\*|[a-z][a-z0-9_]*(\.[a-z0-9_]+)*(\.\*)?)$/;

function badFilter(message: string, key: string): PiperError {
  return new PiperError(journalErrors.PIPER_JOURNAL_BAD_FILTER, message, { details: { key } });
}

/** Checks a filter built in code or from a request; throws PIPER_JOURNAL_BAD_FILTER naming the key. */
export function validateEventFilter(f: EventFilter): EventFilter {
  for (const key of ['since', 'until', 'afterId'] as const) {
    const v = f[key];
    if (v !== undefined && (!Number.isFinite(v) || v < 0)) throw badFilter(`${key} must be a non-negative number, got ${String(v)}`, key);
  }
  if (f.limit !== undefined && (!Number.isInteger(f.limit) || f.limit < 1 || f.limit > MAX_QUERY_LIMIT)) {
    throw badFilter(`limit must be an integer from 1 to ${MAX_QUERY_LIMIT}, got ${String(f.limit)}`, 'limit');
  }
  for (const kind of f.kinds ?? []) {
    if (!KIND_PATTERN.test(kind)) throw badFilter(`kind "${kind}" is not a dotted lower-case kind or a prefix like "migration.*"`, 'kind');
  }
  if (f.subject !== undefined && (f.subject.length === 0 || f.subject.length > 256)) {
    throw badFilter('subject must be 1 to 256 characters', 'subject');
  }
  return f;
}

/**
 * Parses a time given as ms since the epoch, an ISO 8601 date, or a duration back from `now`
 * (`15m` means "15 minutes ago").
 */
export function parseTimeParam(text: string, now: number, key: string): number {
  if (/^\d+$/.test(text)) return Number(text);
  if (/^\d{4}-\d{2}-\d{2}/.test(text)) {
    const t = Date.parse(text);
    if (Number.isFinite(t)) return t;
  }
  try {
    return now - parseDuration(text);
  } catch {
    throw badFilter(`${key} must be ms since the epoch, an ISO date or a duration like 15m, got "${text}"`, key);
  }
}

function parseIntParam(text: string, key: string): number {
  if (!/^\d+$/.test(text)) throw badFilter(`${key} must be a non-negative integer, got "${text}"`, key);
  return Number(text);
}

/** An event query as the API's schema passed it: each parameter's text (`kind` repeatable). */
export interface EventQuery {
  since?: string | undefined;
  until?: string | undefined;
  kind?: string | string[] | undefined;
  subject?: string | undefined;
  afterId?: string | undefined;
  limit?: string | undefined;
}

/** Builds a filter from an event query; `kind` may repeat or list kinds with commas. */
export function parseEventFilter(q: EventQuery, now: number): EventFilter {
  const f: EventFilter = {};
  if (q.since !== undefined) f.since = parseTimeParam(q.since, now, 'since');
  if (q.until !== undefined) f.until = parseTimeParam(q.until, now, 'until');
  const kinds = [q.kind ?? []].flat().flatMap((k) => k.split(','));
  if (kinds.length > 0) f.kinds = kinds;
  if (q.subject !== undefined) f.subject = q.subject;
  if (q.afterId !== undefined) f.afterId = parseIntParam(q.afterId, 'afterId');
  if (q.limit !== undefined) f.limit = parseIntParam(q.limit, 'limit');
  return validateEventFilter(f);
}

/** True when an event of `kind` and `subject` passes the filter's kind and subject tests (for live streams). */
export function matchesFilter(e: { kind: string; subject: string; time: number; id: number }, f: EventFilter): boolean {
  if (f.subject !== undefined && e.subject !== f.subject) return false;
  if (f.since !== undefined && e.time < f.since) return false;
  if (f.until !== undefined && e.time >= f.until) return false;
  if (f.afterId !== undefined && e.id <= f.afterId) return false;
  if (f.kinds !== undefined && f.kinds.length > 0) {
    return f.kinds.some((k) => (k === '*' ? true : k.endsWith('.*') ? e.kind.startsWith(k.slice(0, -1)) : e.kind === k));
  }
  return true;
}
