import type { Clock, TimerHandle } from '../core/index.ts';
import type { Exchange } from './exchange.ts';
import type { RouteRuntime } from './route-runtime.ts';

/**
 * How long a request caught on a rolled-back pool may still wait for its response head there
 * (ms): past it, it is sent to the route's remaining pools if it is safe to, else answered 504.
 * A stalled target otherwise kept its requests for the whole `timeouts.upstreamHeaders` (10 s),
 * after the rollback had already decided the target was not to be trusted.
 */
export const ROLLBACK_DEADLINE_MS = 750;

/**
 * How often a safe caught request that could not be sent yet (no retry budget slot, no free slot
 * on the pool that remains) is tried again before the deadline (ms). Rescues on a healthy source
 * end within a few milliseconds and give their slots back, so a budget of 3 clears a stalled
 * target's dozen requests in a few ticks. A tick, not a wake-up on each slot given back: slots come
 * back to the retry budget and to the pool's admission alike, and only for the length of a rollback.
 */
const RETRY_TICK_MS = 10;

/** What the request pipeline does to one caught request; the rescue only decides which and when. */
export interface RescueActions {
  /**
   * Ends the request's running attempt and sends it again on a pool of the route's current split
   * (or failover) at once. False, with the attempt left running, when that cannot be done now: no
   * retry budget, no pool with a free slot and a routable backend.
   */
  resend(ex: Exchange, route: RouteRuntime): boolean;
  /** Ends the request's running attempt and answers 504. */
  cut(ex: Exchange): void;
}

/**
 * Rescues the requests in flight to a pool when a rollback takes it out of its route. A request
 * that has no response head yet, is safe to send again (idempotent, with no body or one that
 * arrived whole before it was forwarded and is kept: a streamed body is not) is sent to the pools that remain, at once and within the route's retry budget, or,
 * when the budget or the pool has no slot now, every `RETRY_TICK_MS` as slots come back; the
 * others keep their attempt until `ROLLBACK_DEADLINE_MS`, then the safe ones are tried once more
 * and the rest answered 504. A request whose response has started is left alone: its bytes are the
 * client's already.
 *
 * It tracks every attempt from its start to its end (one Set add and delete per attempt, nothing
 * allocated): walking the upstream connections instead would cost nothing per request but would
 * reach into the HTTP client's internals.
 */
export class RollbackRescue {
  readonly #clock: Clock;
  readonly #actions: RescueActions;
  readonly #running = new Set<Exchange>();
  readonly #timers = new Set<TimerHandle>();
  /** Safe caught requests not sent yet, with their route (the current one at the rollback). */
  readonly #waiting = new Map<Exchange, RouteRuntime>();
  #tick: TimerHandle | null = null;
  #closed = false;

  constructor(clock: Clock, actions: RescueActions) {
    this.#clock = clock;
    this.#actions = actions;
  }

  attemptStarted(ex: Exchange): void {
    this.#running.add(ex);
  }

  attemptEnded(ex: Exchange): void {
    this.#running.delete(ex);
  }

  /**
   * `route`'s split changed from `from` to its current one: the pools that lost all their weight
   * give up their requests. Returns how many were sent again at once.
   */
  splitChanged(route: RouteRuntime, from: Readonly<Record<string, number>>): number {
    if (this.#closed) return 0;
    const dropped = new Set<string>();
    for (const name in from) if ((from[name] ?? 0) > 0 && (route.split[name] ?? 0) === 0) dropped.add(name);
    if (dropped.size === 0) return 0;
    let resent = 0;
    let left = 0;
    for (const ex of this.#caught(route, dropped)) {
      if (ex.safe && this.#actions.resend(ex, route)) resent++;
      else {
        if (ex.safe) this.#waiting.set(ex, route);
        left++;
      }
    }
    this.#scheduleTick();
    if (left > 0) {
      const timer = this.#clock.setTimeout(() => {
        this.#timers.delete(timer);
        this.#deadline(route, dropped);
      }, ROLLBACK_DEADLINE_MS);
      this.#timers.add(timer);
    }
    return resent;
  }

  /** Cancels pending deadlines; attempts still running end as they would have. Idempotent. */
  close(): void {
    this.#closed = true;
    for (const t of this.#timers) t.cancel();
    this.#timers.clear();
    this.#tick?.cancel();
    this.#tick = null;
    this.#waiting.clear();
  }

  #scheduleTick(): void {
    if (this.#tick !== null || this.#waiting.size === 0) return;
    this.#tick = this.#clock.setTimeout(() => {
      this.#tick = null;
      this.#retryWaiting();
      this.#scheduleTick();
    }, RETRY_TICK_MS);
  }

  /** Sends the waiting requests that can go now, oldest first; forgets those no longer caught. */
  #retryWaiting(): void {
    for (const [ex, route] of this.#waiting) {
      if (!ex.attempting || ex.responseStarted || ex.finished || ex.pool === null || (route.split[ex.pool.name] ?? 0) > 0) {
        this.#waiting.delete(ex);
        continue;
      }
      if (this.#actions.resend(ex, route)) this.#waiting.delete(ex);
    }
  }

  #deadline(route: RouteRuntime, dropped: ReadonlySet<string>): void {
    for (const ex of this.#caught(route, dropped)) {
      this.#waiting.delete(ex);
      // A pool given weight again meanwhile (the rollback undone) keeps its requests.
      if ((route.split[(ex.pool as { name: string }).name] ?? 0) > 0) continue;
      if (ex.safe && this.#actions.resend(ex, route)) continue;
      this.#actions.cut(ex);
    }
  }

  /** Requests of `route` (by name: a reload makes new route objects) waiting for a head from a dropped pool. */
  #caught(route: RouteRuntime, dropped: ReadonlySet<string>): Exchange[] {
    const out: Exchange[] = [];
    for (const ex of this.#running) {
      if (ex.route?.name !== route.name || ex.pool === null || !dropped.has(ex.pool.name)) continue;
      if (ex.responseStarted || ex.finished) continue;
      out.push(ex);
    }
    return out;
  }
}
