import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';
import { PiperError } from '../core/index.ts';
import { DEFAULT_QUERY_LIMIT, validateEventFilter } from './event-filter.ts';
import type { EventSource } from './event-source.ts';
import type { EventFilter, JournalEvent, JournalStore, StoredEventInput } from './journal-event.ts';
import { type LeaseAnswer, type LeaseFence, type LeaseRecord, notLeaderError, validateLeaseRequest } from './lease.ts';
import { APPEND_LOCK } from './postgres-migrations.ts';
import { postgresStorageError, redactUrl } from './postgres-storage-error.ts';
import type { WorkerAnswer, WorkerData, WorkerFailure, WorkerRequest, WorkerStatement } from './postgres-worker-protocol.ts';
import { stampEvent } from './sqlite-journal-store.ts';
import type { TrafficSample, TrafficSampleStore } from './traffic-sample.ts';
import { journalErrors } from './journal-errors.ts';

/** Options of {@link PostgresJournalStore.open}. */
export interface PostgresStoreOptions {
  /** `postgres://user:password@host:port/database`. */
  url: string;
  /** Time for events without one. */
  now: () => number;
  /** Sessions are read-only (the CLI's reads); every write fails with PIPER_JOURNAL_READ_ONLY. */
  readOnly?: boolean;
  /**
   * Longest wait for one call's answer (default 15 s) before the worker is taken for dead: the
   * call fails with PIPER_JOURNAL_STORAGE_FAILED and the next call starts a new worker. The
   * connect (a third of it) and statement (two thirds) timeouts sit below it, so a slow server
   * answers with its own error first.
   */
  callTimeoutMs?: number;
}

interface EventRow {
  id: string;
  time: string;
  kind: string;
  source: string;
  subject: string;
  data: Record<string, unknown>;
  actor: string;
}

interface WorkerHandle {
  worker: Worker;
  port: MessagePort;
  signal: Int32Array;
}

interface LeaseRow {
  holder: string;
  term: string;
  info: Record<string, unknown>;
  expires_at: string;
}

/** The database's clock in ms since the epoch: every process measures a lease by the same one. */
const DB_NOW_MS = '(extract(epoch FROM clock_timestamp()) * 1000)::bigint';
/**
 * Takes the lease when it is free or lapsed (term + 1), renews it for its holder (same term), and
 * otherwise leaves it: the WHERE makes the upsert a no-op, and RETURNING then yields no row.
 * `excluded.expires_at - $3` is this statement's "now". Row locks order concurrent takers.
 */
const ACQUIRE_LEASE = `INSERT INTO leases AS l (name, holder, term, info, expires_at) VALUES ($1, $2, 1, $4, ${DB_NOW_MS} + $3)
ON CONFLICT (name) DO UPDATE SET
  term = CASE WHEN l.holder = excluded.holder AND l.expires_at > excluded.expires_at - $3 THEN l.term ELSE l.term + 1 END,
  holder = excluded.holder, info = excluded.info, expires_at = excluded.expires_at
WHERE l.holder = excluded.holder OR l.expires_at <= excluded.expires_at - $3
RETURNING term`;
const READ_LEASE = 'SELECT holder, term, info, expires_at FROM leases WHERE name = $1';

/** A fenced write found the lease moved on; {@link PostgresJournalStore} turns it into PIPER_NOT_LEADER. */
class FencedWrite extends Error {}

const INSERT_EVENT = 'INSERT INTO events (time, kind, source, subject, data, actor) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id';
// The worker is a sibling module; after `npm run build` both are .js, in development both are .ts.
const WORKER_URL = new URL(`./postgres-worker${extname(fileURLToPath(import.meta.url))}`, import.meta.url);

/**
 * The journal on PostgreSQL, behind the same synchronous interface as the SQLite store: a worker
 * thread holds the connection (npm `pg`), and each call blocks on `Atomics.wait` until the worker
 * answers (docs/adr/0003-postgres-journal-store.md). Events take their ids from one sequence, so
 * every process writing to the database shares one order.
 */
export class PostgresJournalStore implements JournalStore, TrafficSampleStore {
  /** The URL without its password, for messages. */
  readonly where: string;
  #url: string;
  #now: () => number;
  #readOnly: boolean;
  #callTimeoutMs: number;
  #handle: WorkerHandle | undefined;
  #nextId = 0;
  #closed = false;

