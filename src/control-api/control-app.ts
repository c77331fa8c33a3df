import Fastify, { type FastifyError, type FastifyInstance, type FastifyPluginAsync, type onRequestHookHandler } from 'fastify';
import type { z } from 'zod';
import type { Logger } from '../core/index.ts';
import { answerError, answerNotFound } from './error-answer.ts';
import { parseJsonBody } from './json-body.ts';

/** The request body limit of every route (the journal's events and the rollout's plans are far smaller). */
const BODY_LIMIT = 1024 * 1024;

export interface ControlAppOptions {
  /** Told of every failure answered with 500; the client gets only its code. */
  logger: Logger;
  /** The parts' plugins, registered in order. */
  plugins: readonly FastifyPluginAsync[];
  /** Runs before routing on every request, the 404s included (authentication). */
  onRequest?: onRequestHookHandler;
}

/**
 * The one control-plane HTTP layer: the parts' plugins on one fastify instance, with their zod
 * schemas as validators, one error handler and one 404. It binds no port: the composition root's
 * listener (and the dashboard, which forwards to it) hand it requests through `routing`.
 */
export async function createControlApp(o: ControlAppOptions): Promise<FastifyInstance> {
  // fastify's own logger stays off: failures reach `o.logger` through the error handler, once each.
  // forceCloseConnections: where fastify owns the listener (tests), close() ends open event streams too.
  const app = Fastify({ logger: false, bodyLimit: BODY_LIMIT, return503OnClosing: false, forceCloseConnections: true });
  // JSON only: a text/plain body (a browser's simple POST) is 415, as no route takes text.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, parseJsonBody);
  app.setValidatorCompiler<z.ZodType>(({ schema, httpPart }) => (data) => {
    // fastify hands a missing body over as null: an optional body is `undefined` to its schema.
    const r = schema.safeParse(httpPart === 'body' && data === null ? undefined : data);
    return r.success ? { value: r.data } : { error: r.error };
  });
  // Response schemas document the answers (the OpenAPI export); the handlers' types hold them to it.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  app.setErrorHandler<FastifyError>((err, req, reply) => answerError(err, req, reply, o.logger));
  app.setNotFoundHandler((req, reply) => answerNotFound(req, reply));
  if (o.onRequest !== undefined) app.addHook('onRequest', o.onRequest);
  for (const plugin of o.plugins) await app.register(plugin);
  await app.ready();
  return app;
}
