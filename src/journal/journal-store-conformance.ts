import assert from 'node:assert/strict';
import { test } from 'node:test';
import { httpStatusOf, isPiperError } from '../core/index.ts';
import type { JournalStore } from './journal-event.ts';

/** What a conformance run opens: a fresh, empty store, and how to reopen it and let its clock move. */
export interface ConformanceStore {
  store: JournalStore;
  reopen?: () => JournalStore;
  /**
   * Lets `ms` pass on the store's clock (a lease's expiry is measured by it). Without it the test
   * waits in real time: a database server's clock cannot be driven by hand.
   */
  elapse?: (ms: number) => Promise<void>;
}

/**
 * The behaviour every {@link JournalStore} must have. Run it against each implementation
 * (`runJournalStoreConformance('sqlite file', () => ...)`); `open` returns a fresh, empty store.
 */
export function runJournalStoreConformance(name: string, open: () => ConformanceStore): void {
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

  runLeaseConformance(name, open);
}

const realWait = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function runLeaseConformance(name: string, open: () => ConformanceStore): void {
  test(`${name}: a free lease is taken at term 1, renewed by its holder at the same term, refused to others`, () => {
    const { store } = open();
    assert.equal(store.readLease('control'), null);
    const a = store.acquireLease('control', 'cp-1', 60_000, { url: 'http://127.0.0.1:9900' });
    assert.deepEqual({ ...a, expiresAt: 0 }, { held: true, holder: 'cp-1', term: 1, info: { url: 'http://127.0.0.1:9900' }, expiresAt: 0 });
    const b = store.acquireLease('control', 'cp-2', 60_000, { url: 'http://127.0.0.1:9901' });
    assert.deepEqual(
      { held: b.held, holder: b.holder, term: b.term, info: b.info },
      { held: false, holder: 'cp-1', term: 1, info: { url: 'http://127.0.0.1:9900' } },
    );
    const renewed = store.acquireLease('control', 'cp-1', 60_000, { url: 'http://127.0.0.1:9900' });
    assert.equal(renewed.held, true);
    assert.equal(renewed.term, 1);
    assert.ok(renewed.expiresAt >= a.expiresAt);
    assert.equal(store.acquireLease('other', 'cp-2', 60_000, {}).held, true, 'leases are independent by name');
    assert.equal(store.readLease('control')?.holder, 'cp-1');
    store.close();
  });

  test(`${name}: an expired lease goes to the next taker with the term raised by one`, async () => {
    const { store, elapse = realWait } = open();
    store.acquireLease('control', 'cp-1', 300, {});
    await elapse(450);
    const b = store.acquireLease('control', 'cp-2', 300, { url: 'b' });
    assert.deepEqual({ held: b.held, holder: b.holder, term: b.term }, { held: true, holder: 'cp-2', term: 2 });
    const a = store.acquireLease('control', 'cp-1', 300, {});
    assert.deepEqual(
      { held: a.held, holder: a.holder, term: a.term, info: a.info },
      { held: false, holder: 'cp-2', term: 2, info: { url: 'b' } },
    );
    // A holder that let its own lease lapse takes it back at a new term: what it did under the old one is fenced too.
    await elapse(450);
    assert.equal(store.acquireLease('control', 'cp-2', 300, {}).term, 3);
    store.close();
  });

  test(`${name}: a released lease is free at once; only its holder can release it`, () => {
    const { store } = open();
    store.acquireLease('control', 'cp-1', 60_000, {});
    store.releaseLease('control', 'cp-2');
    assert.equal(store.acquireLease('control', 'cp-2', 60_000, {}).held, false);
    store.releaseLease('control', 'cp-1');
    const b = store.acquireLease('control', 'cp-2', 60_000, {});
    assert.deepEqual({ held: b.held, term: b.term }, { held: true, term: 2 });
    store.close();
  });

  test(`${name}: a fenced write is refused with PIPER_NOT_LEADER once the lease moved on, and leaves nothing behind`, () => {
    const { store } = open();
    const notLeader = (holder: string | null, term: number | null) => (err: unknown) =>
      isPiperError(err, 'PIPER_NOT_LEADER') && httpStatusOf(err) === 409 && err.details.holder === holder && err.details.term === term;
    const event = { kind: 'migration.step', source: 'rollout', subject: 'web' } as const;
    assert.throws(() => store.append(event, { lease: 'control', holder: 'cp-1', term: 1 }), notLeader(null, null));
    store.acquireLease('control', 'cp-1', 60_000, {});
    const fence = { lease: 'control', holder: 'cp-1', term: 1 };
    store.append(event, fence);
    store.appendWithState(event, 'migration:1', { step: 1 }, fence);
    store.releaseLease('control', 'cp-1');
    store.acquireLease('control', 'cp-2', 60_000, {});
    assert.throws(() => store.appendWithState(event, 'migration:1', { step: 2 }, fence), notLeader('cp-2', 2));
    assert.throws(
      () => store.append(event, fence),
      (err) => notLeader('cp-2', 2)(err) && /cp-2 \(term 2\)/.test((err as Error).message),
    );
    assert.throws(() => store.append(event, { ...fence, holder: 'cp-2' }), notLeader('cp-2', 2), 'the holder with an old term');
    assert.equal(store.query({}).length, 2);
    assert.deepEqual(store.getState('migration:1'), { step: 1 });
    store.append(event, { lease: 'control', holder: 'cp-2', term: 2 });
    assert.equal(store.query({}).length, 3);
    store.close();
  });
}
