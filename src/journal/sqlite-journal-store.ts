import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import { PiperError } from '../core/index.ts';
import { DEFAULT_QUERY_LIMIT, validateEventFilter } from './event-filter.ts';
import { EVENT_SOURCES, type EventSource } from './event-source.ts';
import type { EventFilter, JournalEvent, JournalStore, StoredEventInput } from './journal-event.ts';
import { type LeaseAnswer, type LeaseFence, type LeaseRecord, notLeaderError, validateLeaseRequest } from './lease.ts';
import type { TrafficSample, TrafficSampleStore } from './traffic-sample.ts';
import { journalErrors } from './journal-errors.ts';

/** Options of {@link SqliteJournalStore.open}. */
export interface SqliteStoreOptions {
  /** File path, or `:memory:`. */
  path: string;
  /** Time for events without one. */
  now: () => number;
  /** Open for reading only (the CLI's `--db`); every write then fails with PIPER_JOURNAL_READ_ONLY. */
  readOnly?: boolean;
  /**
   * `normal` (default) survives a killed process: a commit is in the WAL before append returns.
   * `full` also survives power loss, at one fsync per commit.
   */
  synchronous?: 'normal' | 'full';
  /** Largest database size in bytes; writes beyond it fail with PIPER_JOURNAL_DISK_FULL. */
  maxSizeBytes?: number;
}

/**
 * The schema, as numbered migrations applied at open in one transaction; `PRAGMA user_version`
 * records the last one applied. Version 1 uses IF NOT EXISTS, since files written before the
 * schema was versioned hold it at user_version 0. Never edit a released one: add the next number.
 */
const SQLITE_MIGRATIONS: readonly { version: number; sql: string }[] = [
  {
    version: 1,
    sql: `
CREATE TABLE IF NOT EXISTS events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  time INTEGER NOT NULL,
  kind TEXT NOT NULL,
  source TEXT NOT NULL,
  subject TEXT NOT NULL,
  data TEXT NOT NULL,
  actor TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_time ON events (time);
CREATE INDEX IF NOT EXISTS events_kind ON events (kind, id);
CREATE INDEX IF NOT EXISTS events_subject ON events (subject, id);
CREATE TABLE IF NOT EXISTS state (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  event_id INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS samples (
  route TEXT NOT NULL,
  time INTEGER NOT NULL,
  body TEXT NOT NULL,
  PRIMARY KEY (route, time)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS samples_time ON samples (time);
`,
  },
  {
    version: 2,
    sql: `
CREATE TABLE leases (
  name TEXT PRIMARY KEY,
  holder TEXT NOT NULL,
  term INTEGER NOT NULL,
  info TEXT NOT NULL,
  expires_at INTEGER NOT NULL
);
`,
  },
];

interface EventRow {
  id: number;
  time: number;
  kind: string;
  source: string;
  subject: string;
  data: string;
  actor: string;
}

const KIND_INPUT = /^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$/;

/** Checks an event from any writer; throws PIPER_JOURNAL_BAD_EVENT naming the field. */
export function validateEventInput(e: StoredEventInput): void {
  const bad = (field: string, problem: string): PiperError =>
    new PiperError(journalErrors.PIPER_JOURNAL_BAD_EVENT, `event ${field} ${problem}`, { details: { field } });
  if (typeof e.kind !== 'string' || !KIND_INPUT.test(e.kind) || e.kind.length > 128)
    throw bad('kind', 'must be a dotted lower-case name like "operator.note"');
  if (!EVENT_SOURCES.includes(e.source)) throw bad('source', `must be one of ${EVENT_SOURCES.join(', ')}`);
  if (typeof e.subject !== 'string' || e.subject.length > 256) throw bad('subject', 'must be a string of at most 256 characters');
  if (e.actor !== undefined && (typeof e.actor !== 'string' || e.actor.length > 128))
    throw bad('actor', 'must be a string of at most 128 characters');
  if (e.time !== undefined && (!Number.isFinite(e.time) || e.time < 0)) throw bad('time', 'must be ms since the epoch');
  if (e.data !== undefined && (typeof e.data !== 'object' || e.data === null || Array.isArray(e.data)))
    throw bad('data', 'must be an object');
}

/**
 * Checks an event and fills what the store assigns: its time (the store's clock when absent, whole
 * ms), empty data, the source as actor. The id is 0 until the store writes it.
 */
