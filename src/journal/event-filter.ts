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

/** Builds a filter from URL query parameters (`since`, `until`, `kind` repeatable, `subject`, `afterId`, `limit`). */
export function parseEventFilter(params: URLSearchParams, now: number): EventFilter {
  const known = new Set(['since', 'until', 'kind', 'subject', 'afterId', 'limit']);
  for (const key of params.keys()) {
    if (!known.has(key)) throw badFilter(`unknown query parameter "${key}" (known: ${[...known].join(', ')})`, key);
  }
  const f: EventFilter = {};
  const since = params.get('since');
  if (since !== null) f.since = parseTimeParam(since, now, 'since');
  const until = params.get('until');
  if (until !== null) f.until = parseTimeParam(until, now, 'until');
  const kinds = params.getAll('kind').flatMap((k) => k.split(','));
  if (kinds.length > 0) f.kinds = kinds;
  const subject = params.get('subject');
  if (subject !== null) f.subject = subject;
  const afterId = params.get('afterId');
  if (afterId !== null) f.afterId = parseIntParam(afterId, 'afterId');
  const limit = params.get('limit');
  if (limit !== null) f.limit = parseIntParam(limit, 'limit');
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
