import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { SystemClock } from '../../src/core/index.ts';
import { RolloutClient } from '../../src/rollout/index.ts';
import {
  type ControllerProcess,
  journalEvents,
  type MigrationRig,
  migrationRig,
  runPiper,
  startController,
  waitFor,
} from '../rollout-harness.ts';

// Issue 7, process tests 1–3: a real balancer (`piper up`), real backends, the controller as its own process.
describe('piper migrate against a real balancer', () => {
  const rigs: MigrationRig[] = [];
  const controllers: ControllerProcess[] = [];
  after(async () => {
    for (const c of controllers) if (c.child.exitCode === null) c.child.kill('SIGKILL');
    await Promise.all(rigs.map((r) => r.close()));
  });

  async function setUp(
    capacity: Record<string, number>,
    rps = 100,
  ): Promise<{ rig: MigrationRig; ctl: ControllerProcess; api: RolloutClient; url: string }> {
    const rig = await migrationRig({ rps, capacity });
    rigs.push(rig);
    const ctl = await startController(rig.up.adminUrl, rig.db, rig.configFile);
    controllers.push(ctl);
    // Let the controller see a few windows of the route's rate before the gate is asked.
    await new Promise((r) => setTimeout(r, 2500));
    return { rig, ctl, api: new RolloutClient({ apiUrl: ctl.url, clock: new SystemClock() }), url: ctl.url };
  }

  it('1. a healthy migration goes 0→100% and completes', async () => {
    const { rig, api, url } = await setUp({ inhouse: 1000 });
    const r = await runPiper(['migrate', 'start', 'web', '--to', 'inhouse', '--api', url, '--json', '--no-follow']);
    assert.equal(r.code, 0, r.stderr);
    const id = (JSON.parse(r.stdout) as { id: string }).id;
    const done = await waitFor('completion', async () => {
      const m = await api.get(id);
      return m.phase === 'running' ? undefined : m;
    });
    assert.equal(done.phase, 'completed');
    assert.deepEqual(
      done.events.filter((e) => e.kind === 'migration.step').map((e) => e.data.toPercent),
      [10, 50, 100],
    );
    const before = rig.inhouse.requests;
    await waitFor('traffic on inhouse', () => (rig.inhouse.requests > before + 20 ? true : undefined));
    assert.ok(rig.inhouse.requests > 0 && rig.load.statuses.get(500) === undefined);
  });

  it('2. the target answering 20% 5xx at step 3 is rolled back within 2 s', async (t) => {
    const { rig, api } = await setUp({ inhouse: 1000 });
    const m = await api.start({ route: 'web', to: 'inhouse', steps: [5, 10, 25, 50, 100], stepDuration: '2s' });
    await waitFor('step 3', async () => ((await api.get(m.id)).stepIndex >= 2 ? true : undefined));
    rig.inhouse.failEvery = 5;
    const done = await waitFor('rollback', async () => {
      const v = await api.get(m.id);
      return v.phase === 'rolled_back' ? v : undefined;
    });
    const rolled = done.events.find((e) => e.kind === 'migration.rolled_back');
    assert.ok(rolled !== undefined);
    assert.equal(rolled.data.hard, true);
    const firstFailure = rig.inhouse.firstFailureAt as number;
    const requestsAtRollback = rig.inhouse.requests;
    // Give stragglers time to show, then check the target got nothing after the deadline.
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(rig.inhouse.requests, requestsAtRollback, 'no requests reach the target after the rollback');
    const lastToTarget = rig.inhouse.lastRequestAt as number;
    t.diagnostic(`last request to the target ${lastToTarget - firstFailure} ms after its first failing response`);
    assert.ok(lastToTarget - firstFailure <= 2000, `last request to the target ${lastToTarget - firstFailure} ms after the first failure`);
    // The journal's firstFailureAt is the start of the first window with failures: a lower bound, up to 1 s early.
    assert.ok((rolled.data.firstFailureAt as number) <= firstFailure && firstFailure <= (rolled.data.completedAt as number));
  });

  it('3. a target certified below twice the peak is refused, with the event and the numbers', async () => {
    // 100/s offered; certified 40/s allows 20/s with headroom 2, far below the observed rate even on a slow machine.
    const { rig, api, url } = await setUp({ inhouse: 40 });
    const r = await runPiper(['migrate', 'start', 'web', '--to', 'inhouse', '--api', url, '--json']);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const out = JSON.parse(r.stdout) as {
      refused: boolean;
      gate: { capacityRps: number; headroom: number; projectedRps: number; allowedRps: number };
    };
    assert.equal(out.refused, true);
    assert.equal(out.gate.capacityRps, 40);
    assert.equal(out.gate.headroom, 2);
    assert.equal(out.gate.allowedRps, 20);
    assert.ok(out.gate.projectedRps > 20, `projected ${out.gate.projectedRps}`);
    const events = journalEvents(rig.db, ['migration.gate_refused']);
    assert.equal(events.length, 1);
    assert.equal(events[0]?.data.capacityRps, 40);
    const human = await runPiper(['migrate', 'start', 'web', '--to', 'inhouse', '--api', url]);
    assert.equal(human.code, 1);
    assert.match(human.stderr, /capacity gate refused/);
    assert.match(human.stderr, /certified/);
    assert.equal((await api.list()).length, 0);
  });
});