export function stampEvent(e: StoredEventInput, now: () => number): JournalEvent {
  validateEventInput(e);
  return {
    id: 0,
    time: Math.round(e.time ?? now()),
    kind: e.kind,
    source: e.source,
    subject: e.subject,
    data: e.data ?? {},
    actor: e.actor ?? e.source,
  };
}

/** Maps a SQLite failure to a coded error, so a full disk or read-only file is reported, not swallowed. */
export function storageError(err: unknown, action: string, path: string): PiperError {
  const errcode = (err as { errcode?: number }).errcode;
  // SQLite primary result codes: 8 READONLY, 13 FULL, 5 BUSY, 10 IOERR, 14 CANTOPEN (extended codes keep the low byte).
  const primary = typeof errcode === 'number' ? errcode & 0xff : undefined;
  const message = (err as Error).message;
  if (primary === 8) {
    return new PiperError(journalErrors.PIPER_JOURNAL_READ_ONLY, `journal ${path} is read-only: cannot ${action} (${message})`, {
      cause: err,
      details: { path },
    });
  }
  if (primary === 13) {
    return new PiperError(
      journalErrors.PIPER_JOURNAL_DISK_FULL,
      `journal ${path} is full (disk or storage.maxSize): cannot ${action} (${message})`,
      {
        cause: err,
        details: { path },
      },
    );
  }
  return new PiperError(journalErrors.PIPER_JOURNAL_STORAGE_FAILED, `journal ${path}: cannot ${action}: ${message}`, {
    retryable: primary === 5,
    cause: err,
    details: { path, errcode },
  });
}

/** The embedded journal store: one SQLite file in WAL mode (node:sqlite, no native addon). */
export class SqliteJournalStore implements JournalStore, TrafficSampleStore {
  readonly path: string;
  #db: DatabaseSync;
  #now: () => number;
  #closed = false;
  #insert: StatementSync;
  #setState: StatementSync | undefined;
  #getState: StatementSync;
  #putSample: StatementSync | undefined;

