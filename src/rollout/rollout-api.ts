import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { z } from 'zod';
import { apiPlugin } from '../control-api/index.ts';
import { isPiperError, PiperError, parseDuration, parseRate } from '../core/index.ts';
import type { GateResult } from './capacity-gate.ts';
import { followerRefusal, type LeaderAnswer, type LeaderGate } from './leader-gate.ts';
import type { MigrationController, MigrationView } from './migration-controller.ts';
import type { StartMigrationRequest } from './migration-plan.ts';
import { rolloutApiSpec, type startBody } from './rollout-api-spec.ts';
import { rolloutErrors } from './rollout-errors.ts';

/** `GET /api/v1/migrations`: every migration this controller knows, as listed. */
export interface MigrationList {
  migrations: MigrationView[];
}

/** The 409 of a start or a promote the capacity gate refused: the refusal, with the gate's figures. */
export interface GateRefusalAnswer {
  error: { code: 'PIPER_ROLLOUT_GATE_REFUSED'; message: string };
  gate: GateResult;
}

/** The 409 of a write sent to a follower: who leads, to resend it there (null while nobody does). */
export interface NotLeaderAnswer {
  error: { code: 'PIPER_NOT_LEADER'; message: string };
  leader: LeaderAnswer | null;
}

export interface RolloutApiOptions {
  /** The controller, or how to find it now (a controller host's changes with leadership). */
  controller: MigrationController | (() => MigrationController);
  /**
   * Leader election, with several control planes on one journal: a follower answers reads from
   * the journal and refuses every write with PIPER_NOT_LEADER, naming the leader.
   */
  leader?: LeaderGate;
}

/**
 * The rollout slice of the control-plane API (docs/api.md, "Rollout"). Authentication is done in
 * front of it (by `piper up`, or `piper migrate controller`).
 */
export function rolloutApi(o: RolloutApiOptions): FastifyPluginAsync {
  // Asked per request: leadership may have changed since the last one.
  const controller = typeof o.controller === 'function' ? o.controller : () => o.controller as MigrationController;
  const { leader } = o;
  /** A follower refuses every write, naming the leader; null when this control plane may act. */
  const followerAnswer = (reply: FastifyReply): NotLeaderAnswer | null => {
    if (leader === undefined || leader.holds()) return null;
    const refusal = followerRefusal(leader);
    reply.code(409);
    return { error: { code: 'PIPER_NOT_LEADER', message: refusal.message }, leader: refusal.details.leader as LeaderAnswer | null };
  };
  const act =
    (name: 'pause' | 'resume' | 'abort') =>
    async (
      req: { params: { id: string }; body: { reason?: string | undefined; actor?: string | undefined } | undefined },
      reply: FastifyReply,
    ) => {
      const refused = followerAnswer(reply);
      if (refused !== null) return refused;
      const c = controller();
      return c[name](req.params.id, req.body?.actor ?? 'operator', req.body?.reason ?? `${name} requested`);
    };
  return apiPlugin(rolloutApiSpec, {
    list: () => ({ migrations: controller().list() }) satisfies MigrationList,
    start: async (req, reply) => {
      const refused = followerAnswer(reply);
      if (refused !== null) return refused;
      const view = await gated(reply, () => controller().startMigration(startRequest(req.body)));
      if (!('error' in view)) reply.code(201);
      return view;
    },
    get: (req) => controller().get(req.params.id),
    pause: act('pause'),
    resume: act('resume'),
    abort: act('abort'),
    promote: async (req, reply) => {
      const refused = followerAnswer(reply);
      if (refused !== null) return refused;
      return gated(reply, () => controller().promote(req.params.id, req.body?.all === true, req.body?.actor ?? 'operator'));
    },
  });
}

/** Runs a gated command; a refusal answers 409 with the gate's numbers, so the CLI can show them. */
async function gated(reply: FastifyReply, command: () => Promise<MigrationView>): Promise<MigrationView | GateRefusalAnswer> {
  try {
    return await command();
  } catch (err) {
    if (!isPiperError(err, 'PIPER_ROLLOUT_GATE_REFUSED')) throw err;
    reply.code(409);
    return { error: { code: 'PIPER_ROLLOUT_GATE_REFUSED', message: err.message }, gate: err.details.gate as GateResult };
  }
}

function startRequest(body: z.output<typeof startBody>): StartMigrationRequest {
  const req: StartMigrationRequest = { route: body.route, to: body.to };
  if (body.from !== undefined) req.from = body.from;
  if (body.steps !== undefined) req.steps = body.steps;
  if (body.stepDuration !== undefined)
    req.stepDurationMs =
      typeof body.stepDuration === 'number' ? body.stepDuration : unit(() => parseDuration(body.stepDuration as string), 'stepDuration');
  if (body.headroom !== undefined) req.headroom = body.headroom;
  if (body.expectedPeak !== undefined)
    req.expectedPeakRps =
      typeof body.expectedPeak === 'number' ? body.expectedPeak : unit(() => parseRate(body.expectedPeak as string), 'expectedPeak');
  if (body.overrideCapacityGate !== undefined) req.overrideCapacityGate = body.overrideCapacityGate;
  if (body.overrideHeadroom !== undefined) req.overrideHeadroom = body.overrideHeadroom;
  if (body.actor !== undefined) req.actor = body.actor;
  return req;
}

function unit(fn: () => number, key: string): number {
  try {
    return fn();
  } catch (err) {
    throw new PiperError(rolloutErrors.PIPER_ROLLOUT_BAD_REQUEST, `${key}: ${(err as Error).message}`);
  }
}
