import type { Clock, Logger, Random } from '../core/index.ts';
import { type ErrorKind, emptyRequestOutcome, type RequestOutcome } from '../telemetry/index.ts';
import type { BackendRuntime } from './backend-runtime.ts';
import type { BodyBufferBudget } from './body-buffer-budget.ts';
import type { RequestHandler } from './downstream-connection.ts';
import type { DownstreamRequest } from './downstream-request.ts';
import type { EventLoopGuard } from './event-loop-guard.ts';
import { Exchange, type ExchangeHooks } from './exchange.ts';
import { parseHostHeader } from './host-match.ts';
import { fillOutcomeUser, stickyKeyOf } from './outcome-user.ts';
import type { AttemptResult } from './outlier-detector.ts';
import type { PoolRuntime } from './pool-runtime.ts';
import { upstreamRequestHeaderBlock, validRequestId } from './proxy-headers.ts';
import type { RouteRuntime } from './route-runtime.ts';
import type { RoutingState } from './routing-state.ts';
import { pickPool } from './split-picker.ts';
import { classifyUpstreamError, upstreamFailureResponse } from './upstream-error.ts';

/** What the request pipeline needs from the balancer that owns it. */
export interface PipelineContext {
  clock: Clock;
  random: Random;
  logger: Logger;
  guard: EventLoopGuard;
  /** The memory all request bodies being read ahead of admission may hold together. */
  bodyBudget: BodyBufferBudget;
  /** The current routes and pools (swapped whole on reload). */
  state(): RoutingState;
  /** Seconds to put in Retry-After when shedding. */
  retryAfterSeconds(): number;
  /** Share of requests written to the access log (0 = off). */
  accessLogSample(): number;
  /**
   * Called once per request when its response closes. The outcome is one object refilled for
   * every request (no allocation per request): read it during the call, never keep it.
   */
  record(outcome: RequestOutcome): void;
  /** Called when a route finds no pool with a healthy backend. */
  noHealthyBackend(route: RouteRuntime): void;
  /** Called when `from`'s admission refused a request that the route's failover pool then took. */
  spilled(from: PoolRuntime): void;
}

/**
 * What the public listener tells a client about the balancer's own failures: the code says which,
 * and nothing names a route, a pool or a backend (the layout behind the listener is no client's
 * business; the metrics, the journal and the access log hold the names).
 */
const PUBLIC_MESSAGES = {
  noRoute: 'no route matches this request',
  noHealthyBackend: 'no healthy backend can take this request; retry later',
  overloaded: 'the service is overloaded; retry later',
} as const;

// RFC 9110 §9.2.2. Retried only without a body: a streamed body cannot be replayed.
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

/** The pipeline's own state beside its context. */
interface Pipeline extends PipelineContext {
  newRequestId(): string;
  /** The outcome handed to `record`, refilled for each request. */
  outcome: RequestOutcome;
}

/**
 * The request handler of the public listeners: accept → route → read the body ahead → admit →
 * forward. It runs on callbacks, not promises: a request that is admitted at once and answered by
 * its first backend costs no promise, no await and no microtask (the promise-based loop cost ~4 %
 * of the balancer's CPU); only a request that has to wait for admission awaits.
 */
