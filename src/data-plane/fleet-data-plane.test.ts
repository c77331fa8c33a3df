import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { flushMicrotasks, isPiperError, ManualClock, PiperError } from '../core/index.ts';
import type { TelemetryWindow } from '../telemetry/index.ts';
import type { DataPlaneEvent } from './data-plane-event.ts';
import { FleetDataPlane } from './fleet-data-plane.ts';
import type { WindowMerge } from './fleet-windows.ts';
import { InMemoryDataPlane } from './in-memory-data-plane.ts';
import { dataPlaneErrors } from './data-plane-errors.ts';

/** Stands in for telemetry's mergeWindows: which members' windows were merged, and who was missing. */
const tagMerge: WindowMerge = (windows, missing) => ({
  ...(windows[0] as TelemetryWindow),
  incompleteReason: `${windows.length} merged; missing: ${missing.join(',')}`,
});

function window(start: number): TelemetryWindow {
  return { start, durationMs: 1000, routes: {}, pools: {}, backends: {} };
}

function fleetOf(clock: ManualClock) {
  const a = new InMemoryDataPlane(clock, { web: { vendor: 100, inhouse: 0 } }, ['vendor', 'inhouse']);
  const b = new InMemoryDataPlane(clock, { web: { vendor: 100, inhouse: 0 } }, ['vendor', 'inhouse']);
  const fleet = new FleetDataPlane({
    members: [
      { name: 'edge-a', dataPlane: a },
      { name: 'edge-b', dataPlane: b },
    ],
    clock,
    merge: tagMerge,
    retryMs: 1000,
    windowGraceMs: 1500,
  });
  const events: DataPlaneEvent[] = [];
  fleet.onEvent((e) => events.push(e));
  return { a, b, fleet, events };
}

const splitOf = (dp: InMemoryDataPlane) => dp.snapshot().routes.find((r) => r.name === 'web')?.split;

