// The PostgreSQL journal store against a throwaway cluster (test/postgres-fixture.ts): the shared
// conformance suite, then what only a server shared by several processes can show.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, test } from 'node:test';
import pg from 'pg';
import { httpStatusOf, isPiperError, ManualClock } from '../src/core/index.ts';
import { Journal } from '../src/journal/index.ts';
import { runJournalStoreConformance } from '../src/journal/journal-store-conformance.ts';
import { PostgresJournalStore } from '../src/journal/postgres-journal-store.ts';
import { startPiperUp } from './balancer-process.ts';
import { runPiper } from './cli-run.ts';
import { startPostgres } from './postgres-fixture.ts';

const cluster = await startPostgres();
after(() => cluster.remove());
const now = (): number => 42;

runJournalStoreConformance('postgres', () => {
  const url = cluster.createDatabase();
  return { store: PostgresJournalStore.open({ url, now }), reopen: () => PostgresJournalStore.open({ url, now }) };
});

async function sql<T>(url: string, text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text)).rows as T[];
  } finally {
    await client.end();
  }
}

const STORE_MODULE = JSON.stringify(new URL('../src/journal/postgres-journal-store.ts', import.meta.url).href);

/** Runs `body` in another node process with `s`, a store open on `url`; resolves with its exit code. */
function inChild(url: string, body: string): Promise<number | null> {
  const script = `import { PostgresJournalStore } from ${STORE_MODULE};
    const s = PostgresJournalStore.open({ url: process.argv[1], now: () => 1 });
    ${body}
    s.close();`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script, url], { stdio: ['ignore', 'inherit', 'inherit'] });
  return new Promise((resolve) => child.on('exit', resolve));
}

test('migrations are applied once and recorded by version, even when two processes open at once', async () => {
  const url = cluster.createDatabase();
  assert.deepEqual(await Promise.all([inChild(url, ''), inChild(url, ''), inChild(url, '')]), [0, 0, 0]);
  PostgresJournalStore.open({ url, now }).close();
  const rows = await sql<{ version: number }>(url, 'SELECT version FROM schema_migrations ORDER BY version');
  assert.deepEqual(
    rows.map((r) => r.version),
    [1, 2],
  );
});

test('two stores on one database see each other’s events in one id order', () => {
  const url = cluster.createDatabase();
  const a = PostgresJournalStore.open({ url, now });
  const b = PostgresJournalStore.open({ url, now });
  const e1 = a.append({ kind: 'operator.note', source: 'operator', subject: 'web' });
  const e2 = b.append({ kind: 'split.changed', source: 'balancer', subject: 'web' });
  const e3 = a.appendWithState({ kind: 'migration.step', source: 'rollout', subject: 'm1' }, 'migration:m1', { step: 1 });
  assert.ok(e1.id < e2.id && e2.id < e3.id);
  assert.deepEqual(a.query({}), b.query({}));
  assert.deepEqual(b.getState('migration:m1'), { step: 1 });
  assert.equal(b.lastId(), e3.id);
  a.close();
  b.close();
});

