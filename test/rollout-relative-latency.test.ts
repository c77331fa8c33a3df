import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { SystemClock } from '../src/core/index.ts';
import { RolloutClient } from '../src/rollout/index.ts';
import { type ControllerProcess, journalEvents, type MigrationRig, migrationRig, startController, waitFor } from './rollout-harness.ts';

const rigs: MigrationRig[] = [];
const controllers: ControllerProcess[] = [];
after(async () => {
  for (const c of controllers) if (c.child.exitCode === null) c.child.kill('SIGKILL');
  await Promise.all(rigs.map((r) => r.close()));
});

// Issue 24: a target that answers 5 % of requests 10 ms slower every second, with no errors.
test('a target whose latency drifts away from the source is rolled back on relative latency, long before its p99 reaches a 300 ms SLO', {
  timeout: 90_000,
}, async (t) => {
  const rig = await migrationRig({
    rps: 100,
    capacity: { inhouse: 1000 },
    migration: { steps: [50, 100], stepDuration: '5m', deadMan: '10s' },
    // Adaptive admission off on the target: on a loaded machine its limiter would turn the slow
    // requests away first, and the judge would roll back on those refusals (which the relative
    // test counts as slower, issue 24's spill), which is right but is not what this test measures:
    // the target's own histogram against the source's.
    inhouseAdmission: { adaptive: false },
  });
  rigs.push(rig);
  const ctl = await startController(rig.up.adminUrl, rig.db, rig.configFile);
  controllers.push(ctl);
  const api = new RolloutClient({ apiUrl: ctl.url, clock: new SystemClock() });
  const m = await api.start({ route: 'web', to: 'inhouse' });
  // A few healthy seconds at 50 %, then the fault.
  await new Promise((r) => setTimeout(r, 4000));
  const faultAt = Date.now();
  rig.inhouse.delayMs = () => (Math.random() < 0.05 ? (10 * (Date.now() - faultAt)) / 1000 : 0);
  const ended = await waitFor(
    'the rollback',
    async () => {
      const v = await api.get(m.id);
      return ['rolling_back', 'rolled_back', 'completed', 'aborted'].includes(v.phase) ? v : undefined;
    },
    60_000,
  );
  const rolled = journalEvents(rig.db, ['migration.rolling_back', 'migration.rolled_back'])[0];
  assert.ok(rolled, `no rollback; phase ${ended.phase}`);
  const afterFault = rolled.time - faultAt;
  const decision = journalEvents(rig.db, ['migration.decision']).find((e) => e.data.action === 'rollback');
  const judge = decision?.data.judge as
    | {
        reasons: string[];
        target: { p99Ms: number };
        relativeLatency: { percentile: number; share: number; bound: number; rejected: boolean }[];
      }
    | undefined;
  t.diagnostic(
    `rolled back ${afterFault} ms after the fault started (${String(rolled.data.reason)}); target p99 ${judge?.target.p99Ms} ms; ` +
      `relative: ${judge?.relativeLatency.map((r) => `p${r.percentile} ${(r.share * 100).toFixed(1)} % of ${(r.bound * 100).toFixed(1)} %${r.rejected ? ' rejected' : ''}`).join(', ')}`,
  );
  assert.match(String(rolled.data.reason), /msprt_relative_latency/);
  // The p99 would cross 300 ms near 30 s into the fault. The bound is loose (a loaded CI machine
  // took 20.2 s once); the benchmark holds the tight figure (bench/rollout/judge-faults.ts).
  assert.ok(afterFault < 25_000, `rolled back ${afterFault} ms after the fault`);
  assert.ok((judge?.target.p99Ms ?? Number.POSITIVE_INFINITY) < 300, `target p99 ${judge?.target.p99Ms} ms at the rollback`);
  // Only slower, never failed: no client saw anything but 200.
  assert.deepEqual([...rig.load.statuses.keys()], [200]);
});
