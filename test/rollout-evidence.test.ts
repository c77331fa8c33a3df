// Issue 18: a migration's evidence outlives it. A real `piper up` rolls a migration back on the
// judge's own (the target starts failing); then its gate evaluations, the judge's last window and
// the decisions are read from a second process on the same journal file (a replica: `piper
// migrate controller --db`) and from `piper up` restarted after kill -9, and they are the same.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { stringify } from 'yaml';
import { type CapacityEvent, postCapacityEvent } from '../src/loadgen/index.ts';
import type { MigrationDetail } from '../src/rollout/index.ts';
import { killHard, startPiperUp } from './balancer-process.ts';
import { ADMIN_TOKEN, RolloutBackend, SteadyLoad, startController, waitFor } from './rollout-harness.ts';

const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };

async function detail(apiUrl: string, id: string): Promise<MigrationDetail> {
  const res = await fetch(`${apiUrl}/api/v1/migrations/${id}`, { headers: auth });
  assert.equal(res.status, 200);
  return (await res.json()) as MigrationDetail;
}

/** The evidence as on-call reads it, without what differs by reader (nothing should). */
function evidence(m: MigrationDetail): unknown {
  return { phase: m.phase, gate: m.gate, gates: m.gates, judge: m.judge, decisions: m.decisions, events: m.events.map((e) => e.kind) };
}

const closers: (() => Promise<unknown> | unknown)[] = [];
after(async () => {
  for (const c of closers.reverse()) await c();
});

test('a migration rolled back by the judge keeps its gate, last window and decisions: after the end, on a replica, after a restart', {
  timeout: 90_000,
}, async () => {
  const vendor = new RolloutBackend();
  const inhouse = new RolloutBackend();
  const [vendorUrl, inhouseUrl] = await Promise.all([vendor.listen(), inhouse.listen()]);
  closers.push(
    () => vendor.close(),
    () => inhouse.close(),
  );
  const dir = mkdtempSync(join(tmpdir(), 'piper-evidence-'));
  closers.push(() => rmSync(dir, { recursive: true, force: true }));
  const db = join(dir, 'piper.db');
  const config = {
    listeners: [{ name: 'public', address: '127.0.0.1', port: 0 }],
    admin: { address: '127.0.0.1', port: 0, token: ADMIN_TOKEN },
    dashboard: { enabled: false },
    pools: {
      vendor: { backends: [{ name: 'v1', url: vendorUrl }], outlierDetection: { enabled: false } },
      inhouse: { backends: [{ name: 'i1', url: inhouseUrl }], outlierDetection: { enabled: false } },
    },
    routes: [{ name: 'web', split: { vendor: 100, inhouse: 0 }, retries: { attempts: 0 }, slo: { latency: { threshold: '3s' } } }],
    // A long step: the judge, not the clock, ends this migration.
    migration: { steps: [50, 100], stepDuration: '5m', judge: { minRequests: 5 } },
    storage: { path: db },
    logging: { level: 'warn' },
  };
  const configFile = join(dir, 'piper.yaml');
  writeFileSync(configFile, stringify(config));

  let up = await startPiperUp(config);
  closers.push(() => killHard(up));
  const certified: CapacityEvent = {
    kind: 'capacity.result',
    source: 'loadgen',
    subject: 'inhouse',
    actor: 'piper capacity',
    data: {
      target: inhouseUrl,
      pool: 'inhouse',
      slo: { p99Ms: 200, maxErrorRatio: 0.001 },
      capacityRps: 1000,
      confidence: 0.95,
      certifiedAt: Date.now(),
      trials: [],
    },
  };
  await postCapacityEvent(up.adminUrl, ADMIN_TOKEN, certified);
  const load = new SteadyLoad(up.publicUrl, 40);
  load.start();
  let stopping: Promise<void> | null = null;
  const stopLoad = (): Promise<void> => {
    stopping ??= load.stop();
    return stopping;
  };
  closers.push(stopLoad);
  await new Promise((r) => setTimeout(r, 1500));

  const started = await fetch(`${up.adminUrl}/api/v1/migrations`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ route: 'web', to: 'inhouse', actor: 'richard' }),
  });
  assert.equal(started.status, 201, await started.clone().text());
  const { id } = (await started.json()) as MigrationDetail;
  // A few healthy windows on the target, then it fails every other request.
  await waitFor('judged windows on the target', async () => ((await detail(up.adminUrl, id)).judge?.target.requests ?? 0) > 0 || undefined);
  await new Promise((r) => setTimeout(r, 3000));
  inhouse.failEvery = 2;
  const ended = await waitFor('the rollback', async () => {
    const m = await detail(up.adminUrl, id);
    return m.phase === 'rolled_back' ? m : undefined;
  });
  inhouse.failEvery = null;

  // What on-call needs after the end: the gate at the start and the step, the judge's last window, the decisions.
  assert.equal(ended.rollback?.hard, true);
  assert.deepEqual(
    ended.gates.slice(0, 2).map((g) => [g.occasion, g.gate.passed, g.gate.capacityRps]),
    [
      ['start', true, 1000],
      ['step', true, 1000],
    ],
  );
  assert.ok(ended.gate !== null);
  assert.ok(ended.judge !== null, 'the last judged window');
  assert.ok(ended.judge.target.requests > 0);
  const last = ended.decisions.at(-1);
  assert.ok(last !== undefined);
  assert.equal(last.verdict, 'rollback');
  assert.equal(last.action, 'rollback');
  assert.ok(
    ended.decisions.every((d) => d.journaled),
    'all of it in the journal',
  );
  const before = ended.decisions.filter((d) => d.recorded === 'before_rollback');
  assert.ok(before.length >= 3, `${before.length} decisions of the minute before the rollback`);
  assert.ok(
    ended.decisions.some((d) => d.verdict === 'pass'),
    'the passing windows that came before',
  );

  // A replica: another process on the same journal file, which never ran this migration.
  const replica = await startController(up.adminUrl, db, configFile);
  closers.push(() => replica.child.kill('SIGKILL'));
  assert.deepEqual(evidence(await detail(replica.url, id)), evidence(ended));
  replica.child.kill('SIGTERM');
  await replica.exited;

  // kill -9 and a restart on the same journal: the controller's memory is gone, the evidence is not.
  await stopLoad();
  await killHard(up);
  up = await startPiperUp(config);
  assert.deepEqual(evidence(await detail(up.adminUrl, id)), evidence(ended));
});