export function createRequestPipeline(context: PipelineContext): RequestHandler {
  const ctx: Pipeline = {
    ...context,
    newRequestId: requestIds(context.random),
    outcome: emptyRequestOutcome(),
  };
  const hooks: ExchangeHooks = {
    attemptEnded: (ex, err) => {
      try {
        afterAttempt(ctx, ex, attemptResult(ex, err));
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
  return (req, res) => {
    const ex = new Exchange(req, res, ctx.clock.monotonic(), hooks);
    try {
      handle(ctx, ex);
    } catch (err) {
      internalError(ctx, ex, err);
    }
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
    // unless a failover pool has room for it now: that pool reads it ahead and admits it.
    if (pool.admission.wouldRefuse()) {
      const to = spillPool(state, route, pool, false);
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
    const to = ex.finished || ex.spilledFrom !== null ? null : spillPool(ctx.state(), route, pool, true);
    if (to === null) {
      shed(ctx, ex);
      return;
    }
    spill(ctx, ex, pool, to);
    admitted(ctx, ex, route, to, true);
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

function choosePool(ctx: Pipeline, state: RoutingState, route: RouteRuntime, req: DownstreamRequest): PoolRuntime | null {
  const name = pickPool(route.split, route.poolNames, state.routable, ctx.random, stickyKeyOf(route, req));
  if (name !== null) return state.pools.get(name) ?? null;
  for (const f of route.config.failover) {
    const pool = state.pools.get(f);
    if (pool?.hasRoutable()) return pool;
  }
  return null;
}

/**
 * The route's failover pool that takes a request `from`'s admission refused: the first in the
 * route's order, other than `from`, with a routable backend and a free slot now (`take`: the slot
 * is taken). During a migration the failover names the source pool, so a target that sheds sends
 * its overflow back where it came from instead of answering 503 while the source has room. Never
 * a queue: a spilled request waits behind nobody, and a source without room sheds as before.
 */
function spillPool(state: RoutingState, route: RouteRuntime, from: PoolRuntime, take: boolean): PoolRuntime | null {
  for (const name of route.config.failover) {
    if (name === from.name) continue;
    const pool = state.pools.get(name);
    if (pool === undefined || !pool.hasRoutable()) continue;
    if (take ? pool.admission.tryAcquire() : pool.admission.hasRoom()) return pool;
  }
  return null;
}

/** Moves the request to `to`; the refusal is counted on `from` as a spill (evidence for the judge, not a failure). */
function spill(ctx: Pipeline, ex: Exchange, from: PoolRuntime, to: PoolRuntime): void {
  ex.pool = to;
  ex.spilledFrom = from;
  ctx.spilled(from);
}

function forward(ctx: Pipeline, ex: Exchange, route: RouteRuntime, pool: PoolRuntime): void {
  const { req } = ex;
  const hasBody = req.body !== null;
  ex.safe = !hasBody && IDEMPOTENT.has(req.method);
  const requestId = validRequestId(req.headers['x-request-id']) ?? ctx.newRequestId();
  // The client's headers, read by the upstream connection for `content-length` only.
  ex.headers = req.headers;
  ex.headerBlock = upstreamRequestHeaderBlock(req.headers, {
    clientIp: req.socket.remoteAddress ?? 'unknown',
    host: (req.headers.host as string | undefined) ?? '',
    proto: 'http',
    requestId,
  });
  // Streamed straight from the client (never retried, so read once); a failed attempt only
  // detaches from it, so the client still gets a proper 502.
  ex.body = req.body;
  ex.maxAttempts = 1 + (ex.safe ? route.config.retries.attempts : 0);
  nextAttempt(ctx, ex, route, pool);
}

/** Starts the next attempt on another backend, or answers with what the attempts so far found. */
function nextAttempt(ctx: Pipeline, ex: Exchange, route: RouteRuntime, pool: PoolRuntime): void {
  const backend = ex.attemptNo < ex.maxAttempts ? pool.picker.pick(pool.backends, ex.previous) : null;
  if (backend === null) {
    giveUp(ctx, ex, route);
    return;
  }
  if (ex.attemptNo > 0) {
    // A refused connection never reached a backend, so retrying it adds no load there: only
    // retries of requests a backend may have seen count against the budget.
    if (ex.lastKind !== 'connect') {
      if (!route.retryBudget.tryAcquire(route.active)) {
        giveUp(ctx, ex, route);
        return;
      }
      ex.retrySlot = true;
    }
    ex.retries++;
  }
  ex.attemptNo++;
  ex.backend = backend;
  ex.mayRetry = ex.safe && ex.attemptNo < ex.maxAttempts && pool.routableBackends > 1;
  const upstream = backend.upstream;
  if (upstream === null) {
    afterAttempt(ctx, ex, 'connect');
    return;
  }
  ex.discardedStatus = 0;
  ex.upstreamRetryAfter = null;
  ex.attempting = true;
  backend.inFlight++;
  // Ends in `attemptEnded` (possibly before `attempt` returns).
  ex.attempt(upstream);
}

/**
 * What one attempt came to: null when a response was (or is being) delivered, else the error kind
 * of a failure that happened before any response byte reached the client.
 */
function attemptResult(ex: Exchange, err: Error | null): ErrorKind | null {
  const backend = ex.backend as BackendRuntime;
  const pool = ex.pool as PoolRuntime;
  backend.inFlight--;
  ex.attempting = false;
  if (err === null) {
    const status = ex.discardedStatus !== 0 ? ex.discardedStatus : ex.res.statusCode;
    const result = status === 503 && ex.upstreamRetryAfter !== null ? 'overloaded' : status >= 500 ? '5xx' : 'success';
    pool.outliers.observe(backend, result, status);
    return ex.discardedStatus !== 0 ? 'protocol' : null;
  }
  const kind = classifyUpstreamError(err);
  if (ex.clientGone || kind === 'client_abort') {
    // The client left (or its request body broke off): no fault of the backend's.
    ex.errorKind = 'client_abort';
    if (!ex.clientGone) ex.res.destroy();
    return null;
  }
  pool.outliers.observe(backend, kind as AttemptResult);
  if (ex.responseStarted) {
    // Failed mid-body: nothing can be retried; the client sees a truncated response.
    ex.errorKind = kind;
    ex.res.destroy();
    return null;
  }
  return kind;
}

function afterAttempt(ctx: Pipeline, ex: Exchange, result: ErrorKind | null): void {
  const route = ex.route as RouteRuntime;
  if (ex.retrySlot) {
    route.retryBudget.release();
    ex.retrySlot = false;
  }
  if (result === null) return;
  ex.lastKind = result;
  if (ex.clientGone || ex.responseStarted) return;
  ex.previous = ex.backend;
  nextAttempt(ctx, ex, route, ex.pool as PoolRuntime);
}

/** No (further) attempt possible: the client gets the truthful failure. */
function giveUp(ctx: Pipeline, ex: Exchange, route: RouteRuntime): void {
  if (ex.responseStarted || ex.clientGone) return;
  const lastKind = ex.lastKind;
  if (lastKind === null) {
    ex.errorKind = 'no_backend';
    ctx.noHealthyBackend(route);
    ex.res.sendError(503, 'PIPER_BALANCER_NO_HEALTHY_BACKEND', PUBLIC_MESSAGES.noHealthyBackend);
    return;
  }
  if (ex.discardedStatus !== 0) {
    // The retry was not possible after all; the backend's own 5xx is the truthful answer.
    ex.errorKind = null;
    ex.res.sendError(
      ex.discardedStatus,
      'PIPER_BALANCER_UPSTREAM_UNAVAILABLE',
      `the backend answered ${ex.discardedStatus}`,
      ex.upstreamRetryAfter !== null ? { 'retry-after': ex.upstreamRetryAfter } : {},
    );
    return;
  }
  ex.errorKind = lastKind;
  const failure = upstreamFailureResponse(lastKind);
  ex.res.sendError(failure.status, failure.code, failure.message);
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

/**
 * Gives the request's pool slot back, once: when the backend's part is done (its response read in
 * full, or the client's socket full so that the backend waits on the client), or when the
 * response closes before that. The latency sample runs from admission, or from the last body byte
 * when the body arrived after it, to now: the time the client takes to send its body or to read
 * the answer never counts, so slow clients neither hold slots nor shrink the limit.
 */
function releaseSlot(ex: Exchange, now: number, sampled: boolean): void {
  if (!ex.admitted) return;
  ex.admitted = false;
  let latencyMs: number | null = null;
  if (sampled) {
    const body = ex.req.body;
    latencyMs = now - (body !== null && body.completedAt > ex.admittedAt ? body.completedAt : ex.admittedAt);
  }
  (ex.pool as PoolRuntime).admission.release(latencyMs, ex.inFlightAtStart);
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

/**
 * Request ids for requests that came without one: a random 32-bit prefix per process (drawn again
 * when the counter wraps) and a counter, 16 hex digits in all. Unique, which is what an id is for,
 * and cheap: two random 32-bit numbers per request cost a slow double-to-hex conversion each.
 */
function requestIds(random: Random): () => string {
  let prefix = '';
  let next = 0x40000000;
  return () => {
    if (next >= 0x40000000) {
      prefix = random.int(0x100000000).toString(16).padStart(8, '0');
      next = 0;
    }
    return prefix + (next++).toString(16).padStart(8, '0');
  };
}
