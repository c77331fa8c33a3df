import { z } from 'zod';
import { defineEntry } from './catalogue-entry.ts';

/** Weight per pool, as a data plane holds a route's split (HAProxy's weights need not sum to 100). */
export const splitSchema = z.record(z.string(), z.number());

const backendRef = { pool: z.string(), backend: z.string() };
const health = z.enum(['healthy', 'unhealthy', 'ejected', 'draining', 'unknown']);
/**
 * The fleet member an event happened on (`dataPlanes[].name`), when the leader copied it from a data
 * plane that runs without a journal (`piper up --role data`); absent for the process's own data plane.
 */
const onMember = { dataPlane: z.string().optional() };
/** Either data plane `piper up` serves with records these (some kinds come from one of them only). */
const DATA_PLANES = ['balancer', 'haproxy'] as const;

/** What the data plane piper serves with (its own balancer or HAProxy) writes: splits, backends, guards. */
export const DATA_PLANE_EVENTS = {
  'split.changed': defineEntry({
    sources: DATA_PLANES,
    subject: 'route',
    about: "a route's split between its pools changed (an operator, the migration controller, or the dead-man guard)",
    data: z.strictObject({
      ...onMember,
      from: splitSchema,
      to: splitSchema,
      reason: z.string(),
      /** The dead-man guard armed with it, or null. */
      deadMan: z.object({ safeSplit: splitSchema, timeoutMs: z.number() }).nullable(),
      /** HAProxy: the split asked for, before HAProxy's weights rounded it. */
      asked: splitSchema.optional(),
      /** HAProxy: each server's weight as HAProxy read it back. */
      weights: z.record(z.string(), z.number()).optional(),
      /** HAProxy's dead-man revert: the split the guard went back to. */
      safeSplit: splitSchema.optional(),
    }),
    example: {
      source: 'balancer',
      subject: 'web',
      actor: 'rollout',
      data: {
        from: { vendor: 95, inhouse: 5 },
        to: { vendor: 90, inhouse: 10 },
        reason: 'migration 1: advance to 10% on inhouse',
        deadMan: { safeSplit: { vendor: 100, inhouse: 0 }, timeoutMs: 10_000 },
      },
    },
  }),
  'backend.ejected': defineEntry({
    sources: DATA_PLANES,
    subject: '`pool/backend`',
    about: "piper's balancer: outlier detection took a backend out of its pool for a while",
    data: z.strictObject({ ...onMember, ...backendRef, reason: z.string(), durationMs: z.number(), ejections: z.number() }),
    example: {
      source: 'balancer',
      subject: 'inhouse/ih-1',
      actor: 'balancer',
      data: { pool: 'inhouse', backend: 'ih-1', reason: '5 consecutive 5xx', durationMs: 30_000, ejections: 1 },
    },
  }),
  'backend.readmitted': defineEntry({
    sources: DATA_PLANES,
    subject: '`pool/backend`',
    about: "piper's balancer: an ejected backend served again once its ejection ran out",
    data: z.strictObject({ ...backendRef, ...onMember }),
    example: { source: 'balancer', subject: 'inhouse/ih-1', actor: 'balancer', data: { pool: 'inhouse', backend: 'ih-1' } },
  }),
  'backend.down': defineEntry({
    sources: DATA_PLANES,
    subject: '`pool/backend`',
    about: 'active health checks found a backend unhealthy',
    data: z.strictObject({ ...onMember, ...backendRef, from: health, to: health, reason: z.string().nullable() }),
    example: {
      source: 'balancer',
      subject: 'inhouse/ih-2',
      actor: 'balancer',
      data: { pool: 'inhouse', backend: 'ih-2', from: 'healthy', to: 'unhealthy', reason: 'health check: connection refused' },
    },
  }),
  'backend.up': defineEntry({
    sources: DATA_PLANES,
    subject: '`pool/backend`',
    about: 'active health checks found a backend healthy (at start, or again)',
    data: z.strictObject({ ...onMember, ...backendRef, from: health, to: health, reason: z.string().nullable().optional() }),
    example: {
      source: 'balancer',
      subject: 'inhouse/ih-2',
      actor: 'balancer',
      data: { pool: 'inhouse', backend: 'ih-2', from: 'unhealthy', to: 'healthy', reason: null },
    },
  }),
  'backend.drained': defineEntry({
    sources: DATA_PLANES,
    subject: '`pool/backend`',
    about: 'an operator stopped new requests to a backend',
    data: z.strictObject({ ...backendRef, ...onMember }),
    example: { source: 'balancer', subject: 'vendor/v2', actor: 'jared', data: { pool: 'vendor', backend: 'v2' } },
  }),
  'backend.undrained': defineEntry({
    sources: DATA_PLANES,
    subject: '`pool/backend`',
    about: 'an operator gave a drained backend traffic again',
    data: z.strictObject({ ...backendRef, ...onMember }),
    example: { source: 'balancer', subject: 'vendor/v2', actor: 'jared', data: { pool: 'vendor', backend: 'v2' } },
  }),
  'pool.no_healthy_backend': defineEntry({
    sources: DATA_PLANES,
    subject: 'the pools, comma-separated',
    about:
      "piper's balancer: a request found no healthy backend in any pool its route may use (at most one event per route every few seconds)",
    data: z.strictObject({ ...onMember, route: z.string(), pools: z.array(z.string()) }),
    example: { source: 'balancer', subject: 'inhouse', actor: 'balancer', data: { route: 'web', pools: ['inhouse'] } },
  }),
  'deadman.reverted': defineEntry({
    sources: DATA_PLANES,
    subject: 'route',
    about: 'the controller went silent during a migration, so the data plane put the route back on its safe split',
    data: z.strictObject({
      ...onMember,
      from: splitSchema,
      to: splitSchema,
      silentMs: z.number(),
      timeoutMs: z.number(),
      /** HAProxy: the split the guard was armed with (`to` is what HAProxy reports after it). */
      safeSplit: splitSchema.optional(),
    }),
    example: {
      source: 'balancer',
      subject: 'web',
      actor: 'balancer',
      data: { from: { vendor: 75, inhouse: 25 }, to: { vendor: 100, inhouse: 0 }, silentMs: 10_250, timeoutMs: 10_000 },
    },
  }),
  'split.refused': defineEntry({
    sources: DATA_PLANES,
    subject: 'route, or `term` for a term announcement',
    about:
      'a data plane refused a split, heartbeat or term announcement from an older leader term (fencing): its sender is no longer the leader',
    data: z.strictObject({
      ...onMember,
      route: z.string().nullable(),
      term: z.number(),
      currentTerm: z.number(),
      leader: z.string().nullable(),
      split: splitSchema.nullable(),
    }),
    example: {
      source: 'balancer',
      subject: 'web',
      actor: 'cp-a',
      data: { route: 'web', term: 3, currentTerm: 4, leader: 'cp-b', split: { vendor: 50, inhouse: 50 } },
    },
  }),
  'split.acknowledged': defineEntry({
    sources: DATA_PLANES,
    subject: 'route',
    about: "a fleet of data planes: each member's acknowledgement of one split (all of them, or the ones that failed and why)",
    data: z.strictObject({
      ...onMember,
      split: splitSchema,
      term: z.number().nullable(),
      reason: z.string(),
      complete: z.boolean(),
      members: z.record(z.string(), z.object({ ok: z.boolean(), at: z.number(), error: z.string().optional() })),
    }),
    example: {
      source: 'balancer',
      subject: 'web',
      actor: 'rollout',
      data: {
        split: { vendor: 90, inhouse: 10 },
        term: 4,
        reason: 'migration 1: advance to 10% on inhouse',
        complete: false,
        members: {
          'edge-a': { ok: true, at: 1_700_000_000_120 },
          'edge-b': { ok: false, at: 1_700_000_002_000, error: 'connect ECONNREFUSED 10.0.0.2:9901' },
        },
      },
    },
  }),
  'config.reloaded': defineEntry({
    sources: DATA_PLANES,
    subject: '`config`',
    about: "piper's balancer: piper.yaml was read again (SIGHUP or the reload API)",
    data: z.strictObject({ ...onMember, routes: z.number(), pools: z.number() }),
    example: { source: 'balancer', subject: 'config', actor: 'operator', data: { routes: 2, pools: 3 } },
  }),
  'haproxy.started': defineEntry({
    sources: DATA_PLANES,
    subject: '`haproxy`',
    about: 'HAProxy: piper started it (or started it again after it exited)',
    data: z.strictObject({ ...onMember, pid: z.number().optional(), restarts: z.number(), config: z.string() }),
    example: { source: 'haproxy', subject: 'haproxy', actor: 'haproxy', data: { pid: 4242, restarts: 0, config: 'run/haproxy.cfg' } },
  }),
  'haproxy.exited': defineEntry({
    sources: DATA_PLANES,
    subject: '`haproxy`',
    about: 'HAProxy: it exited on its own; piper starts it again',
    data: z.strictObject({
      ...onMember,
      pid: z.number().optional(),
      code: z.number().nullable(),
      signal: z.string().nullable(),
      /** HAProxy's last lines of output. */
      lines: z.array(z.string()),
    }),
    example: {
      source: 'haproxy',
      subject: 'haproxy',
      actor: 'haproxy',
      data: { pid: 4242, code: null, signal: 'SIGKILL', lines: ['[NOTICE] (4242) : haproxy version is 2.6.12'] },
    },
  }),
  'haproxy.reattached': defineEntry({
    sources: DATA_PLANES,
    subject: '`haproxy`',
    about: 'HAProxy: a new worker got the current splits, guards and drains again',
    data: z.strictObject({
      ...onMember,
      previousPid: z.string(),
      pid: z.string(),
      /** Per route: the split HAProxy reports, the split asked for, and the guard re-armed (or null). */
      reapplied: z.record(
        z.string(),
        z.object({
          split: splitSchema,
          asked: splitSchema,
          guard: z.object({ timeoutMs: z.number(), safeSplit: splitSchema }).nullable(),
        }),
      ),
      /** `pool/backend` of each backend drained again. */
      drained: z.array(z.string()),
    }),
    example: {
      source: 'haproxy',
      subject: 'haproxy',
      actor: 'haproxy',
      data: {
        previousPid: '4242',
        pid: '4300',
        reapplied: { web: { split: { vendor: 192, inhouse: 64 }, asked: { vendor: 75, inhouse: 25 }, guard: null } },
        drained: [],
      },
    },
  }),
};
