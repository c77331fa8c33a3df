// Issue 19's faults, measured: two data planes, two control planes and a real PostgreSQL on loopback,
// traffic running throughout. Each test prints one `fleet-fault` JSON line with its figures (the
// numbers in docs/benchmarks.md, "Faults in a fleet", come from these lines).
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { request } from 'undici';
import { postgresBinDir } from '../postgres-fixture.ts';
import { failures, type Fleet, type PiperProcess, signal, startFleet, startMigration } from '../fleet-rig.ts';
import { ADMIN_TOKEN, waitFor } from '../rollout-harness.ts';

const skip = postgresBinDir() === undefined ? 'PostgreSQL is not installed (npm test installs it: see docs/testing.md)' : false;

function report(name: string, figures: Record<string, unknown>): void {
  process.stdout.write(`fleet-fault ${JSON.stringify({ name, ...figures })}\n`);
}

async function splitOf(adminUrl: string): Promise<Record<string, number> | null> {
  const res = await request(`${adminUrl}/api/v1/state`, {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    headersTimeout: 1000,
  }).catch(() => null);
  if (res === null) return null;
  const state = (await res.body.json()) as { routes: { name: string; split: Record<string, number> }[] };
  return state.routes.find((r) => r.name === 'web')?.split ?? null;
}

/** The percent of a split on `pool` (splits are weights). */
function share(split: Record<string, number> | null, pool: string): number | null {
  if (split === null) return null;
  const total = Object.values(split).reduce((a, b) => a + b, 0);
  return total === 0 ? 0 : Math.round(((split[pool] ?? 0) / total) * 1000) / 10;
}

function stepEvents(fleet: Fleet, id: string): { kind: string; time: number; targetPercent: number; actor: string; id: number }[] {
  return fleet
    .events([
      'migration.started',
      'migration.step',
      'migration.recovered',
      'migration.completed',
      'migration.rolling_back',
      'migration.rolled_back',
    ])
    .filter((e) => e.data.migration === id)
    .map((e) => ({ kind: e.kind, time: e.time, targetPercent: Number(e.data.targetPercent), actor: e.actor, id: e.id }));
}

const STORY_KINDS = [
  'migration.started',
  'migration.step',
  'migration.held',
  'migration.paused',
  'migration.resumed',
  'migration.recovered',
  'migration.rolling_back',
  'migration.rolled_back',
  'migration.aborted',
  'migration.completed',
  'leader.elected',
  'leader.lost',
  'split.acknowledged',
  'split.refused',
];

/** Waits for the migration to complete; on a timeout the error tells its story from the journal. */
async function completion(fleet: Fleet, id: string, ms: number): Promise<void> {
  await waitFor('completion', () => stepEvents(fleet, id).find((e) => e.kind === 'migration.completed'), ms).catch((err: unknown) => {
    const story = fleet
      .events(STORY_KINDS)
      .map((e) => `\n  ${e.id} ${e.kind} ${e.actor} ${JSON.stringify(e.data).slice(0, 240)}`)
      .join('');
    throw new Error(`${(err as Error).message}; the journal:${story}`);
  });
}

