import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger, flushMicrotasks, isPiperError, ManualClock } from '../core/index.ts';
import { exampleEvent } from './event-catalogue.ts';
import { Journal } from './journal.ts';
import type { JournalEvent } from './journal-event.ts';

const open = (bufferSize?: number): { journal: Journal; clock: ManualClock } => {
  const clock = new ManualClock();
  return { journal: Journal.open({ path: ':memory:', clock, ...(bufferSize ? { bufferSize } : {}) }), clock };
};

test('append stamps time from the clock and tells listeners; unsubscribe stops them', () => {
  const { journal, clock } = open();
  const seen: JournalEvent[] = [];
  const off = journal.onEvent((e) => seen.push(e));
  const e = journal.append(exampleEvent('operator.note'));
  assert.equal(e.time, clock.now());
  assert.deepEqual(seen, [e]);
  off();
  journal.append(exampleEvent('operator.note'));
  assert.equal(seen.length, 1);
  journal.close();
});

test('record batches off the caller, writes on the flush timer, and close flushes', () => {
  const { journal, clock } = open();
  journal.record(exampleEvent('backend.ejected', { pool: 'a', backend: 'b' }, { subject: 'a/b' }));
  journal.record(exampleEvent('backend.ejected', { pool: 'a', backend: 'c' }, { subject: 'a/c' }));
  assert.equal(journal.query({}).length, 0, 'not written on the caller');
  assert.equal(journal.stats().buffered, 2);
  clock.advance(100);
  assert.equal(journal.query({}).length, 2);
  journal.record(exampleEvent('backend.readmitted', { pool: 'a', backend: 'b' }, { subject: 'a/b' }));
  journal.close();
  const again = journal.stats();
  assert.equal(again.written, 3);
});

test('a full record buffer drops and counts, and the drop is journaled as journal.dropped', () => {
  const { journal, clock } = open(3);
  for (let i = 0; i < 5; i++) journal.record(exampleEvent('backend.ejected', { backend: `b${i}` }, { subject: `p/b${i}` }));
  journal.record(exampleEvent('backend.readmitted', {}, { subject: 'x'.repeat(300) }));
  assert.equal(journal.stats().dropped, 3);
  clock.advance(100);
  const events = journal.query({});
  assert.equal(events.length, 4);
  assert.deepEqual(events.at(-1)?.data, { count: 3, total: 3 });
  assert.equal(events.at(-1)?.kind, 'journal.dropped');
  journal.close();
});

test('follow yields history then live events, without gaps or repeats, until aborted', async () => {
  const { journal } = open();
  journal.append(exampleEvent('migration.started'));
  journal.append(exampleEvent('split.changed'));
  const abort = new AbortController();
  const got: string[] = [];
  const done = (async () => {
    for await (const e of journal.follow({ kinds: ['migration.*'] }, abort.signal)) {
      got.push(`${e.id}:${e.kind}`);
      if (got.length === 3) abort.abort();
    }
  })();
  await flushMicrotasks();
  journal.append(exampleEvent('split.changed'));
  journal.append(exampleEvent('migration.step'));
  journal.append(exampleEvent('migration.completed'));
  await done;
  assert.deepEqual(got, ['1:migration.started', '4:migration.step', '5:migration.completed']);
  journal.close();
});

test('follow ends when the journal closes; writes after close are refused with a code', async () => {
  const { journal } = open();
  const done = (async () => {
    const got: JournalEvent[] = [];
    for await (const e of journal.follow({})) got.push(e);
    return got;
  })();
  await flushMicrotasks();
  journal.close();
  journal.close();
  assert.deepEqual(await done, []);
  assert.throws(
    () => journal.append(exampleEvent('operator.note')),
    (err) => isPiperError(err, 'PIPER_JOURNAL_CLOSED'),
  );
  journal.record(exampleEvent('operator.note'));
  assert.equal(journal.stats().dropped, 1, 'record never throws, even closed');
});

test('when the disk fills, record keeps the caller safe: the batch is counted as dropped and logged, not thrown', () => {
  const clock = new ManualClock();
  const journal = Journal.open({ path: ':memory:', clock, maxSizeBytes: 64 * 1024 });
  const big = 'x'.repeat(4000);
  for (let i = 0; i < 40; i++) journal.record({ kind: 'operator.note', source: 'operator', subject: 'web', data: { big } });
  assert.doesNotThrow(() => clock.advance(100));
  const stats = journal.stats();
  assert.equal(stats.written, 0);
  assert.equal(stats.dropped, 40);
  assert.throws(
    () => journal.append({ kind: 'operator.note', source: 'operator', subject: 'web', data: { big: big.repeat(20) } }),
    (err) => isPiperError(err, 'PIPER_JOURNAL_DISK_FULL'),
  );
  journal.close();
});

test('an event that does not match the catalogue is refused naming the field, by default', () => {
  const { journal } = open();
  const wrong = {
    ...exampleEvent('migration.decision'),
    data: { ...exampleEvent('migration.decision').data, verdict: 'advance' as 'pass' },
  };
  assert.throws(
    () => journal.append(wrong),
    (err) => isPiperError(err, 'PIPER_JOURNAL_EVENT_MISMATCH') && err.details.field === 'data.verdict',
  );
  assert.throws(
    () => journal.record({ ...exampleEvent('split.changed'), source: 'rollout' as 'balancer' }),
    (err) => isPiperError(err, 'PIPER_JOURNAL_EVENT_MISMATCH') && err.details.field === 'source',
  );
  assert.equal(journal.query({}).length, 0);
  journal.close();
});

test("with onMismatch 'log', a mismatching event is recorded as written and logged once per kind and field", () => {
  const chunks: string[] = [];
  const logger = createLogger({ destination: { write: (line: string) => chunks.push(line) } });
  const journal = Journal.open({ path: ':memory:', clock: new ManualClock(), logger, onMismatch: 'log' });
  const wrong = exampleEvent('backend.ejected', { durationMs: '30 s' as unknown as number });
  journal.append(wrong);
  journal.append(wrong);
  assert.deepEqual(
    journal.query({}).map((e) => e.data.durationMs),
    ['30 s', '30 s'],
  );
  const lines = chunks.map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(lines.length, 1);
  assert.equal(lines[0]?.msg, 'event does not match the catalogue; recorded as written');
  assert.equal(lines[0]?.field, 'data.durationMs');
  journal.close();
});