  private constructor(db: DatabaseSync, options: SqliteStoreOptions) {
    this.path = options.path;
    this.#db = db;
    this.#now = options.now;
    this.#insert = db.prepare('INSERT INTO events (time, kind, source, subject, data, actor) VALUES (?, ?, ?, ?, ?, ?) RETURNING id');
    this.#getState = db.prepare('SELECT value FROM state WHERE key = ?');
    if (options.readOnly !== true) {
      this.#setState = db.prepare(
        'INSERT INTO state (key, value, event_id) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, event_id = excluded.event_id',
      );
      this.#putSample = db.prepare('INSERT OR REPLACE INTO samples (route, time, body) VALUES (?, ?, ?)');
    }
  }

  /** Opens (creating when absent) a journal file; throws PIPER_JOURNAL_OPEN_FAILED or a storage code. */
  static open(options: SqliteStoreOptions): SqliteJournalStore {
    let db: DatabaseSync;
    try {
      db = new DatabaseSync(options.path, { readOnly: options.readOnly === true, timeout: 5000 });
    } catch (err) {
      throw new PiperError(journalErrors.PIPER_JOURNAL_OPEN_FAILED, `cannot open journal ${options.path}: ${(err as Error).message}`, {
        cause: err,
        details: { path: options.path },
      });
    }
    try {
      if (options.readOnly !== true) {
        db.exec(`PRAGMA journal_mode = WAL; PRAGMA synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'};`);
        migrate(db);
        if (options.maxSizeBytes !== undefined) {
          const pageSize = Number((db.prepare('PRAGMA page_size').get() as { page_size: number }).page_size);
          db.exec(`PRAGMA max_page_count = ${Math.max(1, Math.floor(options.maxSizeBytes / pageSize))}`);
        }
      } else {
        db.prepare('SELECT 1 FROM events LIMIT 1').get();
      }
      return new SqliteJournalStore(db, options);
    } catch (err) {
      db.close();
      if ((err as { errcode?: number }).errcode === 1 && options.readOnly === true) {
        throw new PiperError(journalErrors.PIPER_JOURNAL_OPEN_FAILED, `${options.path} is not a piper journal (no events table)`, {
          cause: err,
          details: { path: options.path },
        });
      }
      throw storageError(err, 'open', options.path);
    }
  }

  append(e: StoredEventInput, fence?: LeaseFence): JournalEvent {
    return this.#transaction('append an event', () => {
      if (fence !== undefined) this.#checkFence(fence);
      return this.#insertOne(e);
    });
  }

  appendMany(events: readonly StoredEventInput[]): JournalEvent[] {
    if (events.length === 0) return [];
    return this.#transaction('append events', () => events.map((e) => this.#insertOne(e)));
  }

  appendWithState(e: StoredEventInput, key: string, value: unknown, fence?: LeaseFence): JournalEvent {
    return this.#transaction('append an event with state', () => {
      if (fence !== undefined) this.#checkFence(fence);
      const event = this.#insertOne(e);
      this.#writable().setState.run(key, JSON.stringify(value ?? null), event.id);
      return event;
    });
  }

  getState(key: string): unknown | undefined {
    this.#open();
    const row = this.#getState.get(key) as { value: string } | undefined;
    return row === undefined ? undefined : (JSON.parse(row.value) as unknown);
  }

  listState(prefix: string): { key: string; value: unknown }[] {
    this.#open();
    const rows = this.#db
      .prepare('SELECT key, value FROM state WHERE key >= ? AND key < ? || char(1114111) ORDER BY key')
      .all(prefix, prefix) as unknown as { key: string; value: string }[];
    return rows.map((r) => ({ key: r.key, value: JSON.parse(r.value) as unknown }));
  }

  query(f: EventFilter): JournalEvent[] {
    this.#open();
    validateEventFilter(f);
    const where: string[] = [];
    const params: SQLInputValue[] = [];
    if (f.since !== undefined) {
      where.push('time >= ?');
      params.push(f.since);
    }
    if (f.until !== undefined) {
      where.push('time < ?');
      params.push(f.until);
    }
    if (f.afterId !== undefined) {
      where.push('id > ?');
      params.push(f.afterId);
    }
    if (f.subject !== undefined) {
      where.push('subject = ?');
      params.push(f.subject);
    }
    if (f.kinds !== undefined && f.kinds.length > 0 && !f.kinds.includes('*')) {
      const ors = f.kinds.map((k) => {
        if (k.endsWith('.*')) {
          params.push(k.slice(0, -1), `${k.slice(0, -1)}\u{10ffff}`);
          return '(kind >= ? AND kind < ?)';
        }
        params.push(k);
        return 'kind = ?';
      });
      where.push(`(${ors.join(' OR ')})`);
    }
    params.push(f.limit ?? DEFAULT_QUERY_LIMIT);
    const sql = `SELECT id, time, kind, source, subject, data, actor FROM events${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY id LIMIT ?`;
    try {
      return (this.#db.prepare(sql).all(...params) as unknown as EventRow[]).map(toEvent);
    } catch (err) {
      throw storageError(err, 'query events', this.path);
    }
  }

  lastId(): number {
    this.#open();
    const row = this.#db.prepare('SELECT max(id) AS id FROM events').get() as { id: number | null };
    return Number(row.id ?? 0);
  }

  putSamples(samples: readonly TrafficSample[]): void {
    if (samples.length === 0) return;
    this.#transaction('store traffic samples', () => {
      const put = this.#writable().putSample;
      for (const s of samples) put.run(s.route, s.time, JSON.stringify(s));
    });
  }

  samples(route: string | undefined, since: number, until: number): TrafficSample[] {
    this.#open();
    const rows = (route === undefined
      ? this.#db.prepare('SELECT body FROM samples WHERE time >= ? AND time < ? ORDER BY time, route').all(since, until)
      : this.#db
          .prepare('SELECT body FROM samples WHERE route = ? AND time >= ? AND time < ? ORDER BY time')
          .all(route, since, until)) as unknown as { body: string }[];
    return rows.map((r) => JSON.parse(r.body) as TrafficSample);
  }

  pruneSamples(before: number): number {
    return this.#transaction('prune traffic samples', () =>
      Number(this.#db.prepare('DELETE FROM samples WHERE time < ?').run(before).changes),
    );
  }

  /** Times come from `now`: on one host the process clock is the only clock there is. */
  acquireLease(name: string, holder: string, ttlMs: number, info: Record<string, unknown>): LeaseAnswer {
    validateLeaseRequest(name, holder, ttlMs);
    return this.#transaction('acquire a lease', () => {
      const now = Math.round(this.#now());
      const current = this.#lease(name);
      if (current !== null && current.holder !== holder && current.expiresAt > now) return { ...current, held: false };
      const renewing = current !== null && current.holder === holder && current.expiresAt > now;
      const term = renewing ? current.term : (current?.term ?? 0) + 1;
      const expiresAt = now + ttlMs;
      this.#db
        .prepare(
          `INSERT INTO leases (name, holder, term, info, expires_at) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, term = excluded.term, info = excluded.info, expires_at = excluded.expires_at`,
        )
        .run(name, holder, term, JSON.stringify(info), expiresAt);
      return { holder, term, info, expiresAt, held: true };
    });
  }

  releaseLease(name: string, holder: string): void {
    this.#transaction('release a lease', () => {
      this.#db.prepare('UPDATE leases SET expires_at = 0 WHERE name = ? AND holder = ?').run(name, holder);
    });
  }

  readLease(name: string): LeaseRecord | null {
    this.#open();
    try {
      return this.#lease(name);
    } catch (err) {
      throw storageError(err, 'read a lease', this.path);
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#db.close();
  }

  #lease(name: string): LeaseRecord | null {
    const row = this.#db.prepare('SELECT holder, term, info, expires_at FROM leases WHERE name = ?').get(name) as
      | { holder: string; term: number; info: string; expires_at: number }
      | undefined;
    if (row === undefined) return null;
    return {
      holder: row.holder,
      term: Number(row.term),
      info: JSON.parse(row.info) as Record<string, unknown>,
      expiresAt: Number(row.expires_at),
    };
  }

  /** Inside the write transaction (BEGIN IMMEDIATE holds the write lock), so no takeover commits between check and write. */
  #checkFence(fence: LeaseFence): void {
    const current = this.#lease(fence.lease);
    if (current === null || current.holder !== fence.holder || current.term !== fence.term) throw notLeaderError(fence, current);
  }

  #insertOne(e: StoredEventInput): JournalEvent {
    const event = stampEvent(e, this.#now);
    const row = this.#insert.get(event.time, event.kind, event.source, event.subject, JSON.stringify(event.data), event.actor) as {
      id: number;
    };
    event.id = Number(row.id);
    return event;
  }

  #writable(): { setState: StatementSync; putSample: StatementSync } {
    if (this.#setState === undefined || this.#putSample === undefined) {
      throw new PiperError(journalErrors.PIPER_JOURNAL_READ_ONLY, `journal ${this.path} was opened read-only`, {
        details: { path: this.path },
      });
    }
    return { setState: this.#setState, putSample: this.#putSample };
  }

  #open(): void {
    if (this.#closed) throw new PiperError(journalErrors.PIPER_JOURNAL_CLOSED, `journal ${this.path} is closed`);
  }

  #transaction<T>(action: string, fn: () => T): T {
    this.#open();
    try {
      this.#db.exec('BEGIN IMMEDIATE');
    } catch (err) {
      throw storageError(err, action, this.path);
    }
    try {
      const result = fn();
      this.#db.exec('COMMIT');
      return result;
    } catch (err) {
      if (this.#db.isTransaction) this.#db.exec('ROLLBACK');
      if (err instanceof PiperError) throw err;
      throw storageError(err, action, this.path);
    }
  }
}

/** Applies the migrations past the file's `user_version`, all in one transaction. */
function migrate(db: DatabaseSync): void {
  // The version is read under the write lock: a second process opening at once waits, then finds it applied.
  db.exec('BEGIN IMMEDIATE');
  try {
    const applied = Number((db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version);
    const pending = SQLITE_MIGRATIONS.filter((m) => m.version > applied);
    for (const m of pending) db.exec(m.sql);
    if (pending.length > 0) db.exec(`PRAGMA user_version = ${(pending.at(-1) as { version: number }).version}`);
    db.exec('COMMIT');
  } catch (err) {
    if (db.isTransaction) db.exec('ROLLBACK');
    throw err;
  }
}

function toEvent(r: EventRow): JournalEvent {
  return {
    id: Number(r.id),
    time: Number(r.time),
    kind: r.kind,
    source: r.source as EventSource,
    subject: r.subject,
    data: JSON.parse(r.data) as Record<string, unknown>,
    actor: r.actor,
  };
}
