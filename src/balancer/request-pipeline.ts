import type { Split } from '../data-plane/index.ts';
import { emptyRequestOutcome } from '../telemetry/index.ts';
import { afterAttempt, attemptResult, attemptWithdrawn, choosePool, cut, forward, releaseSlot, resend } from './attempt-loop.ts';
import type { RequestHandler } from './downstream-connection.ts';
import { Exchange, type ExchangeHooks } from './exchange.ts';
import { parseHostHeader } from './host-match.ts';
import { fillOutcomeUser } from './outcome-user.ts';
import { PUBLIC_MESSAGES, type Pipeline, type PipelineContext } from './pipeline-context.ts';
import type { PoolRuntime } from './pool-runtime.ts';
import { requestIds } from './request-ids.ts';
import { RollbackRescue } from './rollback-rescue.ts';
import type { RouteRuntime } from './route-runtime.ts';
import type { RoutingState } from './routing-state.ts';

/** The request handler of the public listeners, and what the balancer tells it besides requests. */
export interface RequestPipeline {
  handler: RequestHandler;
  /** A route's split changed from `from`: requests on pools that lost all weight are rescued (see RollbackRescue). */
  splitChanged(route: RouteRuntime, from: Split): void;
  /** Cancels the rescue's deadlines. Idempotent. */
  close(): void;
}

/**
 * The request handler of the public listeners: accept → route → read the body ahead → admit →
 * forward. It runs on callbacks, not promises: a request that is admitted at once and answered by
 * its first backend costs no promise, no await and no microtask (the promise-based loop cost ~4 %
 * of the balancer's CPU); only a request that has to wait for admission awaits.
 */
export function createRequestPipeline(context: PipelineContext): RequestPipeline {
  const ctx: Pipeline = {
    ...context,
    newRequestId: requestIds(context.random),
    outcome: emptyRequestOutcome(),
    rescue: new RollbackRescue(context.clock, {
      resend: (ex, route) => resend(ctx, ex, route),
      cut: (ex) => cut(ctx, ex),
    }),
  };
  const hooks: ExchangeHooks = {
    attemptEnded: (ex, err) => {
      try {
        ctx.rescue.attemptEnded(ex);
        if (ex.withdrawing) attemptWithdrawn(ex);
        else afterAttempt(ctx, ex, attemptResult(ex, err));
      } catch (e) {
        internalError(ctx, ex, e);
      }
    },
    closed: (ex) => finish(ctx, ex),
    bodyReady: (ex) => {
      try {
        admit(ctx, ex, ex.route as RouteRuntime, ex.pool as PoolRuntime);
      } catch (err) {
        internalError(ctx, ex, err);
      }
    },
    // The backend's socket is paused until the client reads: from here the pace is the client's.
    clientBehind: (ex) => {
      if (!ex.res.socket.destroyed) releaseSlot(ex, ctx.clock.monotonic(), true);
    },
  };
  return {
    handler: (req, res) => {
      const ex = new Exchange(req, res, ctx.clock.monotonic(), hooks);
      try {
        handle(ctx, ex);
      } catch (err) {
        internalError(ctx, ex, err);
      }
    },
    splitChanged: (route, from) => {
      ctx.rescue.splitChanged(route, from);
    },
    close: () => ctx.rescue.close(),
  };
}

function internalError(ctx: Pipeline, ex: Exchange, err: unknown): void {
  ctx.logger.error({ err }, 'request pipeline failed');
  ex.errorKind ??= 'protocol';
  ex.res.sendError(500, 'PIPER_BALANCER_INTERNAL', 'internal error in the balancer');
}

function handle(ctx: Pipeline, ex: Exchange): void {
  const { req, res } = ex;
  // Phase: route.
  const host = parseHostHeader(req.headers.host as string | undefined);
  if (host === null) {
    ex.errorKind = 'protocol';
    res.sendError(400, 'PIPER_BALANCER_BAD_HOST', 'missing or malformed Host header');
    return;
  }
  const state = ctx.state();
  const route = state.match(host, req.url);
  if (route === undefined) {
    res.sendError(404, 'PIPER_BALANCER_NO_ROUTE', PUBLIC_MESSAGES.noRoute);
    return;
  }
  ex.route = route;
  route.active++;
  const pool = choosePool(ctx, state, route, req);
  if (pool === null) {
    ex.errorKind = 'no_backend';
    ctx.noHealthyBackend(route);
    res.sendError(503, 'PIPER_BALANCER_NO_HEALTHY_BACKEND', PUBLIC_MESSAGES.noHealthyBackend);
    return;
  }
  ex.pool = pool;
  // Phase: admit (process level), after the cheap routing so the shed request is counted on its
  // route and pool: while the event loop lags, nothing new is started.
  if (ctx.guard.overloaded) {
    shed(ctx, ex);
    return;
  }
  const body = req.body;
  if (body !== null) {
    // Phase: read ahead. A body is received before its request takes a slot of the pool (up to
    // its buffer), so the time a client takes to send it holds no backend slot (HAProxy's
    // `http-buffer-request`). A request the pool would shed now is shed before its body is read,
    // unless a failover pool would admit it (now or after a wait in its queue): that pool reads
    // it ahead and admits it.
    if (pool.admission.wouldRefuse()) {
      const to = spillPool(state, route, pool);
      if (to === null) {
        shed(ctx, ex);
        return;
      }
      spill(ctx, ex, pool, to);
    }
    // Goes on in `admit` through the `bodyReady` hook, possibly at once.
    body.readAhead(ctx.bodyBudget, ex);
    return;
  }
  admit(ctx, ex, route, pool);
}

