import { isPostgresUrl } from '../config/index.ts';
import { type Clock, isPiperError, type Logger, PiperError, silentLogger, type TimerHandle } from '../core/index.ts';
import { checkEvent, type JournalEventInput } from './event-catalogue.ts';
import { matchesFilter, validateEventFilter } from './event-filter.ts';
import type { EventFilter, JournalEvent, JournalStore, StoredEventInput } from './journal-event.ts';
import type { LeaseAnswer, LeaseFence, LeaseRecord } from './lease.ts';
import { PostgresJournalStore } from './postgres-journal-store.ts';
import { SqliteJournalStore, validateEventInput } from './sqlite-journal-store.ts';
import type { TrafficSample, TrafficSampleStore } from './traffic-sample.ts';
import { journalErrors } from './journal-errors.ts';

/** Options of {@link Journal.open}. */
export interface JournalOpenOptions {
  /** SQLite file, `:memory:`, or a `postgres://` URL (the PostgreSQL store). */
  path: string;
  clock: Clock;
  logger?: Logger;
  /** Most events `record` holds before dropping (default 10000). */
  bufferSize?: number;
  /** How long `record`ed events wait before they are written in one transaction (default 100 ms). */
  flushIntervalMs?: number;
  readOnly?: boolean;
  /** SQLite only, as are `maxSizeBytes`: the PostgreSQL server's settings decide both there. */
  synchronous?: 'normal' | 'full';
  maxSizeBytes?: number;
  onMismatch?: MismatchPolicy;
}

/**
 * What the journal does with an event that does not match the event catalogue. `throw` (the
 * default, for tests and development runs) refuses it with PIPER_JOURNAL_EVENT_MISMATCH, so a
 * writer's wrong field fails where it is written; `log` (production) logs the mismatch and records
 * the event as written, since an event is never lost for a schema's sake.
 */
export type MismatchPolicy = 'throw' | 'log';

/** Counters of the buffered write path. */
export interface JournalStats {
  buffered: number;
  /** Events `record` refused because the buffer was full, or lost because the store failed. */
  dropped: number;
  /** Events written, by any path, since open. */
  written: number;
}

type Listener = (e: JournalEvent) => void;

/**
 * The journal as a leader writes to it ({@link Journal.fenced}): reads as usual; every append
 * checks, in its own transaction, that the lease still has the leader's holder and term.
 */
export type FencedJournal = Pick<Journal, 'append' | 'appendWithState' | 'getState' | 'listState' | 'query' | 'samples' | 'lastId'>;

/**
 * The journal every part writes to: the store plus listeners (alerts, incidents, streams) and a
 * buffered, never-blocking `record` for the traffic path.
 */
export class Journal {
  readonly store: JournalStore & TrafficSampleStore;
  #clock: Clock;
  #log: Logger;
  #listeners = new Set<Listener>();
  #buffer: StoredEventInput[] = [];
  #bufferSize: number;
  #flushMs: number;
  #flushTimer: TimerHandle | undefined;
  #dropped = 0;
  #droppedReported = 0;
  #written = 0;
  #closed = false;
  #onMismatch: MismatchPolicy;
  /** `kind field` pairs already logged: a writer's systematic mismatch is logged once, not every second. */
  #mismatchesLogged = new Set<string>();

  constructor(
    store: JournalStore & TrafficSampleStore,
    options: { clock: Clock; logger?: Logger; bufferSize?: number; flushIntervalMs?: number; onMismatch?: MismatchPolicy },
  ) {
    this.store = store;
    this.#clock = options.clock;
    this.#log = options.logger ?? silentLogger();
    this.#bufferSize = options.bufferSize ?? 10_000;
    this.#flushMs = options.flushIntervalMs ?? 100;
    this.#onMismatch = options.onMismatch ?? 'throw';
  }

