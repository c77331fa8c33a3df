import { type ApiHandler, sendError, sendJson } from '../core/index.ts';
import type { DataPlaneEvent } from './data-plane-event.ts';

/** One event held by an {@link EventRing}: a data-plane event with its id. */
export type RingEvent = DataPlaneEvent & { id: number };

/** `GET /api/v1/events?after=ID` on a data-plane-only `piper up`. */
export interface EventPage {
  /** Changes when the process restarts (ids start again at 1): a reader that sees a new one reads from 0. */
  bootId: string;
  /** Events with an id above `after`, oldest first. */
  events: readonly RingEvent[];
  /** Events above `after` that had already left the ring (the reader polled too seldom). */
  lost: number;
}

export interface EventRingOptions {
  bootId: string;
  /** Events kept (default 2000); older ones are dropped. */
  capacity?: number;
}

/**
 * The events of a data plane that runs without a journal (`piper up --role data`), kept in memory
 * for a control plane elsewhere to read and journal: the last `capacity`, with ids increasing
 * from 1 in each process (`bootId` tells processes apart).
 */
export class EventRing {
  readonly bootId: string;
  readonly #capacity: number;
  readonly #events: RingEvent[] = [];
  #lastId = 0;

  constructor(o: EventRingOptions) {
    this.bootId = o.bootId;
    this.#capacity = o.capacity ?? 2000;
  }

  get lastId(): number {
    return this.#lastId;
  }

  push(e: DataPlaneEvent): void {
    this.#events.push({ ...e, id: ++this.#lastId });
    if (this.#events.length > this.#capacity) this.#events.shift();
  }

  /** The events after id `after` (0: all held). */
  after(after: number): EventPage {
    const first = this.#events[0]?.id ?? this.#lastId + 1;
    const from = this.#events.findIndex((e) => e.id > after);
    return {
      bootId: this.bootId,
      events: from < 0 ? [] : this.#events.slice(from),
      lost: Math.max(0, first - after - 1),
    };
  }
}

/** Serves `GET /api/v1/events?after=ID` from the ring (docs/api.md, "Data plane only"). */
export function createEventRingApi(ring: EventRing): ApiHandler {
  return async (req, res, url) => {
    if (url.pathname !== '/api/v1/events') return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendError(res, 405, 'PIPER_BALANCER_BAD_API_REQUEST', 'only GET here: a data-plane-only piper up has no journal to append to', {
        allow: 'GET, HEAD',
      });
      return true;
    }
    const raw = url.searchParams.get('after') ?? '0';
    if (!/^\d+$/.test(raw)) {
      sendError(res, 400, 'PIPER_BALANCER_BAD_API_REQUEST', `after must be an event id (a whole number ≥ 0), not "${raw}"`);
      return true;
    }
    sendJson(res, 200, ring.after(Number(raw)) satisfies EventPage);
    return true;
  };
}
