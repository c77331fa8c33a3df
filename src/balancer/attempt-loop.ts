import type { ErrorKind } from '../telemetry/index.ts';
import type { BackendRuntime } from './backend-runtime.ts';
import type { DownstreamRequest } from './downstream-request.ts';
import type { Exchange } from './exchange.ts';
import { KeptBody } from './kept-body.ts';
import { stickyKeyOf } from './outcome-user.ts';
import type { AttemptResult } from './outlier-detector.ts';
import { type Pipeline, PUBLIC_MESSAGES } from './pipeline-context.ts';
import type { PoolRuntime } from './pool-runtime.ts';
import { upstreamRequestHeaderBlock, validRequestId } from './proxy-headers.ts';
import type { RouteRuntime } from './route-runtime.ts';
import type { RoutingState } from './routing-state.ts';
import { pickPool } from './split-picker.ts';
import { classifyUpstreamError, upstreamFailureResponse } from './upstream-error.ts';

/*
 * The pipeline's forward phase: a request's attempts on the backends of its pool, retries on
 * another backend where safe and within the route's budget, the answer when no attempt is left,
 * and the rollback rescue's two moves on a running attempt (send it to another pool, or end it).
 * Like the pipeline, it runs on callbacks: each attempt ends in the exchange's `attemptEnded`.
 */

// RFC 9110 §9.2.2. Retried only without a body or with one kept whole: a streamed body cannot be replayed.
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

export function choosePool(ctx: Pipeline, state: RoutingState, route: RouteRuntime, req: DownstreamRequest): PoolRuntime | null {
  const name = pickPool(route.split, route.poolNames, state.routable, ctx.random, stickyKeyOf(route, req));
  if (name !== null) return state.pools.get(name) ?? null;
  for (const f of route.config.failover) {
    const pool = state.pools.get(f);
    if (pool?.hasRoutable()) return pool;
  }
  return null;
}

export function forward(ctx: Pipeline, ex: Exchange, route: RouteRuntime, pool: PoolRuntime): void {
  const { req } = ex;
  const idempotent = IDEMPOTENT.has(req.method);
  // A body that arrived in full while read ahead is kept, so that the request can be sent again.
  if (req.body !== null && idempotent) ex.kept = KeptBody.keep(req.body, ctx.bodyBudget);
  ex.safe = idempotent && (req.body === null || ex.kept !== null);
  const requestId = validRequestId(req.headers['x-request-id']) ?? ctx.newRequestId();
  // The client's headers, read by the upstream connection for `content-length` only.
  ex.headers = req.headers;
  ex.headerBlock = upstreamRequestHeaderBlock(req.headers, {
    clientIp: req.socket.remoteAddress ?? 'unknown',
    host: (req.headers.host as string | undefined) ?? '',
    proto: 'http',
    requestId,
  });
  // Streamed straight from the client and read once, unless kept (each attempt then streams the
  // kept bytes anew); a failed attempt only detaches from it, so the client still gets a proper 502.
  ex.body = ex.kept === null ? req.body : null;
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
  startAttempt(ctx, ex, pool, backend);
}

function startAttempt(ctx: Pipeline, ex: Exchange, pool: PoolRuntime, backend: BackendRuntime): void {
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
  if (ex.kept !== null) ex.body = ex.kept.stream();
  ex.attempting = true;
  backend.inFlight++;
  ctx.rescue.attemptStarted(ex);
  // Ends in `attemptEnded` (possibly before `attempt` returns).
  ex.attempt(upstream);
}

/**
 * Sends a request caught on a rolled-back pool to a pool the route still uses, as a retry: it
 * takes a slot of the retry budget and a free slot of that pool (never its queue), or nothing
 * happens. Only for a request that is safe to send again and has no response head yet.
 */
export function resend(ctx: Pipeline, ex: Exchange, route: RouteRuntime): boolean {
  if (!ex.attempting || ex.responseStarted || ex.finished) return false;
  const from = ex.pool as PoolRuntime;
  const to = choosePool(ctx, ctx.state(), route, ex.req);
  if (to === null || to.name === from.name) return false;
  const backend = to.picker.pick(to.backends, null);
  // The budget of the route object the request counts on (`route` is the current one: a reload
  // makes new ones), as every retry's: released when the attempt ends.
  const budget = (ex.route as RouteRuntime).retryBudget;
  if (backend === null || !budget.tryAcquire((ex.route as RouteRuntime).active)) return false;
  if (!to.admission.tryAcquire()) {
    budget.release();
    return false;
  }
  if (!withdraw(ex)) {
    to.admission.release(null, 0);
    budget.release();
    return false;
  }
  const now = ctx.clock.monotonic();
  // The rolled-back pool's slot is given back unsampled: a withdrawn attempt measured nothing.
  givePoolSlot(ex, now, false);
  ex.pool = to;
  ex.admitted = true;
  ex.admittedAt = now;
  ex.inFlightAtStart = to.admission.inFlight;
  ex.retrySlot = true;
  ex.retries++;
  ex.previous = null;
  ex.maxAttempts = Math.max(ex.maxAttempts, ex.attemptNo + 1);
  startAttempt(ctx, ex, to, backend);
  return true;
}

/** Answers a request caught on a rolled-back pool past the rescue's deadline: its backend did not answer in time. */
export function cut(ctx: Pipeline, ex: Exchange): void {
  if (!ex.attempting || ex.responseStarted || ex.finished || !withdraw(ex)) return;
  ex.lastKind = 'timeout';
  giveUp(ctx, ex, ex.route as RouteRuntime);
}

/**
 * Ends the running attempt from the pipeline's side: its connection is dropped as for a client
 * that left, and `attemptEnded`, called back at once, only undoes the attempt's bookkeeping.
 * False when the attempt could not be reached (it then runs on).
 */
function withdraw(ex: Exchange): boolean {
  ex.withdrawing = true;
  ex.abortUpstream();
  ex.withdrawing = false;
  return !ex.attempting;
}

export function attemptWithdrawn(ex: Exchange): void {
  (ex.backend as BackendRuntime).inFlight--;
  ex.attempting = false;
  if (ex.retrySlot) {
    (ex.route as RouteRuntime).retryBudget.release();
    ex.retrySlot = false;
  }
}

/**
 * What one attempt came to: null when a response was (or is being) delivered, else the error kind
 * of a failure that happened before any response byte reached the client.
 */
export function attemptResult(ex: Exchange, err: Error | null): ErrorKind | null {
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

export function afterAttempt(ctx: Pipeline, ex: Exchange, result: ErrorKind | null): void {
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

/**
 * Gives the request's pool slot back, once: when the backend's part is done (its response read in
 * full, or the client's socket full so that the backend waits on the client), or when the
 * response closes before that. The latency sample runs from admission, or from the last body byte
 * when the body arrived after it, to now: the time the client takes to send its body or to read
 * the answer never counts, so slow clients neither hold slots nor shrink the limit. No attempt
 * follows either, so a kept body goes too.
 */
export function releaseSlot(ex: Exchange, now: number, sampled: boolean): void {
  ex.kept?.release();
  givePoolSlot(ex, now, sampled);
}

function givePoolSlot(ex: Exchange, now: number, sampled: boolean): void {
  if (!ex.admitted) return;
  ex.admitted = false;
  let latencyMs: number | null = null;
  if (sampled) {
    const body = ex.req.body;
    latencyMs = now - (body !== null && body.completedAt > ex.admittedAt ? body.completedAt : ex.admittedAt);
  }
  (ex.pool as PoolRuntime).admission.release(latencyMs, ex.inFlightAtStart);
}
