import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { httpStatusOf, isPiperError } from '../core/index.ts';
import { runJournalStoreConformance } from './journal-store-conformance.ts';
import { SqliteJournalStore } from './sqlite-journal-store.ts';

const dir = mkdtempSync(join(tmpdir(), 'piper-journal-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
let clockMs = 42;
const now = (): number => clockMs;
// The SQLite store measures leases by the clock it is given: the conformance run moves it by hand.
const elapse = async (ms: number): Promise<void> => {
  clockMs += ms;
};

runJournalStoreConformance('sqlite :memory:', () => ({ store: SqliteJournalStore.open({ path: ':memory:', now }), elapse }));
runJournalStoreConformance('sqlite file', () => {
  const path = join(dir, `conf-${n++}.db`);
  return { store: SqliteJournalStore.open({ path, now }), reopen: () => SqliteJournalStore.open({ path, now }), elapse };
});

test('a read-only journal reports PIPER_JOURNAL_READ_ONLY on write, and still reads', () => {
  const path = join(dir, 'ro.db');
  const rw = SqliteJournalStore.open({ path, now });
  rw.append({ kind: 'operator.note', source: 'operator', subject: 'web' });
  rw.close();
  const ro = SqliteJournalStore.open({ path, now, readOnly: true });
  assert.equal(ro.query({}).length, 1);
  assert.throws(
    () => ro.append({ kind: 'operator.note', source: 'operator', subject: 'web' }),
    (err) => isPiperError(err, 'PIPER_JOURNAL_READ_ONLY') && httpStatusOf(err) === 503,
  );
  assert.throws(
    () => ro.appendWithState({ kind: 'operator.note', source: 'operator', subject: 'web' }, 'k', 1),
    (err) => isPiperError(err, 'PIPER_JOURNAL_READ_ONLY'),
  );
  ro.close();
});

test('a full journal (size cap reached) reports PIPER_JOURNAL_DISK_FULL and keeps what it had', () => {
  const store = SqliteJournalStore.open({ path: join(dir, 'full.db'), now, maxSizeBytes: 64 * 1024 });
  const big = 'x'.repeat(2000);
  let written = 0;
  let failure: unknown;
  for (let i = 0; i < 200 && failure === undefined; i++) {
    try {
      store.append({ kind: 'operator.note', source: 'operator', subject: 'web', data: { big } });
      written++;
    } catch (err) {
      failure = err;
    }
  }
  assert.ok(isPiperError(failure, 'PIPER_JOURNAL_DISK_FULL'), String(failure));
  assert.ok(written > 0);
  assert.equal(store.query({ limit: 10_000 }).length, written);
  store.close();
});

test('opening a path that cannot be created reports PIPER_JOURNAL_OPEN_FAILED', () => {
  assert.throws(
    () => SqliteJournalStore.open({ path: join(dir, 'no', 'such', 'dir', 'x.db'), now }),
    (err) => isPiperError(err, 'PIPER_JOURNAL_OPEN_FAILED'),
  );
});

test('traffic samples are stored per route and pruned by age', () => {
  const store = SqliteJournalStore.open({ path: ':memory:', now });
  const sample = (route: string, time: number) => ({
    time,
    route,
    pools: { a: { requests: 10, failed: 1, shed: 0 } },
    requests: 10,
    failed: 1,
    shed: 0,
    slow: 0,
    p99Ms: 12,
  });
  store.putSamples([sample('web', 1000), sample('web', 2000), sample('api', 2000), sample('web', 3000)]);
  assert.deepEqual(
    store.samples('web', 1500, 3500).map((s) => s.time),
    [2000, 3000],
  );
  assert.equal(store.samples(undefined, 0, 10_000).length, 4);
  assert.equal(store.pruneSamples(2500), 3);
  assert.equal(store.samples(undefined, 0, 10_000).length, 1);
  store.close();
});