  private constructor(options: PostgresStoreOptions) {
    this.#url = options.url;
    this.where = redactUrl(options.url);
    this.#now = options.now;
    this.#readOnly = options.readOnly === true;
    this.#callTimeoutMs = options.callTimeoutMs ?? 15_000;
  }

  /**
   * Connects and applies pending migrations (or, read-only, checks there is a journal); throws
   * PIPER_JOURNAL_OPEN_FAILED when the server cannot be reached or the database is not a journal.
   */
  static open(options: PostgresStoreOptions): PostgresJournalStore {
    const store = new PostgresJournalStore(options);
    try {
      store.#call({ op: 'open' }, 'open');
    } catch (err) {
      store.close();
      const failure = (err as { cause?: unknown }).cause;
      throw new PiperError(journalErrors.PIPER_JOURNAL_OPEN_FAILED, `cannot open journal ${store.where}: ${(err as Error).message}`, {
        cause: failure ?? err,
        details: { path: store.where },
      });
    }
    return store;
  }

  append(e: StoredEventInput, fence?: LeaseFence): JournalEvent {
    return this.#append([e], 'append an event', undefined, fence)[0] as JournalEvent;
  }

  appendMany(events: readonly StoredEventInput[]): JournalEvent[] {
    if (events.length === 0) return [];
    return this.#append(events, 'append events');
  }

