import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Clock, isPiperError, ManualClock } from '../core/index.ts';
import { Journal } from './journal.ts';
import { type LeadershipChange, Leadership } from './leadership.ts';

/**
 * A process's clock that a test can stop: `wake(ms)` moves its time on at once, as SIGCONT after
 * `ms` stopped does, so the overdue timers fire later all seeing the time after the stop.
 */
class StoppableClock implements Clock {
  readonly inner: ManualClock;
  #stopped = 0;
  constructor(start: number) {
    this.inner = new ManualClock(start);
  }
  now = (): number => this.inner.now() + this.#stopped;
  monotonic = (): number => this.inner.monotonic() + this.#stopped;
  setTimeout = (fn: () => void, ms: number) => this.inner.setTimeout(fn, ms);
  setInterval = (fn: () => void, ms: number) => this.inner.setInterval(fn, ms);
  sleep = (ms: number, signal?: AbortSignal) => this.inner.sleep(ms, signal);
  advance(ms: number): void {
    this.inner.advance(ms);
  }
  wake(stoppedMs: number): void {
    this.#stopped += stoppedMs;
  }
}

/** Two control planes on one journal. The journal's clock is the world's; `a` runs on its own, which a test can stop. */
function twoPlanes() {
  const world = new ManualClock();
  const journal = Journal.open({ path: ':memory:', clock: world });
  const aClock = new StoppableClock(world.now());
  const a = new Leadership({ journal, clock: aClock, name: 'cp-1', advertiseUrl: 'http://127.0.0.1:9900' });
  const b = new Leadership({ journal, clock: world, name: 'cp-2', advertiseUrl: 'http://127.0.0.1:9901' });
  const changes: Record<string, LeadershipChange[]> = { a: [], b: [] };
  a.onChange((c) => changes.a?.push(c));
  b.onChange((c) => changes.b?.push(c));
  /** Time passes for both (a is not stopped). */
  const both = (ms: number): void => {
    for (let t = 0; t < ms; t += 100) {
      world.advance(100);
      aClock.advance(100);
    }
  };
  return { world, journal, aClock, a, b, changes, both };
}

test('the first to campaign leads at term 1; the other follows and names it with its URL', () => {
  const { journal, a, b, changes, both } = twoPlanes();
  a.start();
  b.start();
  both(5_000);
  assert.equal(a.holds(), true);
  assert.equal(b.holds(), false);
  assert.deepEqual(changes.a, [{ leading: true, term: 1 }]);
  assert.deepEqual(changes.b, []);
  assert.deepEqual(b.leader(), { holder: 'cp-1', term: 1, url: 'http://127.0.0.1:9900', self: false });
  assert.deepEqual(a.leader(), { holder: 'cp-1', term: 1, url: 'http://127.0.0.1:9900', self: true });
  assert.deepEqual(a.fence(), { lease: 'control', holder: 'cp-1', term: 1 });
  const elected = journal.query({ kinds: ['leader.*'] });
  assert.deepEqual(
    elected.map((e) => [e.kind, e.actor, e.data]),
    [['leader.elected', 'cp-1', { holder: 'cp-1', term: 1, url: 'http://127.0.0.1:9900' }]],
  );
  a.close();
  b.close();
  journal.close();
});

test('a leader stopped past its lease knows it lost before acting, and its old term is fenced out of the journal', () => {
  const { world, journal, aClock, a, b, changes } = twoPlanes();
  a.start();
  b.start();
  world.advance(100);
  aClock.advance(100);
  const oldFence = a.fence();
  assert.ok(oldFence);
  // a is stopped (SIGSTOP): its clock and timers stand still while the world's run on.
  world.advance(2_600);
  assert.deepEqual(changes.b, [{ leading: true, term: 2 }]);
  assert.deepEqual(b.leader(), { holder: 'cp-2', term: 2, url: 'http://127.0.0.1:9901', self: true });
  // a wakes (SIGCONT): before any of its timers runs, the elapsed monotonic time already says it lost.
  aClock.wake(2_600);
  assert.equal(a.holds(), false);
  aClock.advance(400);
  assert.deepEqual(changes.a, [
    { leading: true, term: 1 },
    { leading: false, term: 1, reason: 'expired' },
  ]);
  assert.deepEqual(a.leader(), { holder: 'cp-2', term: 2, url: 'http://127.0.0.1:9901', self: false });
  const before = journal.lastId();
  assert.throws(
    () =>
      journal
        .fenced(oldFence)
        .appendWithState({ kind: 'operator.note', source: 'operator', subject: 'web', data: {} }, 'migration:1', { step: 9 }),
    (err) => isPiperError(err, 'PIPER_NOT_LEADER') && /cp-2 \(term 2\)/.test(err.message),
  );
  assert.equal(journal.lastId(), before);
  assert.equal(journal.getState('migration:1'), undefined);
  const elected = journal.query({ kinds: ['leader.elected'] }).at(-1);
  assert.deepEqual(elected?.data, { holder: 'cp-2', term: 2, url: 'http://127.0.0.1:9901', previous: 'cp-1', previousTerm: 1 });
  assert.deepEqual(journal.query({ kinds: ['leader.lost'] }).at(-1)?.data, { holder: 'cp-1', term: 1, reason: 'expired' });
  a.close();
  b.close();
  journal.close();
});

test('a leader that stops cleanly releases the lease: the follower takes it at its next campaign, not after expiry', () => {
  const { journal, a, b, changes, both } = twoPlanes();
  a.start();
  b.start();
  both(1_000);
  a.close();
  assert.deepEqual(changes.a?.at(-1), { leading: false, term: 1, reason: 'stopped' });
  both(500);
  assert.deepEqual(changes.b, [{ leading: true, term: 2 }]);
  b.close();
  journal.close();
});

test('a leader whose renewals fail steps down once its lease would have run out', () => {
  const clock = new ManualClock();
  const journal = Journal.open({ path: ':memory:', clock });
  let failing = false;
  const flaky = {
    acquireLease: (...args: Parameters<Journal['acquireLease']>) => {
      if (failing) throw new Error('database unreachable');
      return journal.acquireLease(...args);
    },
    releaseLease: journal.releaseLease.bind(journal),
    readLease: journal.readLease.bind(journal),
    append: journal.append.bind(journal),
  };
  const l = new Leadership({ journal: flaky, clock, name: 'cp-1' });
  const changes: LeadershipChange[] = [];
  l.onChange((c) => changes.push(c));
  l.start();
  clock.advance(1_000);
  failing = true;
  // The last renewal went out at 1 s; 2 s lease less its 200 ms margin: it holds until 2.8 s.
  clock.advance(1_799);
  assert.equal(l.holds(), true);
  clock.advance(1);
  assert.equal(l.holds(), false);
  assert.deepEqual(changes, [{ leading: true, term: 1 }]);
  clock.advance(200);
  assert.deepEqual(changes.at(-1), { leading: false, term: 1, reason: 'expired' });
  l.close();
  journal.close();
});
