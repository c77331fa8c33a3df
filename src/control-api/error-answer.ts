import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { isPiperError, type Logger, PiperError, httpStatusOf } from '../core/index.ts';
import type { RouteConfig } from './api-plugin.ts';

/** The error body every piper HTTP API answers with. */
export interface ErrorAnswer {
  error: { code: string; message: string };
}

/** A refusal the client may read in full: a status, a stable code and a message. */
interface ClientError {
  status: number;
  code: string;
  message: string;
}

/**
 * The one error handler of the control-plane API. A PiperError that is not internal answers with
 * its status (`httpStatusOf`), code and message; a request failing a route's schema answers 400 with
 * the route's code and the field; fastify's refusals of a body keep the codes the API always had.
 * Anything else (a bug, a storage or driver failure, whose message can name files or hosts) is
 * logged and answered with its code alone.
 */
export function answerError(err: FastifyError, req: FastifyRequest, reply: FastifyReply, logger: Logger): void {
  const known = clientError(err, req);
  if (known !== null) {
    send(reply, known);
    return;
  }
  logger.error({ err, method: req.method, path: pathOf(req) }, 'admin request failed');
  const code = isPiperError(err) ? err.code : 'PIPER_BALANCER_INTERNAL';
  // A status the error carries stays (a read-only journal is 503: try another control plane).
  send(reply, {
    status: isPiperError(err) ? httpStatusOf(err) : 500,
    code,
    message: `internal error (${code}): the log of this piper process has the reason`,
  });
}

/** The answer to a path no part serves. */
export function answerNotFound(req: FastifyRequest, reply: FastifyReply): void {
  const e = absentRoute(req);
  send(reply, { status: 404, code: e.code, message: e.message });
}

/** For a route this process does not serve as configured (no fleet, no fence): the 404 of a path no part serves. */
export function absentRoute(req: FastifyRequest): PiperError {
  return new PiperError('PIPER_BALANCER_API_NOT_FOUND', `no API at ${req.method} ${pathOf(req)}`, {
    source: 'downstream',
    details: { status: 404 },
  });
}

function clientError(err: FastifyError, req: FastifyRequest): ClientError | null {
  if (isPiperError(err)) return err.source === 'internal' ? null : { status: httpStatusOf(err), code: err.code, message: err.message };
  if (err.code === 'FST_ERR_VALIDATION') return invalid(err, req);
  if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
    return {
      status: 415,
      code: 'PIPER_CORE_UNSUPPORTED_MEDIA_TYPE',
      message: `expected content-type application/json, got "${req.headers['content-type'] ?? ''}"`,
    };
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
    return { status: 413, code: 'PIPER_CORE_BODY_TOO_LARGE', message: `request body is over ${req.routeOptions.bodyLimit} bytes` };
  // The router's own refusals (a malformed path, an aborted body): fastify's messages hold nothing of ours.
  if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500)
    return { status: err.statusCode, code: 'PIPER_BALANCER_BAD_API_REQUEST', message: err.message };
  return null;
}

/** A schema failure: the first issue, named by its field (`data.capacityRps`, or the unknown key). */
function invalid(err: FastifyError & { issues?: readonly Issue[]; validationContext?: string }, req: FastifyRequest): ClientError {
  const config = req.routeOptions.config as RouteConfig;
  const issue = err.issues?.[0];
  const where = issue?.code === 'unrecognized_keys' ? [...issue.path, issue.keys?.[0] ?? ''] : (issue?.path ?? []);
  const field = where.length > 0 ? where.map(String).join('.') : (err.validationContext ?? 'request');
  const problem = issue?.message ?? 'is invalid';
  const code = config.invalid?.code ?? 'PIPER_BALANCER_BAD_API_REQUEST';
  return { status: 400, code, message: config.invalid?.message?.(field, problem) ?? `${field}: ${problem}` };
}

interface Issue {
  code: string;
  path: readonly PropertyKey[];
  message: string;
  keys?: readonly string[];
}

function send(reply: FastifyReply, e: ClientError): void {
  // A stream already under way cannot turn into an error answer: end it.
  if (reply.sent || reply.raw.headersSent) {
    reply.raw.destroy();
    return;
  }
  reply.code(e.status).send({ error: { code: e.code, message: e.message } } satisfies ErrorAnswer);
}

function pathOf(req: FastifyRequest): string {
  const q = req.url.indexOf('?');
  return q < 0 ? req.url : req.url.slice(0, q);
}
