import type { FastifyRequest } from 'fastify';
import { coreErrors, PiperError } from '../core/index.ts';

/**
 * The one body parser of the control-plane API. An empty body is no body (an action's reason is
 * optional, and clients send `content-type` on every POST); malformed JSON is refused with a code.
 */
export function parseJsonBody(_req: FastifyRequest, body: string | Buffer, done: (err: Error | null, body?: unknown) => void): void {
  const text = typeof body === 'string' ? body : body.toString('utf8');
  if (text.trim() === '') {
    done(null, undefined);
    return;
  }
  try {
    done(null, JSON.parse(text));
  } catch (err) {
    done(
      new PiperError(coreErrors.PIPER_CORE_BAD_JSON, `request body is not valid JSON: ${(err as Error).message}`, {
        cause: err,
      }),
    );
  }
}
