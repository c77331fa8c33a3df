import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { apiPlugin, defineApi } from '../control-api/index.ts';
import type { EventPage, EventRing } from './event-ring.ts';

/** The data-plane-only API (docs/api.md, "Data plane only"): its events, for a control plane elsewhere to read. */
const eventRingApiSpec = defineApi({
  tag: 'DataPlane',
  invalid: { code: 'PIPER_BALANCER_BAD_API_REQUEST' },
  // A data-plane-only piper up has no journal to append to.
  methodNotAllowedCode: 'PIPER_BALANCER_BAD_API_REQUEST',
  routes: {
    events: {
      method: 'GET',
      url: '/api/v1/events',
      summary: 'The events held after id `after` (0: all held), the boot id, and how many were lost',
      schema: {
        querystring: z.looseObject({
          after: z.string().regex(/^\d+$/, 'must be an event id (a whole number ≥ 0)').optional(),
        }),
        response: {
          200: z.strictObject({
            bootId: z.string(),
            events: z.array(z.looseObject({ id: z.number().int(), kind: z.string() })),
            lost: z.number().int(),
          }),
        },
      },
    },
  },
});

/** Serves `GET /api/v1/events?after=ID` from the ring. */
export function eventRingApi(ring: EventRing): FastifyPluginAsync {
  return apiPlugin(eventRingApiSpec, {
    events: (req) => ring.after(Number(req.query.after ?? '0')) satisfies EventPage,
  });
}
