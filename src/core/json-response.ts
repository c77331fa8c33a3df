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
