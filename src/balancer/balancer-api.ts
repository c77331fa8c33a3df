import type { FastifyPluginAsync } from 'fastify';
import { absentRoute, apiPlugin, streamEvents } from '../control-api/index.ts';
import { type Clock, PiperError } from '../core/index.ts';
import { type DataPlane, dataPlaneErrors, type SetSplitOptions, staleTermError } from '../data-plane/index.ts';
import type { MetricsRegistry, TelemetryWindow } from '../telemetry/index.ts';
import { balancerApiSpec } from './balancer-api-spec.ts';

/**
 * What the API drives: the port, an operator's drain, and the windows kept. piper's Balancer is
 * one; `piper up` on HAProxy serves the same API over its HAProxy data plane.
 */
export interface BalancerApiTarget extends DataPlane {
  drain(pool: string, backend: string, actor?: string): void | Promise<void>;
  undrain(pool: string, backend: string, actor?: string): void | Promise<void>;
  readonly telemetry: { recent(sinceMs?: number): readonly TelemetryWindow[] };
}

/** `GET /api/v1/windows`: the recent one-second windows, oldest first. */
export interface WindowList {
  windows: readonly TelemetryWindow[];
}

export interface BalancerApiOptions {
  balancer: BalancerApiTarget;
  clock: Clock;
  /** Serves GET /metrics. */
  registry: MetricsRegistry;
  /** Re-reads the config file and applies it (the same as SIGHUP). */
  reload: (actor: string) => Promise<void>;
}

/**
 * The balancer's slice of the control-plane API (docs/api.md, "Balancer"). Authentication is
 * done in front of it by `piper up`.
 */
export function balancerApi(o: BalancerApiOptions): FastifyPluginAsync {
  const { balancer } = o;
  return apiPlugin(balancerApiSpec, {
    metrics: (_req, reply) => {
      reply.type('text/plain; version=0.0.4; charset=utf-8');
      return o.registry.render();
    },
    state: () => balancer.snapshot(),
    windows: (req) => {
      const since = Number(req.query.since ?? '0');
      if (!Number.isFinite(since)) throw badRequest('since must be epoch milliseconds');
      return { windows: balancer.telemetry.recent(since) } satisfies WindowList;
    },
    streamWindows: (req, reply) =>
      streamEvents(
        req,
        reply,
        { clock: o.clock },
        (signal) => balancer.windows(signal),
        (w) => ({ event: 'window', id: String(w.start), data: w }),
      ),
    reload: async (req) => {
      await o.reload(actorOf(req.body?.actor));
      return { reloaded: true, state: balancer.snapshot() } as const;
    },
    term: async (req) => {
      if (balancer.announceTerm === undefined) throw absentRoute(req);
      await balancer.announceTerm(req.body.term, req.body.leader.slice(0, 100));
      const state = balancer.snapshot();
      return { term: state.term ?? null, leader: state.leader ?? null };
    },
    setSplit: async (req) => {
      const { body } = req;
      const options: SetSplitOptions = { ...fenceOf(body) };
      if (body.actor !== undefined) options.actor = body.actor;
      if (body.deadMan !== undefined) options.deadMan = body.deadMan;
      await balancer.setSplit(req.params.route, body.split, body.reason, options);
      return balancer.snapshot().routes.find((r) => r.name === req.params.route);
    },
    heartbeat: (req) => {
      const { route } = req.params;
      const { term, leader } = fenceOf(req.body ?? {});
      balancer.heartbeat(route, term, leader);
      const state = balancer.snapshot();
      // The port's heartbeat never throws; a deposed leader learns from the term it lost to.
      if (term !== undefined && state.term !== undefined && term < state.term)
        throw staleTermError(route, term, state.term, state.leader ?? null);
      return { route, deadMan: state.routes.find((r) => r.name === route)?.deadMan ?? null };
    },
    drain: async (req) => {
      const { pool, backend } = req.params;
      await balancer.drain(pool, backend, actorOf(req.body?.actor));
      return backendOf(balancer, pool, backend);
    },
    undrain: async (req) => {
      const { pool, backend } = req.params;
      await balancer.undrain(pool, backend, actorOf(req.body?.actor));
      return backendOf(balancer, pool, backend);
    },
  });
}

function backendOf(balancer: BalancerApiTarget, pool: string, backend: string): unknown {
  return balancer
    .snapshot()
    .pools.find((p) => p.name === pool)
    ?.backends.find((b) => b.name === backend);
}

/** A leader's `term` and name (fencing); both absent from an operator's request. */
function fenceOf(body: { term?: number | null | undefined; leader?: string | null | undefined }): { term?: number; leader?: string } {
  const out: { term?: number; leader?: string } = {};
  if (body.term !== undefined && body.term !== null) out.term = body.term;
  if (body.leader !== undefined && body.leader !== null) out.leader = body.leader.slice(0, 100);
  return out;
}

function actorOf(actor: string | undefined): string {
  return actor !== undefined && actor !== '' ? actor.slice(0, 100) : 'operator';
}

function badRequest(message: string): PiperError {
  return new PiperError(dataPlaneErrors.PIPER_BALANCER_BAD_API_REQUEST, message);
}