test('another process appending at the same time: ids strictly increase and none is lost', async () => {
  const url = cluster.createDatabase();
  const store = PostgresJournalStore.open({ url, now });
  const perWriter = 200;
  const exited = inChild(
    url,
    `for (let i = 0; i < ${perWriter}; i++) s.append({ kind: 'operator.note', source: 'operator', subject: 'child', data: { i } });`,
  );
  // Appending here while the child appends there; the awaits let the child's exit be noticed.
  const seen: number[] = [];
  for (let i = 0; i < perWriter; i++) {
    seen.push(store.append({ kind: 'operator.note', source: 'operator', subject: 'parent', data: { i } }).id);
    if (i % 20 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  assert.equal(await exited, 0);
  const all = store.query({ limit: 10_000 });
  assert.equal(all.length, 2 * perWriter);
  for (let i = 1; i < all.length; i++) assert.ok((all[i]?.id ?? 0) > (all[i - 1]?.id ?? 0));
  for (const subject of ['parent', 'child']) {
    assert.deepEqual(
      all.filter((e) => e.subject === subject).map((e) => e.data.i),
      Array.from({ length: perWriter }, (_, i) => i),
      `every ${subject} event, in its order`,
    );
  }
  // A follower paging by afterId from any point sees the same events as one read.
  let afterId = 0;
  const paged: number[] = [];
  for (let page = store.query({ afterId, limit: 37 }); page.length > 0; page = store.query({ afterId, limit: 37 })) {
    paged.push(...page.map((e) => e.id));
    afterId = page.at(-1)?.id ?? afterId;
  }
  assert.deepEqual(
    paged,
    all.map((e) => e.id),
  );
  store.close();
});

test('traffic samples are stored per route, replaced by window, and pruned by age', () => {
  const store = PostgresJournalStore.open({ url: cluster.createDatabase(), now });
  const sample = (route: string, time: number, requests = 10) => ({
    time,
    route,
    pools: { a: { requests, failed: 1, shed: 0 } },
    requests,
    failed: 1,
    shed: 0,
    slow: 0,
    p99Ms: 12,
  });
  store.putSamples([sample('web', 1000), sample('web', 2000), sample('api', 2000), sample('web', 3000)]);
  store.putSamples([sample('web', 3000, 99)]);
  assert.deepEqual(
    store.samples('web', 1500, 3500).map((s) => [s.time, s.requests]),
    [
      [2000, 10],
      [3000, 99],
    ],
  );
  assert.deepEqual(
    store.samples(undefined, 0, 10_000).map((s) => s.route),
    ['web', 'api', 'web', 'web'],
  );
  assert.deepEqual(store.samples('web', 2000, 2001)[0], sample('web', 2000));
  assert.equal(store.pruneSamples(2500), 3);
  assert.equal(store.samples(undefined, 0, 10_000).length, 1);
  store.close();
});

test('a read-only store reads, and refuses writes with PIPER_JOURNAL_READ_ONLY', () => {
  const url = cluster.createDatabase();
  const rw = PostgresJournalStore.open({ url, now });
  rw.append({ kind: 'operator.note', source: 'operator', subject: 'web' });
  rw.close();
  const ro = PostgresJournalStore.open({ url, now, readOnly: true });
  assert.equal(ro.query({}).length, 1);
  assert.throws(
    () => ro.append({ kind: 'operator.note', source: 'operator', subject: 'web' }),
    (err) => isPiperError(err, 'PIPER_JOURNAL_READ_ONLY') && httpStatusOf(err) === 503,
  );
  ro.close();
  assert.throws(
    () => PostgresJournalStore.open({ url: cluster.createDatabase(), now, readOnly: true }),
    (err) => isPiperError(err, 'PIPER_JOURNAL_OPEN_FAILED') && /not a piper journal/.test(err.message),
  );
});

test('an unreachable server fails open with PIPER_JOURNAL_OPEN_FAILED, without the password', () => {
  assert.throws(
    () => PostgresJournalStore.open({ url: 'postgres://piper:secret@127.0.0.1:1/none', now }),
    (err) => isPiperError(err, 'PIPER_JOURNAL_OPEN_FAILED') && !err.message.includes('secret'),
  );
});

test('a call the server holds up fails at its timeout with a retryable code, and the store goes on', async () => {
  const url = cluster.createDatabase();
  const store = PostgresJournalStore.open({ url, now, callTimeoutMs: 900 });
  const blocker = new pg.Client({ connectionString: url });
  await blocker.connect();
  await blocker.query('BEGIN');
  await blocker.query('LOCK TABLE events IN ACCESS EXCLUSIVE MODE');
  const started = performance.now();
  assert.throws(
    () => store.lastId(),
    (err) => isPiperError(err, 'PIPER_JOURNAL_STORAGE_FAILED') && err.retryable,
  );
  assert.ok(performance.now() - started < 2000);
  await blocker.query('ROLLBACK');
  await blocker.end();
  assert.equal(store.lastId(), 0);
  store.close();
});

test('a connection the server ends is replaced: at worst one call fails, retryable, and the next succeeds', async () => {
  const url = cluster.createDatabase();
  const store = PostgresJournalStore.open({ url, now });
  store.append({ kind: 'operator.note', source: 'operator', subject: 'web' });
  const ended = await sql<{ ended: boolean }>(
    url,
    "SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity WHERE application_name = 'piper' AND datname = current_database()",
  );
  assert.deepEqual(
    ended.map((r) => r.ended),
    [true],
  );
  let lastId: number | undefined;
  for (let attempt = 0; attempt < 2 && lastId === undefined; attempt++) {
    try {
      lastId = store.lastId();
    } catch (err) {
      assert.ok(isPiperError(err, 'PIPER_JOURNAL_STORAGE_FAILED') && err.retryable, String(err));
    }
  }
  assert.equal(lastId, 1);
  store.close();
});

test('the server going down fails calls with a retryable code, not a hang; they succeed again once it is back', () => {
  const url = cluster.createDatabase();
  const store = PostgresJournalStore.open({ url, now, callTimeoutMs: 8000 });
  const kept = store.append({ kind: 'operator.note', source: 'operator', subject: 'web' });
  cluster.stop();
  try {
    const started = performance.now();
    assert.throws(
      () => store.append({ kind: 'operator.note', source: 'operator', subject: 'web' }),
      (err) => isPiperError(err, 'PIPER_JOURNAL_STORAGE_FAILED') && err.retryable,
    );
    assert.throws(
      () => store.query({}),
      (err) => isPiperError(err, 'PIPER_JOURNAL_STORAGE_FAILED') && err.retryable,
    );
    assert.ok(performance.now() - started < 5000, 'a refused connection fails fast');
  } finally {
    cluster.start();
  }
  assert.deepEqual(
    store.query({}).map((e) => e.id),
    [kept.id],
  );
  store.append({ kind: 'operator.note', source: 'operator', subject: 'web' });
  store.close();
  assert.throws(
    () => store.lastId(),
    (err) => isPiperError(err, 'PIPER_JOURNAL_CLOSED'),
  );
});

test('Journal.open takes a postgres:// URL, and `piper events --db URL` reads what it wrote', async () => {
  const url = cluster.createDatabase();
  const journal = Journal.open({ path: url, clock: new ManualClock(1_700_000_000_000) });
  journal.append({ kind: 'operator.note', source: 'operator', subject: 'web', actor: 'jared', data: { text: 'cutting over' } });
  journal.close();
  const result = await runPiper(['events', '--db', url, '--json']);
  assert.equal(result.code, 0, result.stderr);
  const lines = result.stdout.trim().split('\n');
  assert.equal(lines.length, 1);
  assert.deepEqual(JSON.parse(lines[0] ?? '').data, { text: 'cutting over' });
});

test('`piper events --follow --db URL` sees the events of two writers, in id order', async () => {
  const url = cluster.createDatabase();
  const a = PostgresJournalStore.open({ url, now });
  const b = PostgresJournalStore.open({ url, now });
  a.append({ kind: 'operator.note', source: 'operator', subject: 'before' });
  const follower = spawn(
    process.execPath,
    [new URL('../src/cli/bin.ts', import.meta.url).pathname, 'events', '--follow', '--db', url, '--json'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    },
  );
  const exited = new Promise((resolve) => follower.on('exit', resolve));
  let out = '';
  const lines = (n: number): Promise<string[]> =>
    new Promise((resolve) => {
      const check = (): void => {
        const all = out.split('\n').filter((l) => l !== '');
        if (all.length >= n) {
          follower.stdout.off('data', onData);
          resolve(all);
        }
      };
      const onData = (d: Buffer): void => {
        out += d.toString('utf8');
        check();
      };
      follower.stdout.on('data', onData);
      check();
    });
  try {
    await lines(1);
    const written = [
      a.append({ kind: 'operator.note', source: 'operator', subject: 'a' }),
      b.append({ kind: 'split.changed', source: 'balancer', subject: 'b' }),
      a.append({ kind: 'operator.note', source: 'operator', subject: 'a' }),
      b.append({ kind: 'split.changed', source: 'balancer', subject: 'b' }),
    ];
    const seen = (await lines(5)).map((l) => JSON.parse(l) as { id: number; subject: string });
    assert.deepEqual(
      seen.slice(1).map((e) => [e.id, e.subject]),
      written.map((e) => [e.id, e.subject]),
    );
  } finally {
    follower.kill('SIGINT');
    await exited;
    a.close();
    b.close();
  }
});

test('piper up with storage.kind postgres journals into the database', async () => {
  const url = cluster.createDatabase();
  const up = await startPiperUp({
    admin: { address: '127.0.0.1', port: 0, token: 'admin-token-for-the-postgres-test' },
    pools: { main: { backends: [{ name: 'b1', url: 'http://127.0.0.1:1' }], healthCheck: { enabled: false } } },
    routes: [{ name: 'web', split: { main: 100 } }],
    storage: { kind: 'postgres', url },
    logging: { level: 'warn' },
  });
  try {
    const res = await fetch(`${up.adminUrl}/api/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer admin-token-for-the-postgres-test' },
      body: JSON.stringify({ kind: 'operator.note', subject: 'web', actor: 'jared', data: { text: 'on postgres' } }),
    });
    assert.equal(res.status, 201, await res.text());
  } finally {
    assert.equal(await up.stop(), 0, up.stderr());
  }
  const store = PostgresJournalStore.open({ url, now, readOnly: true });
  const notes = store.query({ kinds: ['operator.note'] });
  store.close();
  assert.deepEqual(
    notes.map((e) => [e.actor, e.data.text]),
    [['jared', 'on postgres']],
  );
});
