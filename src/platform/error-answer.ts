import type { IncomingMessage, ServerResponse } from 'node:http';
import { prefersHtml } from './accept-media.ts';
import { errorPage } from './site-error-page.ts';
import { SITE_CSP } from './site-pages.ts';

/** An error as a client is told it: stable code, a sentence for people, exact facts for programs. */
export interface ErrorAnswer {
  code: string;
  message: string;
  /** Exact numbers behind the message (sizes in bytes, limits); `status` is left out, the status line has it. */
  details?: Readonly<Record<string, unknown>>;
}

/**
 * Writes an error in the form the client prefers (`Accept`): a page in the site's style for a
 * browser, else the JSON error every piper API uses, `{ "error": { "code", "message", "details" } }`.
 * `Vary: Accept` because the same URL answers either.
 */
export function sendErrorAnswer(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  answer: ErrorAnswer,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const details = Object.fromEntries(Object.entries(answer.details ?? {}).filter(([key]) => key !== 'status'));
  const html = prefersHtml(req.headers.accept);
  const body = html
    ? errorPage(status, answer.code, answer.message)
    : JSON.stringify({
        error: { code: answer.code, message: answer.message, ...(Object.keys(details).length > 0 ? { details } : {}) },
      });
  res.writeHead(status, {
    'content-type': html ? 'text/html; charset=utf-8' : 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    vary: 'Accept',
    ...(html ? { 'content-security-policy': SITE_CSP, 'x-content-type-options': 'nosniff' } : {}),
    ...headers,
  });
  res.end(body);
}
