import type { ServerResponse } from 'node:http';
import { isPiperError } from './piper-error.ts';

/** Writes a JSON body with the right headers. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Writes the error body every piper HTTP API uses: `{ "error": { "code", "message" } }`. */
export function sendError(res: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, status, { error: { code, message } }, headers);
}

/** Status for an error thrown inside a handler: config/operator input 400, upstream 502, else 500. */
export function statusOf(err: unknown): number {
  if (!isPiperError(err)) return 500;
  if (typeof err.details.status === 'number') return err.details.status;
  switch (err.source) {
    case 'config':
    case 'operator':
    case 'downstream':
      return 400;
    case 'upstream':
      return 502;
    default:
      return 500;
  }
}

/**
 * Answers an error a handler caught, when it is the caller's to read: a PiperError that is not
 * internal, with its status, code and message. Anything else (a bug, a storage or driver failure,
 * whose message can name files or hosts) is thrown on, for the admin listener to log and answer
 * with its code alone.
 */
export function sendCaught(res: ServerResponse, err: unknown): true {
  if (!isPiperError(err) || err.source === 'internal') throw err;
  sendError(res, statusOf(err), err.code, err.message);
  return true;
}
