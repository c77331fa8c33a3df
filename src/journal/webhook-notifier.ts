import type { Clock, Logger } from '../core/index.ts';
import { summarizeEvent, withSummary } from './event-summary.ts';
import type { Journal } from './journal.ts';
import type { JournalEvent } from './journal-event.ts';

/** One webhook target (config `notifications.webhooks[]`). */
export interface WebhookTarget {
  url: string;
  format: 'json' | 'slack';
  /** Event kinds sent; when absent, incidents (open, acknowledge, resolve) and migrations (start, step, rollback, completion). */
  events?: readonly string[] | undefined;
}

/** Sends one HTTP POST; resolves with the status, rejects on a network error. Injected for tests. */
export type WebhookSender = (url: string, body: string, signal: AbortSignal) => Promise<number>;

export interface WebhookNotifierOptions {
  journal: Journal;
  clock: Clock;
  logger: Logger;
  webhooks: readonly WebhookTarget[];
  send?: WebhookSender;
  /** Attempts per notification (default 5), with exponential backoff from `backoffMs` (default 1 s, ×2, at most 60 s). */
  attempts?: number;
  backoffMs?: number;
  /** Per attempt (default 5 s). */
  timeoutMs?: number;
  /** Notifications waiting at most (default 1000); beyond it the oldest is dropped and journaled. */
  queueSize?: number;
  /** Where links in messages point (the dashboard). */
  dashboardUrl?: string;
}

// Incidents, and a migration's start, steps, rollback and completion (issue 7 asks for those).
const DEFAULT_EVENTS = [
  'incident.opened',
  'incident.acknowledged',
  'incident.resolved',
  'migration.started',
  'migration.step',
  'migration.rolled_back',
  'migration.completed',
];

/** The generic JSON body: the event as recorded with its `summary`, plus a one-line text. */
export function jsonPayload(e: JournalEvent): Record<string, unknown> {
  const event = withSummary(e);
  return { event, text: `[piper] ${e.kind} ${e.subject}: ${event.summary}` };
}

/** A Slack incoming-webhook body (`text` plus a section block), also accepted by Mattermost. */
export function slackPayload(e: JournalEvent, dashboardUrl?: string): Record<string, unknown> {
  const emoji =
    e.kind === 'incident.resolved' ? ':white_check_mark:' : e.kind === 'incident.opened' ? ':rotating_light:' : ':information_source:';
  const text = `${emoji} *${e.kind}* ${e.subject}: ${summarizeEvent(e)}`;
  return {
    text,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text } },
      {
        type: 'context',
        elements: [
          {
            type: 'mrkdwn',
            text: `${new Date(e.time).toISOString()} · by ${e.actor}${dashboardUrl ? ` · <${dashboardUrl}|dashboard>` : ''}`,
          },
        ],
      },
    ],
  };
}

const fetchSender: WebhookSender = async (url, body, signal) => {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal });
  await res.body?.cancel();
  return res.status;
};

interface Job {
  target: WebhookTarget;
  event: JournalEvent;
}

/**
 * Posts incident events to webhooks off the caller's path: a queue drained by one async loop,
 * retries with exponential backoff on network errors, 5xx and 429, and the outcome journaled
 * (`notification.delivered` / `notification.failed`) so the postmortem can show it.
 */
export class WebhookNotifier {
  #o: WebhookNotifierOptions;
  #send: WebhookSender;
  #queue: Job[] = [];
  #running = false;
  #closed = new AbortController();
  #unsubscribe: () => void;
  #idle: Promise<void> = Promise.resolve();

  constructor(options: WebhookNotifierOptions) {
    this.#o = options;
    this.#send = options.send ?? fetchSender;
    this.#unsubscribe = options.journal.onEvent((e) => this.#onEvent(e));
  }

  /** Resolves when the queue is empty (for tests and orderly shutdown). */
  idle(): Promise<void> {
    return this.#idle;
  }

  close(): void {
    if (this.#closed.signal.aborted) return;
    this.#unsubscribe();
    this.#closed.abort(new Error('notifier closed'));
    this.#queue = [];
  }

  #onEvent(e: JournalEvent): void {
    if (this.#closed.signal.aborted) return;
    for (const target of this.#o.webhooks) {
      if (!(target.events ?? DEFAULT_EVENTS).includes(e.kind)) continue;
      if (this.#queue.length >= (this.#o.queueSize ?? 1000)) {
        const dropped = this.#queue.shift() as Job;
        this.#o.logger.warn({ webhook: dropped.target.url, kind: dropped.event.kind }, 'webhook queue full; notification dropped');
      }
      this.#queue.push({ target, event: e });
    }
    if (!this.#running && this.#queue.length > 0) {
      this.#running = true;
      this.#idle = this.#drain();
    }
  }

  async #drain(): Promise<void> {
    try {
      for (;;) {
        const job = this.#queue.shift();
        if (job === undefined || this.#closed.signal.aborted) return;
        await this.#deliver(job);
      }
    } finally {
      this.#running = false;
    }
  }

  async #deliver({ target, event }: Job): Promise<void> {
    const body = JSON.stringify(target.format === 'slack' ? slackPayload(event, this.#o.dashboardUrl) : jsonPayload(event));
    const attempts = this.#o.attempts ?? 5;
    let backoff = this.#o.backoffMs ?? 1000;
    let error = '';
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const timeout = new AbortController();
      const timer = this.#o.clock.setTimeout(() => timeout.abort(new Error('webhook timed out')), this.#o.timeoutMs ?? 5000);
      try {
        const status = await this.#send(target.url, body, AbortSignal.any([timeout.signal, this.#closed.signal]));
        if (status >= 200 && status < 300) {
          this.#record(target, event, { delivered: true, attempts: attempt, status });
          return;
        }
        error = `HTTP ${status}`;
        if (status < 500 && status !== 429 && status !== 408) break; // the receiver refuses this payload; retrying will not help
      } catch (err) {
        error = (err as Error).message;
      } finally {
        timer.cancel();
      }
      if (this.#closed.signal.aborted) return;
      if (attempt < attempts) {
        try {
          await this.#o.clock.sleep(backoff, this.#closed.signal);
        } catch {
          return; // closed while waiting
        }
        backoff = Math.min(backoff * 2, 60_000);
      }
    }
    this.#o.logger.warn({ webhook: target.url, kind: event.kind, error }, 'webhook delivery failed');
    this.#record(target, event, { delivered: false, attempts, error });
  }

  #record(
    target: WebhookTarget,
    event: JournalEvent,
    outcome: { delivered: true; attempts: number; status: number } | { delivered: false; attempts: number; error: string },
  ): void {
    if (this.#closed.signal.aborted) return;
    const common = { source: 'journal', subject: event.subject, actor: 'piper' } as const;
    const data = {
      webhook: redactUrl(target.url),
      format: target.format,
      event: event.kind,
      eventId: event.id,
      attempts: outcome.attempts,
    };
    try {
      this.#o.journal.append(
        outcome.delivered
          ? { ...common, kind: 'notification.delivered', data: { ...data, status: outcome.status } }
          : { ...common, kind: 'notification.failed', data: { ...data, error: outcome.error } },
      );
    } catch (err) {
      this.#o.logger.error({ err }, 'notification outcome not journaled');
    }
  }
}

/** Webhook URLs carry secrets in their path (Slack); keep only the origin. */
function redactUrl(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return 'invalid-url';
  }
}
