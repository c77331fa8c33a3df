import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { defaultConfig, type MigrationConfig } from '../config/index.ts';
import { ManualClock } from '../core/index.ts';
import { InMemoryDataPlane } from '../data-plane/index.ts';
import { Journal } from '../journal/index.ts';
import { BEFORE_ROLLBACK_MS } from './decision-log.ts';
import { MigrationController } from './migration-controller.ts';
import { shareOf } from './migration-state.ts';
import { membershipOf } from './pool-membership.ts';
import { syntheticWindow } from './synthetic-window.ts';

const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

const controllers: MigrationController[] = [];

async function settle(): Promise<void> {
  for (const c of controllers) await c.idle();
}

interface Rig {
  clock: ManualClock;
  journal: Journal;
  dp: InMemoryDataPlane;
  controller: MigrationController;
}

async function controllerOn(rig: Omit<Rig, 'controller'>, migration: Partial<MigrationConfig>): Promise<MigrationController> {
  const controller = new MigrationController({
    dataPlane: rig.dp,
    journal: rig.journal,
    clock: rig.clock,
    migration: { ...defaultConfig().migration, ...migration },
  });
  closers.push(() => {
    controllers.splice(controllers.indexOf(controller), 1);
    return controller.close();
  });
  controllers.push(controller);
  await controller.start();
  return controller;
}

async function rig(migration: Partial<MigrationConfig>): Promise<Rig> {
  const clock = new ManualClock(Date.UTC(2017, 2, 31, 21, 0, 0));
  const journal = Journal.open({ path: ':memory:', clock });
  const dp = new InMemoryDataPlane(clock, { web: { vendor: 100 } }, ['vendor', 'inhouse']);
  closers.push(
    () => journal.close(),
    () => dp.close(),
  );
  journal.append({
    kind: 'capacity.result',
    source: 'loadgen',
    subject: 'inhouse',
    actor: 'piper capacity',
    data: {
      target: 'http://127.0.0.1:1',
      pool: 'inhouse',
      slo: { p99Ms: 200, maxErrorRatio: 0.001 },
      capacityRps: 5000,
      confidence: 0.95,
      certifiedAt: clock.now(),
      trials: [],
      membership: membershipOf([]),
      recordedAt: clock.now(),
    },
  });
  const controller = await controllerOn({ clock, journal, dp }, migration);
  return { clock, journal, dp, controller };
}

/** One second of 1000 requests split as the route is; `failing` of the target's fail. */
async function second(r: Rig, failing = 0): Promise<void> {
  const share = shareOf(r.dp.snapshot().routes[0]?.split ?? {}, 'inhouse');
  const onTarget = Math.round(1000 * share);
  const start = r.clock.now();
  await r.clock.tick(1000);
  r.dp.push(
    syntheticWindow(start, 'web', {
      inhouse: { requests: onTarget, failed: Math.round(onTarget * failing) },
      vendor: { requests: 1000 - onTarget },
    }),
  );
  await settle();
}

function decisions(journal: Journal): { time: number; recorded: unknown; stepIndex: unknown; verdict: unknown }[] {
  return journal
    .query({ kinds: ['migration.decision'], limit: 10_000 })
    .map((e) => ({ time: e.time, recorded: e.data.recorded, stepIndex: e.data.stepIndex, verdict: e.data.verdict }));
}

