import type { ServerResponse } from 'node:http';
import { httpStatusOf, isPiperError } from './piper-error.ts';

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

/**
 * Answers an error a handler caught, when it is the caller's to read: a PiperError that is not
 * internal, with its status, code and message. Anything else (a bug, a storage or driver failure,
 * whose message can name files or hosts) is thrown on, for the admin listener to log and answer
 * with its code alone.
 */
export function sendCaught(res: ServerResponse, err: unknown): true {
  if (!isPiperError(err) || err.source === 'internal') throw err;
  sendError(res, httpStatusOf(err), err.code, err.message);
  return true;
}
