import type { IncomingMessage } from 'node:http';
import { z } from 'zod';
import {
  type ApiHandler,
  isPiperError,
  matchPath,
  PiperError,
  parseDuration,
  parseRate,
  readJson,
  sendCaught,
  sendError,
  sendJson,
} from '../core/index.ts';
import type { GateResult } from './capacity-gate.ts';
import { followerRefusal, type LeaderAnswer, type LeaderGate } from './leader-gate.ts';
import type { MigrationController, MigrationView } from './migration-controller.ts';
import type { StartMigrationRequest } from './migration-plan.ts';
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

const durationOrMs = z.union([z.number().positive(), z.string().min(1)]);
const startBody = z.strictObject({
  route: z.string().min(1),
  to: z.string().min(1),
  from: z.string().min(1).optional(),
  steps: z.array(z.number()).min(1).optional(),
  stepDuration: durationOrMs.optional(),
  headroom: z.number().optional(),
  expectedPeak: z.union([z.number().positive(), z.string().min(1)]).optional(),
  overrideCapacityGate: z.string().optional(),
  overrideHeadroom: z.string().optional(),
  actor: z.string().min(1).optional(),
});
const actionBody = z.strictObject({ reason: z.string().optional(), actor: z.string().min(1).optional() });
const promoteBody = z.strictObject({ all: z.boolean().optional(), actor: z.string().min(1).optional() });

/**
 * The rollout slice of the control-plane API (docs/api.md, "Rollout"). Authentication is done in
 * front of it (by `piper up`, or `piper migrate controller`).
 */
export function createRolloutApi(o: RolloutApiOptions): ApiHandler {
  const current = typeof o.controller === 'function' ? o.controller : () => o.controller as MigrationController;
  const { leader } = o;
  return async (req, res, url) => {
    const path = url.pathname;
    if (path !== '/api/v1/migrations' && !path.startsWith('/api/v1/migrations/')) return false;
    const method = req.method ?? 'GET';
    // Asked per request: leadership may have changed since the last one.
    const controller = current();
    try {
      if (method === 'POST' && leader !== undefined && !leader.holds()) {
        const refusal = followerRefusal(leader);
        sendJson(res, 409, {
          error: { code: 'PIPER_NOT_LEADER', message: refusal.message },
          leader: refusal.details.leader as LeaderAnswer | null,
        } satisfies NotLeaderAnswer);
        return true;
      }
      if (path === '/api/v1/migrations') {
        if (method === 'GET') {
          sendJson(res, 200, { migrations: controller.list() } satisfies MigrationList);
          return true;
        }
        if (method === 'POST') {
          const body = parse(startBody, await readJson(req));
          try {
            sendJson(res, 201, await controller.startMigration(startRequest(body)));
          } catch (err) {
            // The gate's numbers travel with the refusal so the CLI can show them.
            if (isPiperError(err, 'PIPER_ROLLOUT_GATE_REFUSED')) {
              sendJson(res, 409, gateRefusal(err));
              return true;
            }
            throw err;
          }
          return true;
        }
        return methodNotAllowed(res, 'GET, POST');
      }
      const one = matchPath('/api/v1/migrations/:id', path);
      if (one !== null) {
        if (method !== 'GET') return methodNotAllowed(res, 'GET');
        sendJson(res, 200, controller.get(one.id as string));
        return true;
      }
      const action = matchPath('/api/v1/migrations/:id/:action', path);
      if (action === null) return false;
      if (method !== 'POST') return methodNotAllowed(res, 'POST');
      const id = action.id as string;
      switch (action.action) {
        case 'pause':
        case 'resume':
        case 'abort': {
          const body = parse(actionBody, await optionalJson(req));
          const actor = body.actor ?? 'operator';
          const reason = body.reason ?? `${action.action} requested`;
          const fn = action.action === 'pause' ? controller.pause : action.action === 'resume' ? controller.resume : controller.abort;
          sendJson(res, 200, await fn.call(controller, id, actor, reason));
          return true;
        }
        case 'promote': {
          const body = parse(promoteBody, await optionalJson(req));
          try {
            sendJson(res, 200, await controller.promote(id, body.all === true, body.actor ?? 'operator'));
          } catch (err) {
            if (isPiperError(err, 'PIPER_ROLLOUT_GATE_REFUSED')) {
              sendJson(res, 409, gateRefusal(err));
              return true;
            }
            throw err;
          }
          return true;
        }
        default:
          return false;
      }
    } catch (err) {
      return sendCaught(res, err);
    }
  };
}

/** The answer to a refused start or promote; `gateRefused` put the gate's result in the details. */
function gateRefusal(err: PiperError): GateRefusalAnswer {
  return { error: { code: 'PIPER_ROLLOUT_GATE_REFUSED', message: err.message }, gate: err.details.gate as GateResult };
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

function parse<T extends z.ZodType>(schema: T, value: unknown): z.output<T> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const where = issue?.path.length ? issue.path.join('.') : 'body';
  throw new PiperError(rolloutErrors.PIPER_ROLLOUT_BAD_REQUEST, `${where}: ${issue?.message ?? 'invalid'}`);
}

/** Action bodies are optional: an empty body means no reason given. */
async function optionalJson(req: IncomingMessage): Promise<unknown> {
  const length = req.headers['content-length'];
  if ((length === undefined || length === '0') && req.headers['transfer-encoding'] === undefined) return {};
  return readJson(req);
}

function methodNotAllowed(res: Parameters<ApiHandler>[1], allow: string): true {
  sendError(res, 405, 'PIPER_ROLLOUT_METHOD_NOT_ALLOWED', `method not allowed; use ${allow}`, { allow });
  return true;
}
