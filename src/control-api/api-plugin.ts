import type { FastifyInstance, FastifyPluginAsync, RouteHandlerMethod } from 'fastify';
import { PiperError } from '../core/index.ts';
import type { ApiSpec, InvalidRequest, RouteHandlers } from './route-spec.ts';

/** What the error handler reads from a route's config: how its schema failures are answered. */
export interface RouteConfig {
  invalid?: InvalidRequest;
}

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'] as const;

/**
 * A part's fastify plugin: its spec's routes bound to their handlers. With a
 * `methodNotAllowedCode`, each of its paths answers the methods it lacks with 405 and `allow`.
 */
export function apiPlugin<A extends ApiSpec>(spec: A, handlers: RouteHandlers<A>): FastifyPluginAsync {
  return async (app: FastifyInstance) => {
    const methods = new Map<string, string[]>();
    for (const [name, route] of Object.entries(spec.routes)) {
      const handler = handlers[name as keyof A['routes']] as unknown as RouteHandlerMethod;
      app.route({
        method: route.method,
        url: route.url,
        schema: route.schema,
        config: { invalid: route.invalid ?? spec.invalid } satisfies RouteConfig,
        // A HEAD of an event stream would hold the connection open with nothing to show.
        exposeHeadRoute: route.produces?.includes('text/event-stream') !== true,
        handler,
      });
      methods.set(route.url, [...(methods.get(route.url) ?? []), route.method]);
    }
    const code = spec.methodNotAllowedCode;
    if (code === undefined) return;
    for (const [url, allowed] of methods) {
      const allow = allowed.join(', ');
      const others = METHODS.filter((m) => !allowed.includes(m) && !(m === 'GET' && allowed.includes('HEAD')));
      if (others.length === 0) continue;
      app.route({
        method: others,
        url,
        handler: async (_req, reply) => {
          reply.header('allow', allow);
          throw new PiperError(code, `method not allowed; use ${allow}`, { source: 'downstream', details: { status: 405 } });
        },
      });
    }
  };
}
