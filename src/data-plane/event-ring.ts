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