describe('migration evidence', () => {
  it('journals a healthy migration’s decisions bounded: the first, and the one each step ended on', async () => {
    const r = await rig({ steps: [10, 50, 100], stepDuration: 10_000 });
    for (let i = 0; i < 2; i++) await second(r);
    const m = await r.controller.startMigration({ route: 'web', to: 'inhouse' });
    for (let i = 0; i < 60 && r.controller.get(m.id).phase !== 'completed'; i++) await second(r);
    assert.equal(r.controller.get(m.id).phase, 'completed');
    const written = decisions(r.journal);
    // About 30 windows judged; the journal keeps the first and one per step.
    assert.deepEqual(
      written.map((d) => [d.recorded, d.stepIndex]),
      [
        ['verdict_changed', 0],
        ['step_end', 0],
        ['step_end', 1],
        ['step_end', 2],
      ],
    );
    const detail = r.controller.get(m.id);
    assert.equal(detail.decisions.length, 4);
    assert.ok(detail.decisions.every((d) => d.journaled && d.verdict === 'pass'));
    assert.deepEqual(
      detail.gates.map((g) => [g.occasion, g.gate.share]),
      [
        ['start', 1],
        ['step', 0.1],
        ['recheck', 0.1],
        ['recheck', 0.1],
        ['step', 0.5],
        ['recheck', 0.5],
        ['step', 1],
        ['recheck', 1],
      ],
      'each journaled decision carries the gate’s re-check of its window',
    );
  });

  it('writes every decision of the minute before a rollback, and a restarted controller shows gate, judge and decisions', async () => {
    const r = await rig({ steps: [10, 100], stepDuration: 300_000 });
    for (let i = 0; i < 2; i++) await second(r);
    const m = await r.controller.startMigration({ route: 'web', to: 'inhouse', actor: 'richard' });
    for (let i = 0; i < 90; i++) await second(r);
    assert.equal(decisions(r.journal).length, 1, 'ninety passing windows, one change worth writing');
    await second(r, 0.3);
    const live = r.controller.get(m.id);
    assert.equal(live.phase, 'rolled_back');
    const rollingBack = r.journal.query({ kinds: ['migration.rolling_back'] })[0];
    assert.ok(rollingBack !== undefined);

    const written = decisions(r.journal);
    const minute = written.filter((d) => d.time >= rollingBack.time - BEFORE_ROLLBACK_MS);
    // One judged window a second: sixty in the minute before, the rollback's own among them.
    assert.ok(minute.length >= 60, `${minute.length} decisions of the minute before the rollback journaled`);
    assert.deepEqual([...new Set(written.map((d) => d.recorded))].sort(), ['acted', 'before_rollback', 'verdict_changed']);
    assert.equal(written.filter((d) => d.recorded === 'acted').length, 1);

    // Another controller on the same journal, as after a restart or on a replica: nothing in memory.
    await r.controller.close();
    const after = await controllerOn(r, { steps: [10, 100], stepDuration: 300_000 });
    const ended = after.get(m.id);
    assert.equal(ended.phase, 'rolled_back');
    assert.equal(ended.gate?.passed, true);
    assert.equal(ended.gate?.share, 0.1, 'the last evaluation: the step to 10 %');
    assert.equal(ended.judge?.verdict, 'rollback');
    assert.equal(ended.judge?.target.failed, 30);
    assert.equal(ended.decisions.length, written.length);
    assert.ok(ended.decisions.every((d) => d.journaled));
    assert.deepEqual(
      ended.decisions.map((d) => d.time),
      [...ended.decisions.map((d) => d.time)].sort((a, b) => a - b),
      'in the order they were decided',
    );
    assert.equal(ended.decisions.at(-1)?.action, 'rollback');
    assert.deepEqual(
      ended.events.map((e) => e.kind),
      ['migration.started', 'migration.step', 'migration.rolling_back', 'migration.rolled_back'],
    );
    // The list still needs no journal reads: live figures only for what this controller runs.
    assert.equal(after.list()[0]?.judge, null);
  });

  it('lists gate evaluations in time order when the minute before a rollback spans a step', async () => {
    const r = await rig({ steps: [10, 50, 100], stepDuration: 20_000 });
    for (let i = 0; i < 2; i++) await second(r);
    const m = await r.controller.startMigration({ route: 'web', to: 'inhouse' });
    for (let i = 0; i < 30; i++) await second(r);
    assert.equal(r.controller.get(m.id).targetPercent, 50);
    await second(r, 0.3);
    assert.equal(r.controller.get(m.id).phase, 'rolled_back');
    // The re-checks of the step to 10 % are journaled at the rollback, after the step to 50 %.
    const times = r.controller.get(m.id).gates.map((g) => g.time);
    assert.deepEqual(
      times,
      [...times].sort((a, b) => a - b),
    );
    assert.equal(r.controller.get(m.id).gate?.share, 0.5, 'the last evaluation: the re-check of the failing window');
  });
});
