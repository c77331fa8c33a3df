import assert from 'node:assert/strict';
import { it } from 'node:test';
import { summarizeEvent } from './event-summary.ts';
import type { JournalEvent } from './journal-event.ts';
import { curateTimeline, type TimelineScope } from './postmortem-timeline.ts';
import { formatClock } from './time-format.ts';

const T0 = Date.UTC(2026, 11, 7, 5, 50, 55);
const scope: TimelineScope = { startedAt: T0 + 60_000, routes: ['web'], pools: ['inhouse'] };
const clock = (ms: number): string => formatClock(ms);

let nextId = 1;
function ev(time: number, kind: string, subject: string, data: Record<string, unknown> = {}, actor = 'rollout'): JournalEvent {
  return { id: nextId++, time, kind, source: 'rollout', subject, data, actor };
}

function decision(time: number, verdict: string | null, stepIndex = 0, action = 'none'): JournalEvent {
  return ev(time, 'migration.decision', 'web', {
    migration: '1',
    stepIndex,
    targetPercent: [10, 25, 50, 100][stepIndex],
    action,
    judge: verdict === null ? null : { verdict, hard: false, reasons: [] },
    ...(verdict === null ? { fastPath: { pool: 'inhouse', counts: { requests: 60, failed: 16 } } } : {}),
  });
}

it('collapses the judge decisions of a step into one row per verdict: a run ends where the verdict changes', () => {
  const passes = Array.from({ length: 58 }, (_, i) => decision(T0 + i * 500, 'pass'));
  const hold = decision(T0 + 30_000, 'hold', 0, 'hold');
  const holds = [decision(T0 + 31_000, 'hold'), decision(T0 + 32_000, 'hold')];
  const passAgain = decision(T0 + 33_000, 'pass');
  const { rows } = curateTimeline([...passes, hold, ...holds, passAgain], scope, clock);
  assert.deepEqual(
    rows.map((r) => r.text),
    [
      'judge: pass ×58 from 05:50:55 to 05:51:23 at 10 % of traffic',
      'judge: hold ×3 from 05:51:25 to 05:51:27 at 10 % of traffic; acted: hold',
      summarizeEvent(passAgain),
    ],
  );
  assert.deepEqual(
    rows[0]?.eventIds,
    passes.map((e) => e.id),
  );
  assert.equal(rows[0]?.time, T0, 'a run sits at its first decision');
});

it('starts a new run when the migration moves to the next step, and keeps two migrations apart', () => {
  const other = (time: number): JournalEvent => ({ ...decision(time, 'pass'), data: { ...decision(time, 'pass').data, migration: '2' } });
  const events = [
    decision(T0, 'pass', 0),
    other(T0 + 500),
    decision(T0 + 1000, 'pass', 0),
    other(T0 + 1500),
    decision(T0 + 2000, 'pass', 1),
    decision(T0 + 3000, 'pass', 1),
    decision(T0 + 4000, null, 1, 'rollback'),
  ];
  const { rows } = curateTimeline(events, scope, clock);
  assert.deepEqual(
    rows.map((r) => r.text),
    [
      'judge: pass ×2 from 05:50:55 to 05:50:56 at 10 % of traffic',
      'judge: pass ×2 from 05:50:55 to 05:50:56 at 10 % of traffic',
      'judge: pass ×2 from 05:50:57 to 05:50:58 at 25 % of traffic',
      summarizeEvent(events[6] as JournalEvent),
    ],
  );
});

it('puts rows in strict time order, ties broken by event id, whatever order the events came in', () => {
  const a = ev(T0 + 2000, 'split.changed', 'web', { from: { vendor: 100 }, to: { vendor: 90, inhouse: 10 } });
  const b = ev(T0 + 1000, 'migration.rolled_back', 'web', { reason: 'judge: error_ratio' });
  const c = ev(T0 + 1000, 'operator.note', 'web', { text: 'looking' }, 'gilfoyle');
  const backdated = ev(T0 - 500, 'migration.gate_overridden', 'web', { reason: 'vendor contract ends', to: 'inhouse' }, 'richard');
  const { rows } = curateTimeline([a, c, backdated, b], scope, clock);
  assert.deepEqual(
    rows.map((r) => r.eventIds[0]),
    [backdated.id, b.id, c.id, a.id],
  );
  for (let i = 1; i < rows.length; i++) assert.ok((rows[i - 1] as { time: number }).time <= (rows[i] as { time: number }).time);
});

it("leaves out backends' first health verdicts at start, events about other routes before the start, and splits set to what they were", () => {
  const start = scope.startedAt;
  const startup = ['vendor-1', 'vendor-2', 'inhouse-1'].map((b) =>
    ev(T0, 'backend.up', `${b.split('-')[0]}/${b}`, { pool: b.split('-')[0], backend: b, from: 'unknown', to: 'healthy' }, 'balancer'),
  );
  const otherRoute = ev(T0 + 1000, 'split.changed', 'capacity-inhouse', { from: { inhouse: 0 }, to: { inhouse: 100 } });
  const otherPool = ev(T0 + 2000, 'backend.ejected', 'archive/a-1', { pool: 'archive', backend: 'a-1' }, 'balancer');
  const config = ev(T0 + 3000, 'config.reloaded', 'piper.yaml', {}, 'operator');
  const move = ev(T0 + 4000, 'split.changed', 'web', { from: { vendor: 100 }, to: { vendor: 0, inhouse: 100 } });
  const vendorDown = ev(T0 + 5000, 'backend.down', 'vendor/vendor-2', { pool: 'vendor', backend: 'vendor-2', from: 'healthy' }, 'balancer');
  const back = ev(start + 1000, 'split.changed', 'web', { from: { vendor: 0, inhouse: 100 }, to: { vendor: 100, inhouse: 0 } });
  const again = ev(start + 1001, 'split.changed', 'web', { from: { vendor: 100, inhouse: 0 }, to: { vendor: 100, inhouse: 0 } });
  // After the start nothing is noise: a backend coming up mid-incident is part of the story.
  const restarted = ev(
    start + 2000,
    'backend.up',
    'inhouse/inhouse-1',
    { pool: 'inhouse', backend: 'inhouse-1', from: 'unknown' },
    'balancer',
  );
  const { rows, omitted } = curateTimeline(
    [...startup, otherRoute, otherPool, config, move, vendorDown, back, again, restarted],
    scope,
    clock,
  );
  assert.deepEqual(omitted, { startup: 3, unrelated: 2, unchanged: 1 });
  assert.deepEqual(
    rows.map((r) => r.eventIds[0]),
    [config.id, move.id, vendorDown.id, back.id, restarted.id],
    'a config change bears on every route; the vendor pool is the route source',
  );
});

it('keeps every event before the start when the incident names no route or pool', () => {
  const e = ev(T0, 'split.changed', 'api', { from: { a: 100 }, to: { b: 100 } });
  const { rows, omitted } = curateTimeline([e], { startedAt: scope.startedAt, routes: [], pools: [] }, clock);
  assert.equal(rows.length, 1);
  assert.deepEqual(omitted, { startup: 0, unrelated: 0, unchanged: 0 });
});
