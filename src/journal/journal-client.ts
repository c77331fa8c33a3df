import { PiperError } from '../core/index.ts';
import type { Incident } from './incident-manager.ts';
import type { IncidentMeans, IncidentReport, ListedIncident } from './incident-report.ts';
import type { EventFilter, JournalEvent } from './journal-event.ts';
import { journalErrors } from './journal-errors.ts';

/**
 * The journal's HTTP API as seen from another process (`piper events --admin URL`): the same
 * paths as docs/api.md "Journal".
 */
export class JournalHttpClient {
  #base: URL;
  #token: string | undefined;

  constructor(baseUrl: string, token?: string) {
    try {
      this.#base = new URL(baseUrl);
    } catch {
      throw new PiperError(journalErrors.PIPER_JOURNAL_BAD_ADMIN_URL, `admin URL "${baseUrl}" is not a URL (e.g. http://127.0.0.1:9901)`);
    }
    this.#token = token;
  }

  async query(f: EventFilter): Promise<JournalEvent[]> {
    const body = (await this.#json('GET', `/api/v1/events?${filterParams(f)}`)) as { events: JournalEvent[] };
    return body.events;
  }

  /** Events from the server-sent stream until `signal` aborts. */
  async *follow(f: EventFilter, signal: AbortSignal): AsyncIterable<JournalEvent> {
    const params = filterParams({
      ...(f.kinds ? { kinds: f.kinds } : {}),
      ...(f.subject ? { subject: f.subject } : {}),
      ...(f.afterId !== undefined ? { afterId: f.afterId } : {}),
    });
    let res: Response;
    try {
      res = await this.#fetch('GET', `/api/v1/events/stream?${params}`, undefined, signal, 'text/event-stream');
    } catch (err) {
      if (signal.aborted) return; // interrupted while connecting: not an error
      throw err;
    }
    if (res.body === null) return;
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = frame
            .split('\n')
            .filter((l) => l.startsWith('data:'))
            .map((l) => l.slice(5).trimStart())
            .join('\n');
          if (data !== '' && /^event: journal$/m.test(frame)) yield JSON.parse(data) as JournalEvent;
        }
      }
    } catch (err) {
      if (signal.aborted) return;
      throw err;
    }
  }

  async incidents(): Promise<{ incidents: ListedIncident[]; means: IncidentMeans }> {
    return (await this.#json('GET', '/api/v1/incidents')) as { incidents: ListedIncident[]; means: IncidentMeans };
  }

  async report(id: number): Promise<IncidentReport> {
    return (await this.#json('GET', `/api/v1/incidents/${id}`)) as IncidentReport;
  }

  async acknowledge(id: number, actor: string): Promise<Incident> {
    return (await this.#json('POST', `/api/v1/incidents/${id}/ack`, { actor })) as Incident;
  }

  async postmortem(id: number, format: 'md' | 'html', timeZone?: string): Promise<string> {
    const res = await this.#fetch(
      'GET',
      `/api/v1/incidents/${id}/postmortem?format=${format}${timeZone ? `&tz=${encodeURIComponent(timeZone)}` : ''}`,
    );
    return res.text();
  }

  async #json(method: string, path: string, body?: unknown): Promise<unknown> {
    const res = await this.#fetch(method, path, body);
    return res.json() as Promise<unknown>;
  }

  async #fetch(method: string, path: string, body?: unknown, signal?: AbortSignal, accept = 'application/json'): Promise<Response> {
    const headers: Record<string, string> = { accept };
    if (this.#token !== undefined) headers.authorization = `Bearer ${this.#token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(new URL(path, this.#base), {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        ...(signal ? { signal } : {}),
      });
    } catch (err) {
      throw new PiperError(
        journalErrors.PIPER_JOURNAL_REMOTE_FAILED,
        `cannot reach ${this.#base.origin}: ${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message}`,
        {
          cause: err,
        },
      );
    }
    if (!res.ok) {
      const text = await res.text();
      let code = 'PIPER_JOURNAL_REMOTE_FAILED';
      let message = `${method} ${path}: HTTP ${res.status}`;
      try {
        const e = (JSON.parse(text) as { error?: { code?: string; message?: string } }).error;
        if (e?.code) code = e.code;
        if (e?.message) message = `${e.message} (HTTP ${res.status})`;
      } catch {
        // not a piper error body; keep the status line
      }
      throw new PiperError(code, message, { source: res.status < 500 ? 'operator' : 'upstream', details: { status: res.status } });
    }
    return res;
  }
}

function filterParams(f: EventFilter): string {
  const p = new URLSearchParams();
  if (f.since !== undefined) p.set('since', String(f.since));
  if (f.until !== undefined) p.set('until', String(f.until));
  for (const k of f.kinds ?? []) p.append('kind', k);
  if (f.subject !== undefined) p.set('subject', f.subject);
  if (f.afterId !== undefined) p.set('afterId', String(f.afterId));
  if (f.limit !== undefined) p.set('limit', String(f.limit));
  return p.toString();
}
