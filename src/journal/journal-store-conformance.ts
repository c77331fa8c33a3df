import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isPiperError } from '../core/index.ts';
import type { JournalStore } from './journal-event.ts';

/**
 * The behaviour every {@link JournalStore} must have. Run it against each implementation
 * (`runJournalStoreConformance('sqlite file', () => ...)`); `open` returns a fresh, empty store.
 */
export function runJournalStoreConformance(name: string, open: () => { store: JournalStore; reopen?: () => JournalStore }): void {
  test(`${name}: append assigns increasing ids and returns the stored event`, () => {
    const { store } = open();
    const a = store.append({
      kind: 'operator.note',
      source: 'operator',
      subject: 'web',
      data: { text: 'hello' },
      actor: 'gilfoyle',
      time: 1000,
    });
    const b = store.append({ kind: 'split.changed', source: 'balancer', subject: 'web', time: 2000 });
    assert.ok(b.id > a.id);
    assert.deepEqual(a, {
      id: a.id,
      time: 1000,
      kind: 'operator.note',
      source: 'operator',
      subject: 'web',
      data: { text: 'hello' },
      actor: 'gilfoyle',
    });
    assert.equal(b.actor, 'balancer');
    assert.deepEqual(b.data, {});
    assert.deepEqual(store.query({}), [a, b]);
    assert.equal(store.lastId(), b.id);
    store.close();
  });

  test(`${name}: query filters by time, kind prefix, subject, afterId and limit`, () => {
    const { store } = open();
    const kinds = ['migration.started', 'migration.step', 'split.changed', 'migration.rolled_back', 'alert.firing'];
    const events = kinds.map((kind, i) =>
      store.append({ kind, source: 'rollout', subject: i % 2 === 0 ? 'web' : 'api', time: 1000 * (i + 1) }),
    );
    assert.deepEqual(
      store.query({ kinds: ['migration.*'] }).map((e) => e.kind),
      ['migration.started', 'migration.step', 'migration.rolled_back'],
    );
    assert.deepEqual(
      store.query({ kinds: ['split.changed', 'alert.firing'] }).map((e) => e.kind),
      ['split.changed', 'alert.firing'],
    );
    assert.deepEqual(
      store.query({ since: 2000, until: 4000 }).map((e) => e.time),
      [2000, 3000],
    );
    assert.deepEqual(
      store.query({ subject: 'api' }).map((e) => e.kind),
      ['migration.step', 'migration.rolled_back'],
    );
    assert.deepEqual(
      store.query({ afterId: events[2]?.id ?? 0 }).map((e) => e.kind),
      ['migration.rolled_back', 'alert.firing'],
    );
    assert.equal(store.query({ limit: 2 }).length, 2);
    assert.deepEqual(store.query({ kinds: ['migration'] }), [], 'a bare prefix without .* is an exact kind');
    store.close();
  });

  test(`${name}: appendWithState writes the event and the state row together`, () => {
    const { store } = open();
    assert.equal(store.lastId(), 0);
    assert.equal(store.getState('migration:1'), undefined);
    const e = store.appendWithState({ kind: 'migration.step', source: 'rollout', subject: 'm1' }, 'migration:1', {
      step: 2,
      split: { a: 90, b: 10 },
    });
    assert.deepEqual(store.getState('migration:1'), { step: 2, split: { a: 90, b: 10 } });
    store.appendWithState({ kind: 'migration.step', source: 'rollout', subject: 'm1' }, 'migration:1', { step: 3 });
    store.appendWithState({ kind: 'incident.opened', source: 'journal', subject: 'i1' }, 'incident:1', { open: true });
    assert.deepEqual(store.getState('migration:1'), { step: 3 });
    assert.deepEqual(
      store.listState('migration:').map((r) => r.key),
      ['migration:1'],
    );
    assert.equal(store.query({}).length, 3);
    assert.equal(store.query({})[0]?.id, e.id);
    store.close();
  });

  test(`${name}: a rejected event leaves neither event nor state behind`, () => {
    const { store } = open();
    assert.throws(
      () => store.appendWithState({ kind: 'Not A Kind', source: 'rollout', subject: 'm1' }, 'k', 1),
      (err) => isPiperError(err, 'PIPER_JOURNAL_BAD_EVENT'),
    );
    assert.throws(
      () => store.append({ kind: 'x.y', source: 'nobody' as 'operator', subject: 's' }),
      (err) => isPiperError(err, 'PIPER_JOURNAL_BAD_EVENT'),
    );
    assert.equal(store.getState('k'), undefined);
    assert.deepEqual(store.query({}), []);
    store.close();
  });

  test(`${name}: appendMany is all or nothing`, () => {
    const { store } = open();
    assert.throws(() =>
      store.appendMany([
        { kind: 'a.b', source: 'balancer', subject: 's' },
        { kind: '', source: 'balancer', subject: 's' },
      ]),
    );
    assert.deepEqual(store.query({}), []);
    assert.equal(store.appendMany([{ kind: 'a.b', source: 'balancer', subject: 's' }]).length, 1);
    store.close();
  });

  test(`${name}: malformed filters are refused with PIPER_JOURNAL_BAD_FILTER`, () => {
    const { store } = open();
    for (const f of [{ limit: 0 }, { limit: 10_001 }, { since: Number.NaN }, { kinds: ['DROP TABLE'] }, { afterId: -1 }]) {
      assert.throws(
        () => store.query(f),
        (err) => isPiperError(err, 'PIPER_JOURNAL_BAD_FILTER'),
        JSON.stringify(f),
      );
    }
    store.close();
  });

  test(`${name}: events and state survive close and reopen; close is idempotent`, (t) => {
    const { store, reopen } = open();
    if (reopen === undefined) {
      t.skip('in-memory store');
      store.close();
      return;
    }
    store.appendWithState({ kind: 'incident.opened', source: 'journal', subject: 'i1', time: 5 }, 'incident:1', { status: 'open' });
    store.close();
    store.close();
    const again = reopen();
    assert.equal(again.query({})[0]?.kind, 'incident.opened');
    assert.deepEqual(again.getState('incident:1'), { status: 'open' });
    assert.throws(
      () => store.append({ kind: 'a.b', source: 'journal', subject: 's' }),
      (err) => isPiperError(err, 'PIPER_JOURNAL_CLOSED'),
    );
    again.close();
  });
}