describe('FleetDataPlane', () => {
  it('retries a split a member missed every second until it takes, then journals the complete acknowledgement', async () => {
    const clock = new ManualClock();
    const { a, b, fleet, events } = fleetOf(clock);
    b.setReachable(false);
    await assert.rejects(fleet.setSplit('web', { vendor: 100, inhouse: 0 }, 'rollback', { term: 2 }), (err) =>
      isPiperError(err, 'PIPER_FLEET_SPLIT_INCOMPLETE'),
    );
    // The controller re-sends the split each tick meanwhile: one report, not one a second.
    await assert.rejects(fleet.setSplit('web', { vendor: 100, inhouse: 0 }, 'rollback', { term: 2 }));
    await clock.tick(3000, 1000);
    assert.equal(b.calls.length, 0, 'unreachable: nothing reached it');
    b.setReachable(true);
    await clock.tick(1000);
    assert.deepEqual(splitOf(b), { vendor: 100, inhouse: 0 });
    assert.equal(b.calls.length, 1);
    assert.equal(a.calls.length, 2, 'the fleet does not send it again to the member that took it (the controller did once)');
    assert.equal(fleet.lastAcks('web')?.['edge-b']?.ok, true);
    const acks = events.filter((e) => e.kind === 'split.acknowledged').map((e) => e.kind === 'split.acknowledged' && e.data.complete);
    assert.deepEqual(acks, [false, true]);
    await clock.tick(3000, 1000);
    assert.equal(b.calls.length, 1, 'no retries once every member took it');
    fleet.close();
  });

  it('a newer split replaces the pending retry: the older one never lands on the member that missed it', async () => {
    const clock = new ManualClock();
    const { b, fleet } = fleetOf(clock);
    b.setReachable(false);
    await assert.rejects(fleet.setSplit('web', { vendor: 50, inhouse: 50 }, 'step 1'));
    await assert.rejects(fleet.setSplit('web', { vendor: 100, inhouse: 0 }, 'rollback'));
    b.setReachable(true);
    await clock.tick(2000, 1000);
    assert.deepEqual(
      b.calls.map((c) => c.reason),
      ['rollback'],
    );
    fleet.close();
  });

  it('a member that follows a newer term makes the split fail with PIPER_SPLIT_STALE_TERM, and it is not retried', async () => {
    const clock = new ManualClock();
    const { b, fleet } = fleetOf(clock);
    b.failSetSplit = new PiperError(dataPlaneErrors.PIPER_SPLIT_STALE_TERM, 'split of web refused: term 2 is older than term 3');
    await assert.rejects(fleet.setSplit('web', { vendor: 0, inhouse: 100 }, 'step', { term: 2 }), (err) =>
      isPiperError(err, 'PIPER_SPLIT_STALE_TERM'),
    );
    b.failSetSplit = null;
    await clock.tick(3000, 1000);
    assert.equal(b.calls.length, 0);
    fleet.close();
  });

  it('sends a missed split again only to a member whose failure is retryable, never to one that refused it for good', async () => {
    const clock = new ManualClock();
    const { b, fleet } = fleetOf(clock);
    b.failSetSplit = new PiperError(dataPlaneErrors.PIPER_BALANCER_UNKNOWN_ROUTE, 'no route named "web"');
    await assert.rejects(fleet.setSplit('web', { vendor: 0, inhouse: 100 }, 'step'), (err) =>
      isPiperError(err, 'PIPER_FLEET_SPLIT_INCOMPLETE'),
    );
    b.failSetSplit = null;
    await clock.tick(3000, 1000);
    assert.equal(b.calls.length, 0, 'not retryable: not sent again');

    b.failSetSplit = new PiperError(dataPlaneErrors.PIPER_ROLLOUT_DATA_PLANE_UNREACHABLE, 'cut off');
    await assert.rejects(fleet.setSplit('web', { vendor: 0, inhouse: 100 }, 'step again'));
    b.failSetSplit = null;
    await clock.tick(1000);
    assert.deepEqual(
      b.calls.map((c) => c.reason),
      ['step again'],
      'retryable: sent again',
    );
    fleet.close();
  });

  it('shows each member’s split on the route so that a disagreement is visible', async () => {
    const clock = new ManualClock();
    const { a, fleet } = fleetOf(clock);
    await a.setSplit('web', { vendor: 90, inhouse: 10 }, 'by hand');
    const web = fleet.snapshot().routes.find((r) => r.name === 'web');
    assert.deepEqual(web?.members?.['edge-a']?.split, { vendor: 90, inhouse: 10 });
    assert.deepEqual(web?.members?.['edge-b']?.split, { vendor: 100, inhouse: 0 });
    assert.deepEqual(
      fleet.snapshot().members?.map((m) => [m.name, m.reachable]),
      [
        ['edge-a', true],
        ['edge-b', true],
      ],
    );
    fleet.close();
  });

  it('merges a second as soon as every member sent it, or after the grace without the missing member, in order', async () => {
    const clock = new ManualClock(1_000_000);
    const { a, b, fleet } = fleetOf(clock);
    const out: TelemetryWindow[] = [];
    fleet.onWindow((w) => out.push(w));
    await flushMicrotasks();
    a.push(window(999_000));
    b.push(window(999_000));
    await flushMicrotasks();
    assert.deepEqual(
      out.map((w) => [w.start, w.incompleteReason]),
      [[999_000, '2 merged; missing: ']],
    );
    a.push(window(1_000_000));
    await clock.tick(2000, 100);
    assert.equal(out.length, 1, 'waits the grace after the second ends (2.5 s from its start)');
    await clock.tick(600, 100);
    assert.deepEqual(out[1]?.incompleteReason, '1 merged; missing: edge-b');
    b.push(window(1_000_000));
    await flushMicrotasks();
    assert.equal(out.length, 2, "edge-b's late window is dropped");
    fleet.close();
  });
});
