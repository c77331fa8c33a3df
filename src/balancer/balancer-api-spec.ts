import { z } from 'zod';
import { defineApi } from '../control-api/index.ts';

const actor = z.string().describe('who acts (default: operator)').optional();
/** A leader's fence (docs/adr/0004): absent from an operator's request. */
const fence = {
  term: z.number().int().min(0).nullish().describe("the leader's term: an older one is refused"),
  leader: z.string().min(1).nullish().describe("the leader's name"),
};
const split = z.record(z.string(), z.number()).describe('pool → weight (0 to 10000)');
const snapshot = z.looseObject({
  routes: z.array(z.looseObject({ name: z.string() })),
  pools: z.array(z.looseObject({ name: z.string() })),
});
const route = z.looseObject({ name: z.string(), split });
const backend = z.looseObject({ name: z.string() });
const backendParams = z.strictObject({ pool: z.string(), backend: z.string() });

/** The balancer's slice of the control-plane API (docs/api.md, "Balancer"). */
export const balancerApiSpec = defineApi({
  tag: 'Balancer',
  invalid: { code: 'PIPER_BALANCER_BAD_API_REQUEST' },
  routes: {
    metrics: {
      method: 'GET',
      url: '/metrics',
      summary: 'Prometheus metrics',
      schema: { response: {} },
      produces: ['text/plain; version=0.0.4'],
    },
    state: {
      method: 'GET',
      url: '/api/v1/state',
      summary: 'Routes with their splits, pools and backends with their health, the leader fence',
      schema: { response: { 200: snapshot } },
    },
    windows: {
      method: 'GET',
      url: '/api/v1/windows',
      summary: 'The recent one-second windows, oldest first',
      schema: {
        querystring: z.looseObject({ since: z.string().describe('windows starting at or after (epoch ms)').optional() }),
        response: { 200: z.strictObject({ windows: z.array(z.looseObject({ start: z.number() })) }) },
      },
    },
    streamWindows: {
      method: 'GET',
      url: '/api/v1/windows/stream',
      summary: 'Each one-second window as it closes, as server-sent events (`window`)',
      schema: { response: {} },
      produces: ['text/event-stream'],
    },
    reload: {
      method: 'POST',
      url: '/api/v1/reload',
      summary: 'Re-reads piper.yaml and applies it without dropping connections (as SIGHUP)',
      schema: {
        body: z.looseObject({ actor }).optional(),
        response: { 200: z.strictObject({ reloaded: z.literal(true), state: snapshot }) },
      },
    },
    term: {
      method: 'POST',
      url: '/api/v1/term',
      summary: 'A leader announces its term: the data plane refuses older ones from then on (a data plane that fences only)',
      schema: {
        body: z.looseObject({ term: z.number().int().min(0), leader: z.string().min(1) }),
        response: { 200: z.strictObject({ term: z.number().int().nullable(), leader: z.string().nullable() }) },
      },
    },
    setSplit: {
      method: 'PUT',
      url: '/api/v1/routes/:route/split',
      summary: "Sets a route's split (atomic, journaled), with an optional dead-man guard",
      schema: {
        params: z.strictObject({ route: z.string() }),
        body: z.looseObject({
          split,
          reason: z.string().describe('why (journaled)'),
          actor,
          deadMan: z
            .strictObject({ safeSplit: split, timeoutMs: z.number() })
            .nullish()
            .describe('revert to safeSplit when no heartbeat arrives for timeoutMs; null removes it'),
          ...fence,
        }),
        response: { 200: route },
      },
    },
    heartbeat: {
      method: 'POST',
      url: '/api/v1/routes/:route/heartbeat',
      summary: "Keeps a route's dead-man guard from reverting the split",
      schema: {
        params: z.strictObject({ route: z.string() }),
        body: z.looseObject(fence).optional(),
        response: { 200: z.strictObject({ route: z.string(), deadMan: z.looseObject({}).nullable() }) },
      },
    },
    drain: {
      method: 'POST',
      url: '/api/v1/pools/:pool/backends/:backend/drain',
      summary: 'Takes no new requests to a backend; those in flight finish',
      schema: { params: backendParams, body: z.looseObject({ actor }).optional(), response: { 200: backend } },
    },
    undrain: {
      method: 'POST',
      url: '/api/v1/pools/:pool/backends/:backend/undrain',
      summary: 'Sends requests to a drained backend again',
      schema: { params: backendParams, body: z.looseObject({ actor }).optional(), response: { 200: backend } },
    },
  },
});
