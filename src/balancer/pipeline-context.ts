import type { Clock, Logger, Random } from '../core/index.ts';
import type { RequestOutcome } from '../telemetry/index.ts';
import type { BodyBufferBudget } from './body-buffer-budget.ts';
import type { EventLoopGuard } from './event-loop-guard.ts';
import type { PoolRuntime } from './pool-runtime.ts';
import type { RollbackRescue } from './rollback-rescue.ts';
import type { RouteRuntime } from './route-runtime.ts';
import type { RoutingState } from './routing-state.ts';

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
export const PUBLIC_MESSAGES = {
  noRoute: 'no route matches this request',
  noHealthyBackend: 'no healthy backend can take this request; retry later',
  overloaded: 'the service is overloaded; retry later',
} as const;

/** The pipeline's own state beside its context. */
export interface Pipeline extends PipelineContext {
  newRequestId(): string;
  /** The outcome handed to `record`, refilled for each request. */
  outcome: RequestOutcome;
  /** Sees every attempt start and end, to find the requests a rollback leaves on a pool. */
  rescue: RollbackRescue;
}
