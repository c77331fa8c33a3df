import { z } from 'zod';
import type { ApiSpec, RouteSpec } from './route-spec.ts';

/** What the document says of itself. */
export interface OpenApiInfo {
  title: string;
  version: string;
  description: string;
}

type Json = Record<string, unknown>;

/**
 * The OpenAPI 3.1 document of the control-plane API, from the same zod schemas fastify checks
 * requests against: docs/openapi.json is this, written by `npm run docs:openapi`.
 */
export function openApiDocument(info: OpenApiInfo, specs: readonly ApiSpec[]): Json {
  const paths: Record<string, Json> = {};
  for (const spec of specs) {
    for (const [name, route] of Object.entries(spec.routes)) {
      const path = route.url.replace(/:(\w+)/g, '{$1}');
      paths[path] = { ...paths[path], [route.method.toLowerCase()]: operation(spec, name, route) };
    }
  }
  const sorted = Object.fromEntries(Object.entries(paths).sort(([a], [b]) => a.localeCompare(b)));
  return {
    openapi: '3.1.0',
    info,
    tags: specs.map((s) => ({ name: s.tag })),
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: { Error: jsonSchema(errorSchema, 'output') },
    },
    // GET and HEAD take the read or the admin token, other methods the admin token (docs/api.md).
    security: [{ bearer: [] }],
    paths: sorted,
  };
}

const errorSchema = z.strictObject({ error: z.strictObject({ code: z.string(), message: z.string() }) });

function operation(spec: ApiSpec, name: string, route: RouteSpec): Json {
  const { schema } = route;
  const parameters = [...fields(schema.params, 'path'), ...fields(schema.querystring, 'query')];
  const op: Json = { tags: [spec.tag], operationId: `${spec.tag.toLowerCase()}.${name}`, summary: route.summary };
  if (parameters.length > 0) op.parameters = parameters;
  if (schema.body !== undefined) {
    op.requestBody = {
      required: !schema.body.safeParse(undefined).success,
      content: { 'application/json': { schema: jsonSchema(schema.body, 'input') } },
    };
  }
  const responses: Record<string, Json> = {};
  for (const [status, answer] of Object.entries(schema.response)) {
    responses[status] = {
      description: describeStatus(Number(status)),
      content: { 'application/json': { schema: jsonSchema(answer, 'output') } },
    };
  }
  if (route.produces !== undefined) {
    // A JSON answer among them (a postmortem's document) keeps its schema; the others are text.
    const json = schema.response[200];
    responses['200'] = {
      description: describeStatus(200),
      content: Object.fromEntries(
        route.produces.map((type) => [
          type,
          { schema: type === 'application/json' && json !== undefined ? jsonSchema(json, 'output') : { type: 'string' } },
        ]),
      ),
    };
  }
  const codes = [spec.invalid.code, route.invalid?.code].filter((c): c is string => c !== undefined);
  responses.default = {
    description: `An error: { error: { code, message } } (docs/errors.md); a request failing the schema is 400 ${[...new Set(codes)].join(' or ')}`,
    content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
  };
  op.responses = responses;
  return op;
}

/** One OpenAPI parameter per property of a params or query object schema. */
function fields(schema: z.ZodType | undefined, where: 'path' | 'query'): Json[] {
  if (schema === undefined) return [];
  const object = jsonSchema(schema, 'input') as { properties?: Record<string, Json>; required?: string[] };
  return Object.entries(object.properties ?? {}).map(([name, property]) => {
    const { description, ...rest } = property;
    return {
      name,
      in: where,
      required: where === 'path' || (object.required ?? []).includes(name),
      ...(description === undefined ? {} : { description }),
      schema: rest,
    };
  });
}

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Json {
  // `unrepresentable: 'any'`: a transform's output (a parsed duration) is documented by its input.
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as Json;
  return rest;
}

function describeStatus(status: number): string {
  const words: Record<number, string> = {
    200: 'OK',
    201: 'Created',
    409: 'Conflict: refused as things stand (the gate, or not the leader)',
  };
  return words[status] ?? `HTTP ${status}`;
}