/** Phase: admit (pool level): adaptive limit, bounded queue. */
function admit(ctx: Pipeline, ex: Exchange, route: RouteRuntime, pool: PoolRuntime): void {
  // Answered meanwhile (a body that breaks off tells nobody, but any answer ends the request).
  if (ex.finished) return;
  const admission = pool.admission.acquire();
  if (typeof admission === 'boolean') {
    admitted(ctx, ex, route, pool, admission);
    return;
  }
  admission.then(
    (ok) => {
      try {
        admitted(ctx, ex, route, pool, ok);
      } catch (err) {
        internalError(ctx, ex, err);
      }
    },
    (err: unknown) => internalError(ctx, ex, err),
  );
}

function admitted(ctx: Pipeline, ex: Exchange, route: RouteRuntime, pool: PoolRuntime, ok: boolean): void {
  if (!ok) {
    // Spilled once at most, so that two pools naming each other as failover never pass a request back.
    const to = ex.finished || ex.spilledFrom !== null ? null : spillPool(ctx.state(), route, pool);
    if (to === null) {
      shed(ctx, ex);
      return;
    }
    spill(ctx, ex, pool, to);
    // Admitted there as that pool's own requests are: at once, after a wait in its queue, or shed.
    admit(ctx, ex, route, to);
    return;
  }
  if (ex.finished) {
    // The client left while queued: give the slot straight back.
    pool.admission.release(null, 0);
    return;
  }
  ex.admitted = true;
  ex.admittedAt = ctx.clock.monotonic();
  ex.inFlightAtStart = pool.admission.inFlight;
  // A body still arriving now holds the slot: it must keep the minimum rate.
  ex.req.body?.slotTaken();
  forward(ctx, ex, route, pool);
}

/**
 * The route's failover pool that takes a request `from`'s admission refused: the first in the
 * route's order, other than `from`, with a routable backend and an admission that would not refuse
 * it at once. During a migration the failover names the source pool, so a target that sheds sends
 * its overflow back where it came from instead of answering 503 while the source has room. The
 * spilled request is then admitted as the source's own requests are: it may wait in the source's
 * bounded queue for a slot that frees within its timeout, and is shed only where a request routed
 * to the source would be (queue full, a wait the drain rate says is too long, or timed out).
 */
function spillPool(state: RoutingState, route: RouteRuntime, from: PoolRuntime): PoolRuntime | null {
  for (const name of route.config.failover) {
    if (name === from.name) continue;
    const pool = state.pools.get(name);
    if (pool === undefined || !pool.hasRoutable()) continue;
    if (!pool.admission.wouldRefuse()) return pool;
  }
  return null;
}

/** Moves the request to `to`; the refusal is counted on `from` as a spill (evidence for the judge, not a failure). */
function spill(ctx: Pipeline, ex: Exchange, from: PoolRuntime, to: PoolRuntime): void {
  ex.pool = to;
  ex.spilledFrom = from;
  ctx.spilled(from);
}

function shed(ctx: Pipeline, ex: Exchange): void {
  ex.errorKind = 'shed';
  ex.res.sendError(503, 'PIPER_BALANCER_OVERLOADED', PUBLIC_MESSAGES.overloaded, { 'retry-after': String(ctx.retryAfterSeconds()) });
}

function finish(ctx: Pipeline, ex: Exchange): void {
  ex.finished = true;
  const { res } = ex;
  if (!res.writableFinished) {
    ex.clientGone = true;
    if (ex.attempting) ex.abortUpstream();
    if (ex.errorKind === null) ex.errorKind = 'client_abort';
  }
  const now = ctx.clock.monotonic();
  const latencyMs = now - ex.start;
  if (ex.route !== null) ex.route.active--;
  // No sample when the client left, or when the balancer answered for it while an attempt ran (a
  // body too slow or broken): that time is the client's, not the backend's.
  releaseSlot(ex, now, !ex.clientGone && !(ex.attempting && !ex.responseStarted));
  const outcome = ctx.outcome;
  outcome.route = ex.route?.name ?? '';
  // With no pool chosen (none had a healthy backend), the failure belongs to the route's main pool.
  outcome.pool = ex.pool?.name ?? (ex.route !== null ? primaryPool(ex.route) : '');
  outcome.backend = ex.backend?.name ?? null;
  outcome.status = ex.clientGone ? 0 : res.statusCode;
  outcome.errorKind = ex.errorKind;
  outcome.latencyMs = latencyMs;
  outcome.bytesIn = ex.socket.bytesRead - ex.bytesReadStart;
  outcome.bytesOut = ex.socket.bytesWritten - ex.bytesWrittenStart;
  outcome.retries = ex.retries;
  fillOutcomeUser(outcome, ex.route, ex.req);
  ctx.record(outcome);
  const sample = ctx.accessLogSample();
  if (sample > 0 && (sample >= 1 || ctx.random.next() < sample)) {
    ctx.logger.info({ method: ex.req.method, url: ex.req.url, requestId: ex.req.headers['x-request-id'], ...outcome }, 'access');
  }
}

/** The pool with the largest weight in a route's split. */
function primaryPool(route: RouteRuntime): string {
  let best = '';
  let weight = -1;
  for (const name of route.poolNames) {
    const w = route.split[name] ?? 0;
    if (w > weight) {
      best = name;
      weight = w;
    }
  }
  return best;
}
