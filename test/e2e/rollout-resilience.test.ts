import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { SystemClock } from '../../src/core/index.ts';
import { RolloutClient } from '../../src/rollout/index.ts';
import {
  ADMIN_TOKEN,
  type ControllerProcess,
  journalEvents,
  type MigrationRig,
  migrationRig,
  startController,
  waitFor,
} from '../rollout-harness.ts';

// Issue 7, process tests 4–7: a real balancer (`piper up`), real backends, the controller as its own process.
describe('migration controller: A/A, kill -9, silence, organic growth', () => {
  const rigs: MigrationRig[] = [];
  const controllers: ControllerProcess[] = [];
  after(async () => {
    for (const c of controllers) {
      if (c.child.exitCode === null) {
        c.child.kill('SIGCONT');
        c.child.kill('SIGKILL');
      }
    }
    await Promise.all(rigs.map((r) => r.close()));
  });

  async function controllerFor(rig: MigrationRig): Promise<{ ctl: ControllerProcess; api: RolloutClient }> {
    const ctl = await startController(rig.up.adminUrl, rig.db, rig.configFile);
    controllers.push(ctl);
    return { ctl, api: new RolloutClient({ apiUrl: ctl.url, clock: new SystemClock() }) };
  }

  async function routeState(rig: MigrationRig): Promise<{ split: Record<string, number>; deadMan: unknown }> {
    const res = await fetch(`${rig.up.adminUrl}/api/v1/state`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    const state = (await res.json()) as { routes: { name: string; split: Record<string, number>; deadMan: unknown }[] };
    const route = state.routes.find((r) => r.name === 'web');
    assert.ok(route);
    return route;
  }

  const share = (split: Record<string, number>, pool: string): number =>
    (split[pool] ?? 0) / Object.values(split).reduce((a, b) => a + b, 0);

  it('4. A/A: identical pools through all steps, back and forth, never roll back', async (t) => {
    const rig = await migrationRig({ rps: 60, capacity: { inhouse: 1000, vendor: 1000 } });
    rigs.push(rig);
    const { api } = await controllerFor(rig);
    await new Promise((r) => setTimeout(r, 2000));
    const phases: string[] = [];
    for (const [from, to] of [
      ['vendor', 'inhouse'],
      ['inhouse', 'vendor'],
      ['vendor', 'inhouse'],
    ] as const) {
      const m = await api.start({ route: 'web', from, to });
      const end = await waitFor(`${from}→${to}`, async () => {
        const v = await api.get(m.id);
        return ['running', 'paused', 'rolling_back'].includes(v.phase) ? undefined : v;
      });
      phases.push(end.phase);
    }
    t.diagnostic(`A/A process runs: ${phases.join(', ')}`);
    assert.deepEqual(phases, ['completed', 'completed', 'completed']);
    assert.equal(journalEvents(rig.db, ['migration.rolled_back']).length, 0);
  });

  it('5. kill -9 of the controller mid-migration: resumes after restart, no transition lost or repeated', async () => {
    const rig = await migrationRig({ rps: 60, capacity: { inhouse: 1000 }, migration: { deadMan: '60s', stepDuration: '3s' } });
    rigs.push(rig);
    const first = await controllerFor(rig);
    await new Promise((r) => setTimeout(r, 2000));
    const m = await first.api.start({ route: 'web', to: 'inhouse' });
    await waitFor('step 2', async () => ((await first.api.get(m.id)).stepIndex >= 1 ? true : undefined));
    // The controller journals a step before it tells the balancer: kill it once the balancer has it.
    await waitFor('step 2 on the balancer', async () => (share((await routeState(rig)).split, 'inhouse') === 0.5 ? true : undefined));
    first.ctl.child.kill('SIGKILL');
    await first.ctl.exited;
    // The balancer keeps the last split while the controller is gone.
    assert.equal(share((await routeState(rig)).split, 'inhouse'), 0.5);

    const second = await controllerFor(rig);
    const done = await waitFor('completion after restart', async () => {
      const v = await second.api.get(m.id);
      return v.phase === 'running' ? undefined : v;
    });
    assert.equal(done.phase, 'completed');
    const transitions = done.events.filter((e) => !['migration.recovered', 'migration.gate_refused'].includes(e.kind));
    assert.deepEqual(
      transitions.map((e) => e.data.seq),
      transitions.map((_, i) => i),
      'each transition once, in order',
    );
    assert.deepEqual(
      transitions.filter((e) => e.kind === 'migration.step').map((e) => e.data.toPercent),
      [10, 50, 100],
    );
    assert.equal(done.events.filter((e) => e.kind === 'migration.recovered').length, 1);
  });

  it('6. a silent controller: the balancer reverts to 100% source on its own, and the controller then holds', async () => {
    const rig = await migrationRig({ rps: 40, capacity: { inhouse: 1000 }, migration: { deadMan: '2s', stepDuration: '30s' } });
    rigs.push(rig);
    const { ctl, api } = await controllerFor(rig);
    await new Promise((r) => setTimeout(r, 2000));
    const m = await api.start({ route: 'web', to: 'inhouse' });
    assert.equal(share((await routeState(rig)).split, 'inhouse'), 0.1);
    ctl.child.kill('SIGSTOP');
    const reverted = await waitFor('dead-man revert', async () => {
      const r = await routeState(rig);
      return share(r.split, 'inhouse') === 0 ? r : undefined;
    });
    assert.equal(reverted.deadMan, null);
    const servedBefore = rig.inhouse.requests;
    await new Promise((r) => setTimeout(r, 500));
    assert.ok(rig.inhouse.requests - servedBefore <= 2, 'the target no longer gets traffic');
    ctl.child.kill('SIGCONT');
    const held = await waitFor('controller notices', async () => {
      const v = await api.get(m.id);
      return v.phase === 'paused' ? v : undefined;
    });
    assert.match(held.paused?.reason ?? '', /dead-man/);
    assert.equal(share((await routeState(rig)).split, 'inhouse'), 0, 'the controller does not fight the revert');
  });

  it('7. traffic grows mid-step past the gate: backs off to the last safe step within 2 s', async (t) => {
    // Certified 200/s with headroom 2: 100/s allowed. 40/s passes at 100 %; 150/s fits only at 50 %.
    const rig = await migrationRig({ rps: 40, capacity: { inhouse: 200 }, migration: { stepDuration: '10s' } });
    rigs.push(rig);
    const { api } = await controllerFor(rig);
    await new Promise((r) => setTimeout(r, 2000));
    const m = await api.start({ route: 'web', to: 'inhouse', steps: [50, 100] });
    await waitFor('step 100%', async () => ((await api.get(m.id)).targetPercent === 100 ? true : undefined), 90_000).catch(
      async (err: unknown) => {
        const v = await api.get(m.id);
        throw new Error(
          `${(err as Error).message}: ${v.phase} ${v.targetPercent}% hold ${JSON.stringify(v.hold)} gate ${JSON.stringify(v.gate)}`,
        );
      },
    );
    // Grow at the start of a second, so the first whole window after it shows the new rate.
    await waitFor('second boundary', () => (Date.now() % 1000 < 30 ? true : undefined), 5000).catch(() => undefined);
    const grewAt = Date.now();
    rig.load.rps = 150;
    const backed = await waitFor('backoff', async () => {
      const v = await api.get(m.id);
      return v.events.find((e) => e.kind === 'migration.step' && e.data.why === 'backoff');
    }).catch(async (err: unknown) => {
      const v = await api.get(m.id);
      throw new Error(`${(err as Error).message}: ${v.phase} ${v.targetPercent}% gate ${JSON.stringify(v.gate)} sent ${rig.load.sent}`);
    });
    const decision = journalEvents(rig.db, ['migration.decision']).find((e) => e.data.action === 'backoff');
    t.diagnostic(
      `backed off ${backed.time - grewAt} ms after the growth; deciding window started ${(decision?.data.judge as { windowStart: number } | undefined)?.windowStart ?? NaN} (growth at ${grewAt}), decided at ${decision?.time}`,
    );
    assert.equal(backed.data.toPercent, 50);
    assert.ok(backed.time - grewAt <= 2000, `backed off ${backed.time - grewAt} ms after the growth`);
    assert.equal(share((await routeState(rig)).split, 'inhouse'), 0.5);
  });
});
