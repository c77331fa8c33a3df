import type { IncomingMessage, ServerResponse } from 'node:http';
import { PiperError } from './piper-error.ts';
import { coreErrors } from './core-errors.ts';

/**
 * One part's slice of the control-plane HTTP API. Returns true when it handled the request,
 * false to let the next handler try. Authentication is done before, by the composition root:
 * GET/HEAD need a read or admin token, every other method the admin token.
 */
export type ApiHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<boolean>;

/** Reads a JSON request body, refusing more than `maxBytes` (413) and malformed JSON (400). */
export async function readJson(req: IncomingMessage, maxBytes = 1024 * 1024): Promise<unknown> {
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/json\b/i.test(type)) {
    throw new PiperError(coreErrors.PIPER_CORE_UNSUPPORTED_MEDIA_TYPE, `expected content-type application/json, got "${type}"`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) {
      throw new PiperError(coreErrors.PIPER_CORE_BODY_TOO_LARGE, `request body is over ${maxBytes} bytes`);
    }
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch (err) {
    throw new PiperError(coreErrors.PIPER_CORE_BAD_JSON, `request body is not valid JSON: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/** Matches `/api/v1/routes/:route/split` against a path; returns the decoded params or null. */
export function matchPath(pattern: string, pathname: string): Record<string, string> | null {
  const want = pattern.split('/');
  const got = pathname.split('/');
  if (want.length !== got.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i] as string;
    const g = got[i] as string;
    if (w.startsWith(':')) {
      if (g === '') return null;
      try {
        params[w.slice(1)] = decodeURIComponent(g);
      } catch {
        return null;
      }
    } else if (w !== g) return null;
  }
  return params;
}