  appendWithState(e: StoredEventInput, key: string, value: unknown, fence?: LeaseFence): JournalEvent {
    return this.#append(
      [e],
      'append an event with state',
      {
        text: `INSERT INTO state (key, value, event_id) VALUES ($1, $2, currval(pg_get_serial_sequence('events', 'id')))
             ON CONFLICT (key) DO UPDATE SET value = excluded.value, event_id = excluded.event_id`,
        values: [key, JSON.stringify(value ?? null)],
      },
      fence,
    )[0] as JournalEvent;
  }

  acquireLease(name: string, holder: string, ttlMs: number, info: Record<string, unknown>): LeaseAnswer {
    validateLeaseRequest(name, holder, ttlMs);
    const [taken, current] = this.#run(
      'acquire a lease',
      [
        { text: ACQUIRE_LEASE, values: [name, holder, ttlMs, JSON.stringify(info)] },
        { text: READ_LEASE, values: [name] },
      ],
      true,
    );
    const lease = toLease(current?.[0] as LeaseRow);
    return { ...lease, held: (taken?.length ?? 0) > 0 };
  }

  releaseLease(name: string, holder: string): void {
    this.#run(
      'release a lease',
      [{ text: 'UPDATE leases SET expires_at = 0 WHERE name = $1 AND holder = $2', values: [name, holder] }],
      true,
    );
  }

  readLease(name: string): LeaseRecord | null {
    const row = this.#rows<LeaseRow>('read a lease', READ_LEASE, [name])[0];
    return row === undefined ? null : toLease(row);
  }

  getState(key: string): unknown | undefined {
    const rows = this.#rows<{ value: unknown }>('read state', 'SELECT value FROM state WHERE key = $1', [key]);
    return rows[0]?.value;
  }

  listState(prefix: string): { key: string; value: unknown }[] {
    return this.#rows<{ key: string; value: unknown }>(
      'list state',
      'SELECT key, value FROM state WHERE starts_with(key, $1) ORDER BY key',
      [prefix],
    );
  }

  query(f: EventFilter): JournalEvent[] {
    this.#open();
    validateEventFilter(f);
    const where: string[] = [];
    const values: (string | number)[] = [];
    const param = (v: string | number): string => {
      values.push(v);
      return `$${values.length}`;
    };
    if (f.since !== undefined) where.push(`time >= ${param(f.since)}`);
    if (f.until !== undefined) where.push(`time < ${param(f.until)}`);
    if (f.afterId !== undefined) where.push(`id > ${param(f.afterId)}`);
    if (f.subject !== undefined) where.push(`subject = ${param(f.subject)}`);
    if (f.kinds !== undefined && f.kinds.length > 0 && !f.kinds.includes('*')) {
      const ors = f.kinds.map((k) =>
        k.endsWith('.*') ? `(kind >= ${param(k.slice(0, -1))} AND kind < ${param(`${k.slice(0, -1)}\u{10ffff}`)})` : `kind = ${param(k)}`,
      );
      where.push(`(${ors.join(' OR ')})`);
    }
    const sql = `SELECT id, time, kind, source, subject, data, actor FROM events${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY id LIMIT ${param(f.limit ?? DEFAULT_QUERY_LIMIT)}`;
    return this.#rows<EventRow>('query events', sql, values).map(toEvent);
  }

  lastId(): number {
    const rows = this.#rows<{ id: string | null }>('read the last id', 'SELECT max(id) AS id FROM events', []);
    return Number(rows[0]?.id ?? 0);
  }

  putSamples(samples: readonly TrafficSample[]): void {
    if (samples.length === 0) return;
    const statements = samples.map((s) => ({
      text: 'INSERT INTO samples (route, time, body) VALUES ($1, $2, $3) ON CONFLICT (route, time) DO UPDATE SET body = excluded.body',
      values: [s.route, s.time, JSON.stringify(s)],
    }));
    this.#run('store traffic samples', statements, true);
  }

  samples(route: string | undefined, since: number, until: number): TrafficSample[] {
    const rows =
      route === undefined
        ? this.#rows<{ body: TrafficSample }>(
            'read traffic samples',
            'SELECT body FROM samples WHERE time >= $1 AND time < $2 ORDER BY time, route',
            [since, until],
          )
        : this.#rows<{ body: TrafficSample }>(
            'read traffic samples',
            'SELECT body FROM samples WHERE route = $1 AND time >= $2 AND time < $3 ORDER BY time',
            [route, since, until],
          );
    return rows.map((r) => r.body);
  }

  pruneSamples(before: number): number {
    const rows = this.#rows<{ n: string }>(
      'prune traffic samples',
      'WITH gone AS (DELETE FROM samples WHERE time < $1 RETURNING 1) SELECT count(*) AS n FROM gone',
      [before],
    );
    return Number(rows[0]?.n ?? 0);
  }

  /** Ends the connection and the worker; idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const handle = this.#handle;
    if (handle === undefined) return;
    try {
      this.#send(handle, { id: ++this.#nextId, op: 'close' }, 'close');
    } catch {
      // The connection could not be ended politely (worker or server gone): the terminate below
      // ends the worker, and the server drops the session when its socket closes.
    }
    this.#handle = undefined;
    void handle.worker.terminate();
  }

  #append(events: readonly StoredEventInput[], action: string, state?: WorkerStatement, fence?: LeaseFence): JournalEvent[] {
    this.#open();
    const stamped = events.map((e) => stampEvent(e, this.#now));
    // FOR SHARE holds the lease row until commit: a takeover (an UPDATE of it) commits after this write, never between check and write.
    const fenceCheck: WorkerStatement[] =
      fence === undefined
        ? []
        : [
            {
              text: 'SELECT 1 FROM leases WHERE name = $1 AND holder = $2 AND term = $3 FOR SHARE',
              values: [fence.lease, fence.holder, fence.term],
              mustMatch: true,
            },
          ];
    const statements: WorkerStatement[] = [
      { text: 'SELECT pg_advisory_xact_lock($1)', values: [APPEND_LOCK] },
      ...fenceCheck,
      ...stamped.map((e) => ({ text: INSERT_EVENT, values: [e.time, e.kind, e.source, e.subject, JSON.stringify(e.data), e.actor] })),
      ...(state === undefined ? [] : [state]),
    ];
    let results: unknown[][];
    try {
      results = this.#run(action, statements, true);
    } catch (err) {
      if (err instanceof FencedWrite && fence !== undefined) throw notLeaderError(fence, this.readLease(fence.lease));
      throw err;
    }
    // The lock's result (and the fence's) come first; each insert after them returned its row's id.
    const first = 1 + fenceCheck.length;
    stamped.forEach((e, i) => {
      const row = results[i + first]?.[0] as { id: string } | undefined;
      e.id = Number(row?.id);
    });
    return stamped;
  }

  #rows<T>(action: string, text: string, values: readonly (string | number)[]): T[] {
    return (this.#run(action, [{ text, values }], false)[0] ?? []) as T[];
  }

  #run(action: string, statements: readonly WorkerStatement[], transaction: boolean): unknown[][] {
    return this.#call({ op: 'run', statements, transaction }, action) as unknown[][];
  }

  #call(request: { op: 'open' } | { op: 'run'; statements: readonly WorkerStatement[]; transaction: boolean }, action: string): unknown {
    this.#open();
    this.#handle ??= this.#startWorker();
    return this.#send(this.#handle, { ...request, id: ++this.#nextId }, action);
  }

  #send(handle: WorkerHandle, request: WorkerRequest, action: string): unknown {
    handle.port.postMessage(request);
    // A timeout, not the wall clock of the domain: how long this thread may stay blocked.
    const deadline = performance.now() + this.#callTimeoutMs;
    for (;;) {
      const seen = Atomics.load(handle.signal, 0);
      for (let m = receiveMessageOnPort(handle.port); m !== undefined; m = receiveMessageOnPort(handle.port)) {
        const answer = m.message as WorkerAnswer;
        // Answers to calls that timed out earlier arrive late; only this call's answer counts.
        if (answer.id !== request.id) continue;
        if (answer.ok) return answer.result;
        throw this.#failure(answer.error, action);
      }
      if (Atomics.load(handle.signal, 1) === 1) {
        this.#dropWorker(handle);
        throw this.#workerLost(action, 'the PostgreSQL worker thread ended');
      }
      const left = deadline - performance.now();
      if (left <= 0 || Atomics.wait(handle.signal, 0, seen, left) === 'timed-out') {
        this.#dropWorker(handle);
        throw this.#workerLost(action, `no answer from the PostgreSQL worker thread within ${this.#callTimeoutMs} ms`);
      }
    }
  }

  #startWorker(): WorkerHandle {
    const { port1, port2 } = new MessageChannel();
    const signal = new SharedArrayBuffer(8);
    const data: WorkerData = {
      url: this.#url,
      readOnly: this.#readOnly,
      connectTimeoutMs: Math.round(this.#callTimeoutMs / 3),
      statementTimeoutMs: Math.round((this.#callTimeoutMs * 2) / 3),
      signal,
      port: port2,
    };
    const execArgv = workerExecArgv(process.execArgv);
    const worker = new Worker(WORKER_URL, { workerData: data, transferList: [port2], ...(execArgv !== undefined ? { execArgv } : {}) });
    const handle = { worker, port: port1, signal: new Int32Array(signal) };
    // The worker must not keep a process alive that forgot close(): a SQLite store would not.
    worker.unref();
    // An error event is seen only when the event loop turns; calls learn of the death from signal slot 1.
    worker.on('error', () => this.#dropWorker(handle));
    return handle;
  }

  #dropWorker(handle: WorkerHandle): void {
    if (this.#handle === handle) this.#handle = undefined;
    handle.port.close();
    void handle.worker.terminate();
  }

  #workerLost(action: string, why: string): PiperError {
    return new PiperError(
      journalErrors.PIPER_JOURNAL_STORAGE_FAILED,
      `journal ${this.where}: cannot ${action}: ${why}; the next call starts a new one`,
      {
        retryable: true,
        details: { path: this.where },
      },
    );
  }

  #failure(error: WorkerFailure, action: string): Error {
    if (error.fenced) return new FencedWrite(error.message);
    if (error.notJournal) {
      return new PiperError(journalErrors.PIPER_JOURNAL_OPEN_FAILED, `${this.where} is ${error.message}`, {
        details: { path: this.where },
      });
    }
    return postgresStorageError(error, action, this.where);
  }

  #open(): void {
    if (this.#closed) throw new PiperError(journalErrors.PIPER_JOURNAL_CLOSED, `journal ${this.where} is closed`);
  }
}

const EVAL_FLAGS = ['-e', '--eval', '-p', '--print'];

/**
 * The process's flags less a script given on the command line (`node -e`), or undefined when
 * there is none: a worker inherits `execArgv`, and would otherwise run that script again instead
 * of its own file. Inheriting is left alone otherwise, since an explicit list must hold only
 * flags a worker accepts, which the test runner's own do not.
 */
function workerExecArgv(argv: readonly string[]): string[] | undefined {
  if (!argv.some((a) => EVAL_FLAGS.includes(a) || /^(--eval|--print)=/.test(a))) return undefined;
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (EVAL_FLAGS.includes(a)) i++;
    else if (!/^(--eval|--print|--input-type)=/.test(a)) out.push(a);
  }
  return out;
}

function toLease(r: LeaseRow): LeaseRecord {
  return { holder: r.holder, term: Number(r.term), info: r.info, expiresAt: Number(r.expires_at) };
}

function toEvent(r: EventRow): JournalEvent {
  return {
    id: Number(r.id),
    time: Number(r.time),
    kind: r.kind,
    source: r.source as EventSource,
    subject: r.subject,
    data: r.data,
    actor: r.actor,
  };
}
