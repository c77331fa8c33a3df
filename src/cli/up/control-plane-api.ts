import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { absentRoute, apiPlugin, defineApi } from '../../control-api/index.ts';
import type { FleetDataPlane } from '../../data-plane/index.ts';
import type { Leadership } from '../../journal/index.ts';

/** `GET /api/v1/control`: this control plane's role in the election. */
export interface ControlRole {
  name: string;
  role: 'leader' | 'follower';
  /** The term this control plane leads at, or null on a follower. */
  term: number | null;
  /** The leader as last seen: this control plane or another, or null while nobody holds the lease. */
  leader: { holder: string; term: number; url: string | null } | null;
  leaseMs: number;
  /** True when this control plane steers a fleet (`dataPlanes` lists several): GET /api/v1/fleet shows it. */
  fleet: boolean;
}

/** The control plane's own paths (docs/api.md, "Control plane"): who leads, and the fleet. */
export const controlPlaneApiSpec = defineApi({
  tag: 'Control',
  invalid: { code: 'PIPER_BALANCER_BAD_API_REQUEST' },
  routes: {
    control: {
      method: 'GET',
      url: '/api/v1/control',
      summary: 'Who this control plane is, whether it leads, and who does',
      schema: {
        response: {
          200: z.strictObject({
            name: z.string(),
            role: z.enum(['leader', 'follower']),
            term: z.number().int().nullable(),
            leader: z.strictObject({ holder: z.string(), term: z.number().int(), url: z.string().nullable() }).nullable(),
            leaseMs: z.number(),
            fleet: z.boolean(),
          }),
        },
      },
    },
    fleet: {
      method: 'GET',
      url: '/api/v1/fleet',
      summary: "The fleet's view: each member's split per route, who is reachable (when `dataPlanes` lists several)",
      schema: { response: { 200: z.looseObject({}) } },
    },
  },
});

/** Serves `GET /api/v1/control`, and `GET /api/v1/fleet` when this control plane steers a fleet. */
export function controlPlaneApi(leadership: Leadership, fleet: FleetDataPlane | null): FastifyPluginAsync {
  return apiPlugin(controlPlaneApiSpec, {
    control: () => {
      const leading = leadership.holds();
      const leader = leadership.leader();
      return {
        name: leadership.name,
        role: leading ? 'leader' : 'follower',
        term: leading ? (leadership.fence()?.term ?? null) : null,
        leader: leader === null ? null : { holder: leader.holder, term: leader.term, url: leader.url },
        leaseMs: leadership.ttlMs,
        fleet: fleet !== null,
      } satisfies ControlRole;
    },
    fleet: (req) => {
      if (fleet === null) throw absentRoute(req);
      return fleet.snapshot();
    },
  });
}
