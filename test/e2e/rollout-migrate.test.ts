import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { SystemClock } from '../../src/core/index.ts';
import { RolloutClient } from '../../src/rollout/index.ts';
import {
  ADMIN_TOKEN,
  type ControllerProcess,
  certifyOverApi,
  journalEvents,
  type MigrationRig,
  migrationRig,
  runPiper,
  startController,
  waitFor,
} from '../rollout-harness.ts';

// Issue 7, process tests 1–3: a real balancer (`piper up`), real backends; tests 1 and 3 run the
// controller as its own process, test 2 the one inside `piper up` (see there).
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
    const rolled = done.events.find((e) => e.kind === 'migration.rolled_back' || e.kind === 'migration.rolling_back');
    assert.equal(done.phase, 'completed', `rolled back: ${JSON.stringify(rolled?.data)}`);
    assert.deepEqual(
      done.events.filter((e) => e.kind === 'migration.step').map((e) => e.data.toPercent),
      [10, 50, 100],
    );
    const before = rig.inhouse.requests;
    await waitFor('traffic on inhouse', () => (rig.inhouse.requests > before + 20 ? true : undefined));
    assert.ok(rig.inhouse.requests > 0 && rig.load.statuses.get(500) === undefined);
  });

  it('2. the target answering 20% 5xx at step 3 is rolled back within 2 s', async (t) => {
    // Driven by piper up's own controller (in process, as in production and the demo): it reads the
    // balancer's open telemetry window every 100 ms (the fast path), so it need not wait for a window
    // to close. A remote controller (the other tests) reads closed windows over the admin API only.
    const rig = await migrationRig({ rps: 100, capacity: {} });
    rigs.push(rig);
    await certifyOverApi(rig.up.adminUrl, 'inhouse');
    await new Promise((r) => setTimeout(r, 2500));
    const api = new RolloutClient({ apiUrl: rig.up.adminUrl, token: ADMIN_TOKEN, clock: new SystemClock() });
    const m = await api.start({ route: 'web', to: 'inhouse', steps: [5, 10, 25, 50, 100], stepDuration: '2s' });
    await waitFor('step 3', async () => ((await api.get(m.id)).stepIndex >= 2 ? true : undefined));
    rig.inhouse.failEvery = 5;
    const done = await waitFor('rollback', async () => {
      const v = await api.get(m.id);
      return v.phase === 'rolled_back' ? v : undefined;
    });
    const rolling = done.events.find((e) => e.kind === 'migration.rolling_back');
    const rolled = done.events.find((e) => e.kind === 'migration.rolled_back');
    assert.ok(rolling !== undefined && rolled !== undefined);
    t.diagnostic(`rolled back: hard ${String(rolled.data.hard)}, ${String(rolled.data.reason)}`);
    // Exactly 20 % sits on the hard guard's threshold, and the window in which failures begin is
    // diluted by the successes before them: the error-ratio guard (hard, often on the fast path)
    // or the mSPRT on error ratios may fire first. Either way the rollback is on the errors and
    // goes back at once, never staged.
    assert.match(String(rolled.data.reason), /error_ratio|msprt_errors/);
    assert.equal(rolling.data.staged, false);
    const firstFailure = rig.inhouse.firstFailureAt as number;
    const requestsAtRollback = rig.inhouse.requests;
    // Give stragglers time to show, then check the target got nothing after the deadline.
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(rig.inhouse.requests, requestsAtRollback, 'no requests reach the target after the rollback');
    const lastToTarget = rig.inhouse.lastRequestAt as number;
    t.diagnostic(`last request to the target ${lastToTarget - firstFailure} ms after its first failing response`);
    assert.ok(lastToTarget - firstFailure <= 2000, `last request to the target ${lastToTarget - firstFailure} ms after the first failure`);
    // The journal's firstFailureAt is exact: the balancer's clock when that first failing response
    // ended (the backend stamped it just before answering, so it is the same moment give or take the
    // proxying, a few ms; never a window's start, which would be up to 1 s earlier).
    const journaled = rolled.data.firstFailureAt as number;
    t.diagnostic(
      `journaled firstFailureAt ${journaled - firstFailure} ms after the backend's; completedAt ${(rolled.data.completedAt as number) - journaled} ms after it`,
    );
    assert.ok(firstFailure <= journaled && journaled - firstFailure < 1000, `journaled ${journaled}, backend ${firstFailure}`);
    assert.ok(journaled <= (rolled.data.completedAt as number));
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
