import { z } from 'zod';
import { defineApi } from '../control-api/index.ts';

const durationOrMs = z.union([z.number().positive(), z.string().min(1)]);
const actor = z.string().min(1).describe('who acts (default: operator)').optional();
const migration = z.looseObject({
  id: z.string(),
  plan: z.looseObject({ route: z.string(), from: z.string(), to: z.string(), steps: z.array(z.number()) }),
  phase: z.enum(['running', 'paused', 'rolling_back', 'completed', 'rolled_back', 'aborted']),
  stepIndex: z.number().int(),
  targetPercent: z.number(),
  split: z.record(z.string(), z.number()),
});
const idParams = z.strictObject({ id: z.string() });
const actionBody = z.strictObject({ reason: z.string().optional(), actor }).optional();
const refusal = (code: string) => z.strictObject({ error: z.strictObject({ code: z.literal(code), message: z.string() }) });
const gateRefused = refusal('PIPER_ROLLOUT_GATE_REFUSED').extend({
  gate: z.looseObject({
    passed: z.boolean(),
    reason: z.string(),
    refusals: z.array(z.looseObject({})),
    pool: z.string(),
    projectedRps: z.number(),
  }),
});
const notLeader = refusal('PIPER_NOT_LEADER').extend({
  leader: z.strictObject({ holder: z.string(), term: z.number().int(), url: z.string().nullable() }).nullable(),
});
const action = (summary: string) =>
  ({
    method: 'POST',
    summary,
    schema: { params: idParams, body: actionBody, response: { 200: migration, 409: notLeader } },
  }) as const;

/** The start request's body; durations and rates may be numbers (ms, req/s) or text (`2m`, `300/s`). */
export const startBody = z.strictObject({
  route: z.string().min(1),
  to: z.string().min(1),
  from: z.string().min(1).optional(),
  steps: z.array(z.number()).min(1).optional().describe('percentages of traffic on `to`, e.g. [1, 5, 25, 100]'),
  stepDuration: durationOrMs.optional().describe('ms, or a duration like 2m'),
  headroom: z.number().optional(),
  expectedPeak: z
    .union([z.number().positive(), z.string().min(1)])
    .optional()
    .describe('req/s, or a rate like 300/s'),
  overrideCapacityGate: z.string().optional().describe('why the gate is overridden (journaled)'),
  overrideHeadroom: z.string().optional().describe('why a headroom under the configured one is taken (journaled)'),
  actor,
});

/** The rollout slice of the control-plane API (docs/api.md, "Rollout"). */
export const rolloutApiSpec = defineApi({
  tag: 'Rollout',
  invalid: { code: 'PIPER_ROLLOUT_BAD_REQUEST' },
  methodNotAllowedCode: 'PIPER_ROLLOUT_METHOD_NOT_ALLOWED',
  routes: {
    list: {
      method: 'GET',
      url: '/api/v1/migrations',
      summary: 'Every migration this controller knows',
      schema: { response: { 200: z.strictObject({ migrations: z.array(migration) }) } },
    },
    start: {
      method: 'POST',
      url: '/api/v1/migrations',
      summary: "Starts moving a route's traffic to another pool, gated by capacity (409 with the gate's figures when refused)",
      schema: { body: startBody, response: { 201: migration, 409: z.union([gateRefused, notLeader]) } },
    },
    get: {
      method: 'GET',
      url: '/api/v1/migrations/:id',
      summary: 'One migration',
      schema: { params: idParams, response: { 200: migration } },
    },
    pause: { ...action('Holds the current step'), url: '/api/v1/migrations/:id/pause' },
    resume: { ...action('Judges and steps again'), url: '/api/v1/migrations/:id/resume' },
    abort: { ...action('Rolls all traffic back to the pool it came from'), url: '/api/v1/migrations/:id/abort' },
    promote: {
      method: 'POST',
      url: '/api/v1/migrations/:id/promote',
      summary: 'Takes the next step now (`all`: the last), gated like a start',
      schema: {
        params: idParams,
        body: z.strictObject({ all: z.boolean().optional(), actor }).optional(),
        response: { 200: migration, 409: z.union([gateRefused, notLeader]) },
      },
    },
  },
});
