// The worker thread behind PostgresJournalStore: it holds the one connection and runs what the
// main thread sends, one request at a time, answering on its port and then waking the main
// thread through the shared signal (slot 0 counts answers; slot 1 is set when this thread ends).
import { type MessagePort, workerData } from 'node:worker_threads';
import pg from 'pg';
import { MIGRATION_LOCK, POSTGRES_MIGRATIONS } from './postgres-migrations.ts';
import type { WorkerAnswer, WorkerData, WorkerRequest, WorkerStatement } from './postgres-worker-protocol.ts';

const data = workerData as WorkerData;
const port: MessagePort = data.port;
const signal = new Int32Array(data.signal);
let client: pg.Client | undefined;
let queue: Promise<void> = Promise.resolve();

function wake(): void {
  Atomics.add(signal, 0, 1);
  Atomics.notify(signal, 0);
}

// Whatever ends this thread (close, an uncaught error), the main thread learns it at once
// instead of waiting out its timeout.
process.on('exit', () => {
  Atomics.store(signal, 1, 1);
  wake();
});

async function connection(): Promise<pg.Client> {
  if (client !== undefined) return client;
  const c = new pg.Client({
    connectionString: data.url,
    connectionTimeoutMillis: data.connectTimeoutMs,
    statement_timeout: data.statementTimeoutMs,
    application_name: 'piper',
    ...(data.readOnly ? { options: '-c default_transaction_read_only=on' } : {}),
  });
  // A connection lost while idle (server restarted) is replaced on the next request.
  c.on('error', () => {
    if (client === c) client = undefined;
  });
  await c.connect();
  client = c;
  return c;
}

/** Drops the connection after an error that may have broken it (anything but a plain SQL error). */
function forget(err: unknown): void {
  const code = (err as { code?: unknown }).code;
  const sqlError = typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && !code.startsWith('08') && !code.startsWith('57P');
  if (sqlError || client === undefined) return;
  const c = client;
  client = undefined;
  c.end().catch(() => undefined);
}

async function run(statements: readonly WorkerStatement[], transaction: boolean): Promise<unknown[][]> {
  const c = await connection();
  if (!transaction) {
    const results: unknown[][] = [];
    for (const s of statements) results.push((await c.query(s.text, s.values as unknown[])).rows);
    return results;
  }
  await c.query('BEGIN');
  try {
    const results: unknown[][] = [];
    for (const s of statements) {
      const rows = (await c.query(s.text, s.values as unknown[])).rows;
      if (s.mustMatch === true && rows.length === 0) throw Object.assign(new Error('fenced: the lease moved on'), { fenced: true });
      results.push(rows);
    }
    await c.query('COMMIT');
    return results;
  } catch (err) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/** Applies the migrations not yet recorded; the advisory lock makes a second opener wait, then find them applied. */
async function migrate(): Promise<number[]> {
  const c = await connection();
  if (data.readOnly) {
    const row = (await c.query<{ t: string | null }>("SELECT to_regclass('events')::text AS t")).rows[0];
    if (row?.t == null) throw Object.assign(new Error('not a piper journal (no events table)'), { notJournal: true });
    return [];
  }
  const applied: number[] = [];
  await c.query('BEGIN');
  try {
    await c.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await c.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())',
    );
    const done = new Set((await c.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version));
    for (const m of POSTGRES_MIGRATIONS) {
      if (done.has(m.version)) continue;
      await c.query(m.sql);
      await c.query('INSERT INTO schema_migrations (version) VALUES ($1)', [m.version]);
      applied.push(m.version);
    }
    await c.query('COMMIT');
    return applied;
  } catch (err) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

async function handle(request: WorkerRequest): Promise<unknown> {
  switch (request.op) {
    case 'open':
      return migrate();
    case 'run':
      return run(request.statements, request.transaction);
    case 'close':
      if (client !== undefined) await client.end();
      client = undefined;
      return null;
  }
}

port.on('message', (request: WorkerRequest) => {
  // Requests run one after another: a late request (after the main thread gave up waiting) must
  // not interleave its statements with the transaction still running.
  queue = queue.then(async () => {
    let answer: WorkerAnswer;
    try {
      answer = { id: request.id, ok: true, result: await handle(request) };
    } catch (err) {
      forget(err);
      const e = err as { message?: string; code?: unknown; notJournal?: boolean; fenced?: boolean };
      answer = {
        id: request.id,
        ok: false,
        error: {
          message: String(e.message ?? err),
          code: typeof e.code === 'string' ? e.code : undefined,
          notJournal: e.notJournal === true,
          fenced: e.fenced === true,
        },
      };
    }
    port.postMessage(answer);
    wake();
    if (request.op === 'close') port.close();
  });
});
