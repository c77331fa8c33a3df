import type { EventSource } from './event-source.ts';
import type { LeaseAnswer, LeaseFence, LeaseRecord } from './lease.ts';

/**
 * An event as a store takes it: any well-formed kind and data. Writers use the typed
 * `JournalEventInput`; the journal checks it against the catalogue before the store sees it. The
 * store assigns `id` and, when absent, `time` and `actor`.
 */
export interface StoredEventInput {
  /** Dotted lower-case name, e.g. `migration.rolled_back` (docs/journal.md, "Event catalogue"). */
  kind: string;
  source: EventSource;
  /** What the event is about: a route, pool, backend (`pool/backend`), migration or incident id. */
  subject: string;
  data?: Record<string, unknown>;
  /** Who caused it: an operator's name, or the component (`rollout`, `balancer`). */
  actor?: string;
  /** Event time in ms since the epoch; the journal's clock when absent. */
  time?: number;
}

/** A recorded event. Ids increase with append order. */
export interface JournalEvent {
  id: number;
  time: number;
  kind: string;
  source: EventSource;
  subject: string;
  data: Record<string, unknown>;
  actor: string;
}

/** Which events a query returns; every field narrows, and results are oldest first. */
export interface EventFilter {
  /** Events with time >= since (ms). */
  since?: number;
  /** Events with time < until (ms). */
  until?: number;
  /** Exact kinds, or prefixes written `migration.*`; any of them matches. */
  kinds?: string[];
  subject?: string;
  /** Events with id > afterId (resuming a stream). */
  afterId?: number;
  /** At most this many (default 1000, at most 10000). */
  limit?: number;
}

/**
 * The journal's storage. One conformance suite (journal-store-conformance.ts) runs against every
 * implementation: SQLite now, PostgreSQL later.
 */
export interface JournalStore {
  /**
   * Appends one event; it is durable when this returns (it survives kill -9 of the process). With
   * a `fence`, only while the lease still has that holder and term, checked in the same
   * transaction; else nothing is written and it throws PIPER_NOT_LEADER.
   */
  append(e: StoredEventInput, fence?: LeaseFence): JournalEvent;
  /** Appends several events in one transaction (all or none), in order. */
  appendMany(events: readonly StoredEventInput[]): JournalEvent[];
  /** Appends an event and sets a state row in one transaction: both or neither (fenced as `append`). */
  appendWithState(e: StoredEventInput, key: string, value: unknown, fence?: LeaseFence): JournalEvent;
  getState(key: string): unknown | undefined;
  /** State rows whose key starts with `prefix`, in key order. */
  listState(prefix: string): { key: string; value: unknown }[];
  query(f: EventFilter): JournalEvent[];
  /** The id of the newest event, 0 when empty (where a live stream starts). */
  lastId(): number;
  /**
   * Takes lease `name` for `ttlMs` when it is free, released or expired (its term rises by one), or
   * renews it when `holder` holds it (same term); otherwise leaves it and reports who holds it.
   * Expiry is measured by the store's clock (the database's, for PostgreSQL), so callers on hosts
   * with skewed clocks agree.
   */
  acquireLease(name: string, holder: string, ttlMs: number, info: Record<string, unknown>): LeaseAnswer;
  /** Lets `holder`'s lease lapse now, so a successor need not wait for it to expire; a no-op for anyone else. */
  releaseLease(name: string, holder: string): void;
  /** The lease as it stands (expired or not), or null when it was never taken. */
  readLease(name: string): LeaseRecord | null;
  /** Idempotent. */
  close(): void;
}
