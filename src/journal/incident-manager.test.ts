import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Clock, ManualClock } from '../core/index.ts';
import { exampleEvent } from './event-catalogue.ts';
import { Journal } from './journal.ts';
import { OnCall } from './on-call.ts';

function setup() {
  const clock = new ManualClock();
  const journal = Journal.open({ path: ':memory:', clock });
  const onCall = new OnCall({ journal, clock, resolveAfterMs: 60_000 });
  return { clock, journal, onCall };
}

test('a rollback opens an incident (mitigated by it) and it resolves after the clear period', () => {
  const { clock, journal, onCall } = setup();
  const failure = clock.now() - 5000;
  journal.append(
    exampleEvent('migration.rolled_back', { migration: 'm1', reason: 'error ratio 35 % on inhouse', firstFailureAt: failure }),
  );
  const open = onCall.incidents.current();
  assert.equal(open?.startedAt, failure, 'started at the first failure the judge saw');
  assert.equal(open?.mitigatedBy, 'migration.rolled_back');
  assert.equal(open?.routes[0], 'web');
  clock.advance(59_999);
  assert.equal(onCall.incidents.current()?.status, 'open');
  clock.advance(1);
  assert.equal(onCall.listIncidents()[0]?.status, 'resolved');
  onCall.close();
  journal.close();
});

test('a rollback mitigates and detects at the moment its controller had the traffic back, not when the journal stamped it', () => {
  const { clock, journal, onCall } = setup();
  const failure = clock.now() - 100;
  const completed = clock.now() - 2;
  journal.append(exampleEvent('migration.rolled_back', { migration: 'm1', firstFailureAt: failure, completedAt: completed }));
  const open = onCall.incidents.current();
  // The migration says "rolled back 98 ms after the first failure": the incident's times say the same.
  assert.equal(open?.mitigatedAt, completed);
  assert.equal(open?.detectedAt, completed);
  assert.equal(open?.startedAt, failure);
  onCall.close();
  journal.close();
});

test("a rollback's incident is titled by its route, pool and rule; the counts stay in the timeline", () => {
  const { journal, onCall } = setup();
  journal.append(
    exampleEvent('migration.rolled_back', {
      reason: 'fast path: error_ratio in the open window (4 of 10 target requests failed, 40%; 0 connection failures)',
    }),
  );
  assert.equal(onCall.incidents.current()?.title, 'web: migration to inhouse rolled back (fast path: error_ratio in the open window)');
  onCall.close();
  journal.close();
});

test('pool and backend alerts come from balancer events; a pool page joins the open incident instead of opening another', () => {
  const { journal, onCall } = setup();
  journal.append(exampleEvent('backend.ejected', { pool: 'inhouse', backend: 'ih-1' }, { subject: 'inhouse/ih-1' }));
  assert.equal(onCall.firing()[0]?.severity, 'warning');
  assert.equal(onCall.listIncidents().length, 0, 'a warning does not open an incident');
  journal.append(exampleEvent('pool.no_healthy_backend', { route: 'web', pools: ['inhouse'] }, { subject: 'inhouse' }));
  assert.equal(onCall.listIncidents().length, 1);
  journal.append(exampleEvent('migration.rolled_back', { migration: 'm1' }));
  assert.equal(onCall.listIncidents().length, 1, 'one incident per storm');
  assert.equal(onCall.statusPage().status, 'major_outage');
  journal.append(exampleEvent('backend.readmitted', { pool: 'inhouse', backend: 'ih-1' }, { subject: 'inhouse/ih-1' }));
  assert.deepEqual(onCall.firing(), []);
  assert.equal(onCall.incidents.current()?.clearSince !== undefined, true);
  onCall.close();
  journal.close();
});

test('acknowledging records who and when; an unknown incident is PIPER_JOURNAL_INCIDENT_NOT_FOUND', () => {
  const { clock, journal, onCall } = setup();
  journal.append(exampleEvent('pool.no_healthy_backend', { pools: ['inhouse'] }, { subject: 'inhouse' }));
  clock.advance(42_000);
  const acked = onCall.incidents.acknowledge(1, 'gilfoyle');
  assert.equal(acked.acknowledgedAt, clock.now());
  assert.equal(onCall.incidents.acknowledge(1, 'dinesh').acknowledgedBy, 'gilfoyle', 'idempotent');
  assert.equal(journal.query({ kinds: ['incident.acknowledged'] }).length, 1);
  assert.throws(() => onCall.incidents.acknowledge(9, 'x'), { code: 'PIPER_JOURNAL_INCIDENT_NOT_FOUND' });
  assert.equal(onCall.means().mttaMs, 42_000);
  onCall.close();
  journal.close();
});

test('an incident resolves even when its timer fires a millisecond early by the wall clock', () => {
  const clock = new ManualClock();
  // Node's timers run on the loop's cached time, which lags Date.now(): a 10 s timer can fire at 9.999 s.
  const early: Clock = {
    now: () => clock.now(),
    monotonic: () => clock.monotonic(),
    setTimeout: (fn, ms) => clock.setTimeout(fn, ms > 1 ? ms - 1 : ms),
    setInterval: (fn, ms) => clock.setInterval(fn, ms),
    sleep: (ms, signal) => clock.sleep(ms, signal),
  };
  const journal = Journal.open({ path: ':memory:', clock });
  const onCall = new OnCall({ journal, clock: early, resolveAfterMs: 10_000 });
  journal.append(exampleEvent('migration.rolled_back'));
  clock.advance(9_999);
  assert.equal(onCall.incidents.current()?.status, 'open', 'the early timer found it not yet due');
  clock.advance(1);
  assert.equal(onCall.listIncidents()[0]?.status, 'resolved');
  onCall.close();
  journal.close();
});
