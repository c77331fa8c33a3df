import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { SystemClock } from '../../src/core/index.ts';
import { RolloutClient } from '../../src/rollout/index.ts';
import { haproxyMissing } from '../haproxy-runtime-fixture.ts';
import { ADMIN_TOKEN, certifyOverApi, type MigrationRig, migrationRig, waitFor } from '../rollout-harness.ts';

// A migration on HAProxy (`piper up --data-plane haproxy`): real backends, 100 req/s through
// HAProxy, the controller inside piper up judging HAProxy's log lines (the open window every
// 250 ms, and each closed one). The bound is the issue's: traffic back within 2 s of the target's
// first failing response, computed from what the journal recorded.
describe('a migration on HAProxy', { skip: haproxyMissing() }, () => {
  const rigs: MigrationRig[] = [];
  after(async () => {
    await Promise.all(rigs.map((r) => r.close()));
  });

  it('is rolled back within 2 s of the target’s first failing response, by the journal’s own timestamps', async (t) => {
    const rig = await migrationRig({ rps: 100, capacity: {}, dataPlane: 'haproxy' });
    rigs.push(rig);
    await certifyOverApi(rig.up.adminUrl, 'inhouse');
    // A few windows of the route's rate before the gate is asked.
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
    assert.match(String(rolled.data.reason), /error_ratio|msprt_errors/);
    assert.equal(rolling.data.staged, false, 'a hard failure goes back at once');

    // The recorded bound: the rollback's event time minus the first failing response's time.
    const firstFailureAt = rolled.data.firstFailureAt as number;
    t.diagnostic(
      `journal: rolled back ${rolled.time - firstFailureAt} ms after the first failing response (${String(rolled.data.reason)})`,
    );
    assert.ok(rolled.time - firstFailureAt <= 2000, `rolled back ${rolled.time - firstFailureAt} ms after the first failing response`);
    // firstFailureAt is when HAProxy's line for that response was folded: just after the backend
    // answered it (the backend stamped its first failure before answering), never a window's start.
    const backendFirst = rig.inhouse.firstFailureAt as number;
    assert.ok(
      backendFirst <= firstFailureAt && firstFailureAt - backendFirst < 1000,
      `journaled ${firstFailureAt}, backend ${backendFirst}`,
    );

    // And the traffic: nothing reaches the target after the split HAProxy read back.
    const atRollback = rig.inhouse.requests;
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(rig.inhouse.requests, atRollback, 'no request reaches the target after the rollback');
    t.diagnostic(`last request to the target ${(rig.inhouse.lastRequestAt as number) - backendFirst} ms after its first failing response`);
    const splits = (await (
      await fetch(`${rig.up.adminUrl}/api/v1/events?kind=split.changed`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })
    ).json()) as { events: { source: string; data: { to: Record<string, number> } }[] };
    const last = splits.events.at(-1);
    assert.equal(last?.source, 'haproxy');
    assert.equal(
      last?.data.to.inhouse ?? 0,
      0,
      `the last split HAProxy read back has nothing on the target: ${JSON.stringify(last?.data.to)}`,
    );
  });
});