describe('a fleet of two data planes and two control planes on PostgreSQL', { skip, concurrency: 1 }, () => {
  test('kill -9 of the leader mid-migration: the follower resumes the same step within 3 s, no transition lost or doubled', async () => {
    const fleet = await startFleet({
      rps: 40,
      capacity: { inhouse: 1000 },
      migration: { steps: [10, 50, 100], stepDuration: '4s', deadMan: '8s' },
    });
    after(() => fleet.close());
    const first = await fleet.leader();
    const id = await startMigration(fleet);
    await waitFor('step 50', () => stepEvents(fleet, id).find((e) => e.targetPercent === 50) ?? undefined, 30_000);
    const failedBefore = failures(fleet);
    const killedAt = Date.now();
    await signal(fleet.controls[first.index] as PiperProcess, 'SIGKILL');
    const resumed = await waitFor('the new leader to recover the migration', () =>
      fleet.events(['migration.recovered']).find((e) => e.data.migration === id && e.time >= killedAt),
    );
    const takeoverMs = resumed.time - killedAt;
    const next = await fleet.leader();
    assert.notEqual(next.index, first.index);
    assert.equal(next.term, first.term + 1);
    assert.equal(Number(resumed.data.targetPercent), 50, 'resumed at the step it was on');
    await completion(fleet, id, 60_000);
    const steps = stepEvents(fleet, id)
      .filter((e) => e.kind === 'migration.step')
      .map((e) => e.targetPercent);
    assert.deepEqual(steps, [10, 50, 100], 'each step journaled once, none lost');
    for (const edge of fleet.edges) assert.equal(share(await splitOf(edge.urls.admin as string), 'inhouse'), 100);
    const failed = failures(fleet) - failedBefore;
    report('leader kill -9', { takeoverMs, failedRequests: failed, sent: fleet.loads.reduce((n, l) => n + l.sent, 0) });
    assert.ok(takeoverMs <= 3000, `takeover took ${takeoverMs} ms (bound 3000)`);
    assert.equal(failed, 0);
  });

  test('SIGSTOP of the leader past its lease, then SIGCONT: it does not act on its old term, and a split from that term is refused and journaled', async () => {
    const fleet = await startFleet({
      rps: 40,
      capacity: { inhouse: 1000 },
      migration: { steps: [10, 50, 100], stepDuration: '4s', deadMan: '8s' },
    });
    after(() => fleet.close());
    const first = await fleet.leader();
    const id = await startMigration(fleet);
    await waitFor('step 10', () => stepEvents(fleet, id).find((e) => e.targetPercent === 10) ?? undefined, 30_000);
    const old = fleet.controls[first.index] as PiperProcess;
    const stoppedAt = Date.now();
    await signal(old, 'SIGSTOP');
    const elected = await waitFor('a new leader', () =>
      fleet.events(['leader.elected']).find((e) => e.time >= stoppedAt && Number(e.data.term) > first.term),
    );
    await new Promise((r) => setTimeout(r, 5000 - (Date.now() - stoppedAt)));
    await signal(old, 'SIGCONT');
    const lost = await waitFor('the old leader to say it lost the lease', () =>
      fleet.events(['leader.lost']).find((e) => e.data.holder === `cp-${first.index + 1}` && Number(e.data.term) === first.term),
    );
    // What the woken leader would send if its own clock check failed: every data plane refuses it.
    const refusals = [];
    for (const edge of fleet.edges) {
      const res = await request(`${edge.urls.admin}/api/v1/routes/web/split`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          split: { vendor: 100, inhouse: 0 },
          reason: 'deposed leader',
          term: first.term,
          leader: `cp-${first.index + 1}`,
        }),
      });
      refusals.push(res.statusCode);
      await res.body.dump();
    }
    assert.deepEqual(refusals, [409, 409]);
    const refused = await waitFor('split.refused in the journal', () => {
      const found = fleet.events(['split.refused']).filter((e) => Number(e.data.term) === first.term);
      return found.length >= 2 ? found : undefined;
    });
    // The new leader goes on from the step the old one left: its next step is journaled once, by it.
    await waitFor(
      'the new leader’s next step',
      () => stepEvents(fleet, id).find((e) => e.kind === 'migration.step' && e.targetPercent === 50),
      40_000,
    ).catch(async (err: unknown) => {
      await completion(fleet, id, 1).catch((told: unknown) => {
        throw new Error(`${(err as Error).message}: ${(told as Error).message}`);
      });
    });
    const steps = stepEvents(fleet, id)
      .filter((e) => e.kind === 'migration.step')
      .map((e) => e.targetPercent);
    assert.deepEqual(steps, [10, 50, 100].slice(0, steps.length), 'no step journaled twice by the two leaders');
    report('leader SIGSTOP', {
      takeoverMs: elected.time - stoppedAt,
      stoppedMs: 5000,
      lostReason: lost.data.reason,
      refusedSplits: refused.length,
      failedRequests: failures(fleet),
    });
  });

  test('kill -9 of one data plane: the other keeps serving, and the migration holds until it returns', async () => {
    const fleet = await startFleet({
      rps: 40,
      capacity: { inhouse: 1000 },
      migration: { steps: [10, 50, 100], stepDuration: '3s', deadMan: '8s' },
    });
    after(() => fleet.close());
    const id = await startMigration(fleet);
    await waitFor('step 10', () => stepEvents(fleet, id).find((e) => e.targetPercent === 10) ?? undefined, 30_000);
    const survivor = fleet.loads[0] as (typeof fleet.loads)[number];
    const failedBefore = [...survivor.statuses].filter(([s]) => s === 0 || s >= 500).reduce((n, [, c]) => n + c, 0);
    // Only the killed data plane's clients notice: stop sending to it.
    await fleet.loads[1]?.stop();
    await signal(fleet.edges[1] as PiperProcess, 'SIGKILL');
    const killedAt = Date.now();
    await new Promise((r) => setTimeout(r, 8000));
    const during = stepEvents(fleet, id).filter((e) => e.kind === 'migration.step' && e.time > killedAt + 1000);
    assert.deepEqual(during, [], 'no step forward while a data plane is away');
    await fleet.restartEdge(1);
    await completion(fleet, id, 60_000);
    for (const edge of fleet.edges) assert.equal(share(await splitOf(edge.urls.admin as string), 'inhouse'), 100);
    const failedAfter = [...survivor.statuses].filter(([s]) => s === 0 || s >= 500).reduce((n, [, c]) => n + c, 0);
    report('data plane kill -9', { heldMs: 8000, survivorFailedRequests: failedAfter - failedBefore, survivorSent: survivor.sent });
    assert.equal(failedAfter - failedBefore, 0, 'the surviving data plane served every request');
  });

  test('PostgreSQL restarted under load: no acknowledged event is lost, and the control planes elect a leader again on their own', async () => {
    const fleet = await startFleet({ rps: 40, capacity: { inhouse: 1000 } });
    after(() => fleet.close());
    const acked: number[] = [];
    let refused = 0;
    let writing = true;
    const writer = (async () => {
      let n = 0;
      while (writing) {
        const { index } = await fleet.leader().catch(() => ({ index: 0 }));
        const res = await request(`${fleet.controls[index]?.urls.admin}/api/v1/events`, {
          method: 'POST',
          headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
          body: JSON.stringify({ kind: 'operator.note', subject: 'web', data: { text: `note ${n++}` } }),
          headersTimeout: 20_000,
        }).catch(() => null);
        if (res === null) refused++;
        else {
          const body = (await res.body.json().catch(() => ({}))) as { id?: number };
          if (res.statusCode < 300 && typeof body.id === 'number') acked.push(body.id);
          else refused++;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    await waitFor('some events written', () => (acked.length >= 20 ? true : undefined));
    fleet.pg.stop();
    const stoppedAt = Date.now();
    await new Promise((r) => setTimeout(r, 3000));
    fleet.pg.start();
    const restartedAt = Date.now();
    const again = await waitFor(
      'a leader after the restart',
      async () => {
        const l = await fleet.leader().catch(() => undefined);
        return l === undefined ? undefined : { ...l, at: Date.now() };
      },
      30_000,
    );
    const ackedBefore = acked.length;
    await waitFor('writes acknowledged after the restart', () => (acked.length >= ackedBefore + 20 ? true : undefined), 30_000);
    writing = false;
    await writer;
    const stored = new Set(fleet.events(['operator.note']).map((e) => e.id));
    const lost = acked.filter((id) => !stored.has(id));
    report('PostgreSQL restart', {
      downMs: restartedAt - stoppedAt,
      leaderAgainMs: again.at - restartedAt,
      acknowledged: acked.length,
      refusedWhileDown: refused,
      lost: lost.length,
      failedRequests: failures(fleet),
    });
    assert.deepEqual(lost, [], 'every acknowledged event is in the journal');
  });

  test('a data plane cut off from the leader during a rollback reverts by its dead-man guard within the silence', async () => {
    const deadManMs = 3000;
    const fleet = await startFleet({
      rps: 40,
      capacity: { inhouse: 1000 },
      migration: { steps: [50, 100], stepDuration: '30s', deadMan: '3s' },
    });
    after(() => fleet.close());
    const id = await startMigration(fleet);
    await waitFor('step 50 on both data planes', async () => {
      const shares = await Promise.all(fleet.edges.map(async (e) => share(await splitOf(e.urls.admin as string), 'inhouse')));
      return shares.every((x) => x === 50) ? true : undefined;
    });
    fleet.relays[1]?.cut();
    const cutAt = Date.now();
    fleet.inhouse.failEvery = 2;
    const rolling = await waitFor('the rollback', () => stepEvents(fleet, id).find((e) => e.kind === 'migration.rolling_back'), 20_000);
    const reverted = await waitFor(
      'the cut-off data plane to revert on its own',
      async () =>
        (await splitOf(fleet.edges[1]?.urls.admin as string)) !== null &&
        share(await splitOf(fleet.edges[1]?.urls.admin as string), 'inhouse') === 0
          ? Date.now()
          : undefined,
      20_000,
    );
    const guard = (await request(`${fleet.edges[1]?.urls.admin}/api/v1/events?after=0`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    }).then((r) => r.body.json())) as {
      events: { kind: string; time: number; data: { silentMs?: number } }[];
    };
    const revert = guard.events.find((e) => e.kind === 'deadman.reverted');
    assert.ok(revert !== undefined, 'the guard reverted it, not a split from the leader');
    fleet.relays[1]?.mend();
    report('data plane cut off during rollback', {
      deadManMs,
      revertAfterCutMs: (revert?.time ?? reverted) - cutAt,
      revertAfterRollbackMs: (revert?.time ?? reverted) - rolling.time,
      silentMs: revert?.data.silentMs,
    });
    assert.ok((revert?.time ?? reverted) - cutAt <= deadManMs + 1500, 'reverted within the silence (and one heartbeat period)');
  });
});