  /** Opens the journal at `path`: a SQLite file (created when absent) or a PostgreSQL database (migrated at open). */
  static open(options: JournalOpenOptions): Journal {
    const now = (): number => options.clock.now();
    const readOnly = options.readOnly !== undefined ? { readOnly: options.readOnly } : {};
    const store = isPostgresUrl(options.path)
      ? PostgresJournalStore.open({ url: options.path, now, ...readOnly })
      : SqliteJournalStore.open({
          path: options.path,
          now,
          ...readOnly,
          ...(options.synchronous !== undefined ? { synchronous: options.synchronous } : {}),
          ...(options.maxSizeBytes !== undefined ? { maxSizeBytes: options.maxSizeBytes } : {}),
        });
    return new Journal(store, {
      clock: options.clock,
      ...(options.logger !== undefined ? { logger: options.logger } : {}),
      ...(options.bufferSize !== undefined ? { bufferSize: options.bufferSize } : {}),
      ...(options.flushIntervalMs !== undefined ? { flushIntervalMs: options.flushIntervalMs } : {}),
      ...(options.onMismatch !== undefined ? { onMismatch: options.onMismatch } : {}),
    });
  }

  /**
   * Appends an event durably and tells listeners; throws a coded error when storage fails. With a
   * `fence`, only while that holder still holds the lease at that term (else PIPER_NOT_LEADER).
   */
  append(e: JournalEventInput, fence?: LeaseFence): JournalEvent {
    const event = this.store.append(this.#stamp(e), fence);
    this.#written++;
    this.#notify(event);
    return event;
  }

  /** Appends an event and sets a state row atomically (fenced as `append`). */
  appendWithState(e: JournalEventInput, key: string, value: unknown, fence?: LeaseFence): JournalEvent {
    const event = this.store.appendWithState(this.#stamp(e), key, value, fence);
    this.#written++;
    this.#notify(event);
    return event;
  }

  /**
   * This journal for a leader of `fence.lease` at `fence.term`: its appends are refused with
   * PIPER_NOT_LEADER, and leave nothing behind, once another holder (or a later term) took the
   * lease, so a leader deposed while it was stopped cannot journal a transition when it wakes.
   */
  fenced(fence: LeaseFence): FencedJournal {
    const f = { ...fence };
    return {
      append: (e) => this.append(e, f),
      appendWithState: (e, key, value) => this.appendWithState(e, key, value, f),
      getState: (key) => this.getState(key),
      listState: (prefix) => this.listState(prefix),
      query: (filter) => this.query(filter),
      samples: (route, since, until) => this.samples(route, since, until),
      lastId: () => this.lastId(),
    };
  }

  /** See {@link JournalStore.acquireLease}. */
  acquireLease(name: string, holder: string, ttlMs: number, info: Record<string, unknown>): LeaseAnswer {
    this.#usable();
    return this.store.acquireLease(name, holder, ttlMs, info);
  }

  releaseLease(name: string, holder: string): void {
    this.#usable();
    this.store.releaseLease(name, holder);
  }

  readLease(name: string): LeaseRecord | null {
    this.#usable();
    return this.store.readLease(name);
  }

  getState(key: string): unknown | undefined {
    return this.store.getState(key);
  }

  listState(prefix: string): { key: string; value: unknown }[] {
    return this.store.listState(prefix);
  }

  query(f: EventFilter): JournalEvent[] {
    return this.store.query(f);
  }

  /** The newest event's id (0 when empty). */
  lastId(): number {
    return this.store.lastId();
  }

  /**
   * Queues an event for the next batch; never blocks and never throws on the traffic path (but for
   * a catalogue mismatch under `onMismatch: 'throw'`). When the buffer is full the event is dropped
   * and counted; the count is journaled as `journal.dropped`.
   */
  record(e: JournalEventInput): void {
    if (this.#closed) {
      this.#dropped++;
      return;
    }
    if (this.#buffer.length >= this.#bufferSize) {
      this.#dropped++;
      return;
    }
    try {
      this.#buffer.push(this.#stamp(e));
    } catch (err) {
      if (isPiperError(err, 'PIPER_JOURNAL_EVENT_MISMATCH')) throw err;
      this.#dropped++;
      this.#log.warn({ err, kind: e.kind }, 'journal record refused an invalid event');
      return;
    }
    this.#flushTimer ??= this.#clock.setTimeout(() => {
      this.#flushTimer = undefined;
      this.flush();
    }, this.#flushMs);
  }

  /** Writes buffered events now, in one transaction. A storage failure is logged and counted. */
  flush(): void {
    this.#flushTimer?.cancel();
    this.#flushTimer = undefined;
    const batch = this.#buffer;
    this.#buffer = [];
    const lost = this.#dropped - this.#droppedReported;
    if (lost > 0) {
      const dropped: JournalEventInput = {
        kind: 'journal.dropped',
        source: 'journal',
        subject: 'journal',
        data: { count: lost, total: this.#dropped },
        time: this.#clock.now(),
      };
      batch.push(dropped);
    }
    if (batch.length === 0) return;
    try {
      const events = this.store.appendMany(batch);
      this.#droppedReported += lost;
      this.#written += events.length;
      for (const e of events) this.#notify(e);
    } catch (err) {
      this.#dropped += batch.length - (lost > 0 ? 1 : 0);
      this.#log.error({ err, count: batch.length }, 'journal batch write failed; events dropped');
    }
  }

  /** Calls `listener` with every event written through this journal; returns the unsubscribe. */
  onEvent(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Past events matching `f`, then live ones as they are written, until `signal` aborts or the
   * journal closes. Nothing is lost or repeated between the two: live events are queued from the
   * start and filtered by id.
   */
  async *follow(f: EventFilter, signal?: AbortSignal): AsyncIterable<JournalEvent> {
    validateEventFilter(f);
    const queue: JournalEvent[] = [];
    let wake: (() => void) | undefined;
    const unsubscribe = this.onEvent((e) => {
      if (matchesFilter(e, f)) {
        queue.push(e);
        wake?.();
      }
    });
    const onAbort = (): void => wake?.();
    signal?.addEventListener('abort', onAbort);
    const onClose = (): void => wake?.();
    this.#closeHooks.add(onClose);
    try {
      let lastId = f.afterId ?? 0;
      for (;;) {
        const page = this.store.query({ ...f, afterId: lastId, limit: 1000 });
        for (const e of page) {
          if (signal?.aborted) return;
          lastId = e.id;
          yield e;
        }
        if (page.length < 1000) break;
      }
      while (!signal?.aborted && !this.#closed) {
        const e = queue.shift();
        if (e === undefined) {
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
          wake = undefined;
          continue;
        }
        if (e.id <= lastId) continue;
        lastId = e.id;
        yield e;
      }
    } finally {
      unsubscribe();
      signal?.removeEventListener('abort', onAbort);
      this.#closeHooks.delete(onClose);
    }
  }

  /** Buffer and write counters. */
  stats(): JournalStats {
    return { buffered: this.#buffer.length, dropped: this.#dropped, written: this.#written };
  }

  putSamples(samples: readonly TrafficSample[]): void {
    this.store.putSamples(samples);
  }

  samples(route: string | undefined, since: number, until: number): TrafficSample[] {
    return this.store.samples(route, since, until);
  }

  /** Flushes, then closes the store; idempotent. */
  close(): void {
    if (this.#closed) return;
    this.flush();
    this.#closed = true;
    for (const hook of this.#closeHooks) hook();
    this.store.close();
  }

  get closed(): boolean {
    return this.#closed;
  }

  #closeHooks = new Set<() => void>();

  #usable(): void {
    if (this.#closed) throw new PiperError(journalErrors.PIPER_JOURNAL_CLOSED, 'journal is closed');
  }

  #stamp(e: JournalEventInput): StoredEventInput {
    this.#usable();
    validateEventInput(e);
    this.#check(e);
    return e.time === undefined ? { ...e, time: this.#clock.now() } : e;
  }

  #check(e: JournalEventInput): void {
    const mismatch = checkEvent(e);
    if (mismatch === null) return;
    const message = `event ${e.kind} does not match the event catalogue: ${mismatch.field} ${mismatch.problem}`;
    if (this.#onMismatch === 'throw') {
      throw new PiperError(journalErrors.PIPER_JOURNAL_EVENT_MISMATCH, message, {
        details: { kind: e.kind, field: mismatch.field },
      });
    }
    const seen = `${e.kind} ${mismatch.field}`;
    if (this.#mismatchesLogged.has(seen)) return;
    this.#mismatchesLogged.add(seen);
    this.#log.error(
      { kind: e.kind, field: mismatch.field, problem: mismatch.problem },
      'event does not match the catalogue; recorded as written',
    );
  }

  #notify(e: JournalEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(e);
      } catch (err) {
        this.#log.error({ err, kind: e.kind, id: e.id }, 'journal listener failed');
      }
    }
  }
}
