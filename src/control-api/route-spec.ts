import type { FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';

/** The request parts a route checks, and what it answers per status: zod schemas, read by fastify and the OpenAPI export. */
export interface RouteSchema {
  params?: z.ZodType;
  querystring?: z.ZodType;
  /** An optional body is `schema.optional()`: a request without one parses as `undefined`. */
  body?: z.ZodType;
  /** The JSON answered per status; a route answering text or a stream names its media type in `produces` instead. */
  response: Readonly<Record<number, z.ZodType>>;
}

/** How a request that fails the route's schema is answered (400): the code, and a message naming the field. */
export interface InvalidRequest {
  code: string;
  /** Default: `<field>: <problem>`. */
  message?: (field: string, problem: string) => string;
}

/** One route of the control-plane API: where it is, what it takes and answers, what it is for. */
export interface RouteSpec<S extends RouteSchema = RouteSchema> {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** fastify's pattern: `/api/v1/incidents/:id`. */
  url: string;
  summary: string;
  schema: S;
  /** Media types of a 200 that is not JSON (a postmortem's text, an event stream, metrics). */
  produces?: readonly string[];
  /** Overrides the part's {@link ApiSpec.invalid} for this route. */
  invalid?: InvalidRequest;
}

/** A part's slice of the API as data: its routes, and the codes its refusals carry. */
export interface ApiSpec<R extends Record<string, RouteSpec> = Record<string, RouteSpec>> {
  /** The OpenAPI tag, and the section of docs/api.md (`Journal`). */
  tag: string;
  invalid: InvalidRequest;
  /** When set, a known path asked with another method answers 405 with this code and `allow`; else 404. */
  methodNotAllowedCode?: string;
  routes: R;
}

type Out<T> = T extends z.ZodType ? z.output<T> : unknown;

/** The fastify request of a route, typed by its schema's outputs. */
export type RouteRequest<S extends RouteSchema> = FastifyRequest<{
  Params: Out<S['params']>;
  Querystring: Out<S['querystring']>;
  Body: Out<S['body']>;
}>;

/** A route's handler: returns the JSON body (200 unless it set `reply.code`), or sends or hijacks the reply itself. */
export type RouteHandler<S extends RouteSchema> = (req: RouteRequest<S>, reply: FastifyReply) => unknown;

/** One handler per route of a spec. */
export type RouteHandlers<A extends ApiSpec> = { [K in keyof A['routes']]: RouteHandler<A['routes'][K]['schema']> };

/** Keeps a spec's literal route names, for {@link RouteHandlers}. */
export function defineApi<R extends Record<string, RouteSpec>>(spec: ApiSpec<R>): ApiSpec<R> {
  return spec;
}
