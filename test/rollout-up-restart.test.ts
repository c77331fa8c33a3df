import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Agent, request } from 'undici';
import type { DataPlaneSnapshot } from '../src/data-plane/index.ts';
import { killHard, type PiperUpProcess, startPiperUp } from './balancer-process.ts';
import { ADMIN_TOKEN, certifyOverApi, journalEvents, RolloutBackend, SteadyLoad, waitFor } from './rollout-harness.ts';

const adminAgent = new Agent();

/** A migration as the API answers, with the fields this test reads. */
interface MigrationAnswer {
  id: string;
  phase: string;
  targetPercent: number;
  paused: unknown;
}

async function admin<T>(up: PiperUpProcess, method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; json: T }> {
  const res = await request(`${up.adminUrl}${path}`, {
    method,
    dispatcher: adminAgent,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.statusCode, json: (await res.body.json()) as T };
}

async function webRoute(up: PiperUpProcess): Promise<DataPlaneSnapshot['routes'][number]> {
  const state = (await admin<DataPlaneSnapshot>(up, 'GET', '/api/v1/state')).json;
  return state.routes.find((r) => r.name === 'web') as DataPlaneSnapshot['routes'][number];
}

/** Same weights per pool, whatever the key order. */
function sameSplit(a: Record<string, number>, b: Record<string, number>): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].every((k) => (a[k] ?? 0) === (b[k] ?? 0));
}

const closers: (() => Promise<unknown> | unknown)[] = [];
after(async () => {
  for (const c of closers.reverse()) await c();
});

test('kill -9 of piper up mid-migration: restarted on the same journal, its controller resumes the step at 25 % instead of blaming the dead-man guard', {
  timeout: 90_000,
}, async () => {
  const vendor = new RolloutBackend();
  const inhouse = new RolloutBackend();
  const [vendorUrl, inhouseUrl] = await Promise.all([vendor.listen(), inhouse.listen()]);
  closers.push(
    () => vendor.close(),
    () => inhouse.close(),
  );
  const dir = mkdtempSync(join(tmpdir(), 'piper-up-restart-'));
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
    routes: [{ name: 'web', split: { vendor: 100 }, retries: { attempts: 0 }, slo: { latency: { threshold: '3s' } } }],
    // Steps long enough that the migration is still at its first step when the process dies.
    migration: { steps: [25, 100], stepDuration: '10m', deadMan: '3s', judge: { minRequests: 3 } },
    // One journal file for both lives of piper up.
    storage: { path: db },
    logging: { level: 'warn' },
  };

  let up = await startPiperUp(config);
  closers.push(
    () => killHard(up),
    () => adminAgent.close(),
  );
  await certifyOverApi(up.adminUrl, 'inhouse', { target: inhouseUrl });
  let load = new SteadyLoad(up.publicUrl, 20);
  load.start();
  closers.push(() => load.stop());

  const started = await admin<MigrationAnswer>(up, 'POST', '/api/v1/migrations', { route: 'web', to: 'inhouse', actor: 'test' });
  assert.equal(started.status, 201, JSON.stringify(started.json));
  const id = String(started.json.id);
  assert.equal(started.json.targetPercent, 25);
  assert.deepEqual((await webRoute(up)).split, { vendor: 7500, inhouse: 2500 });

  // kill -9 of the process holding both the controller and the balancer.
  await load.stop();
  await killHard(up);
  up = await startPiperUp(config);
  load = new SteadyLoad(up.publicUrl, 20);
  load.start();

  await waitFor('the migration taken up again', () => (journalEvents(db, ['migration.recovered']).length > 0 ? true : undefined));
  // The recorded split goes back to the balancer right after (or the migration pauses: fails below).
  const view = await waitFor('the recorded split re-applied, or a pause', async () => {
    const v = (await admin<MigrationAnswer>(up, 'GET', `/api/v1/migrations/${id}`)).json;
    return v.phase !== 'running' || (await webRoute(up)).split.inhouse === 2500 ? v : undefined;
  });
  assert.equal(view.phase, 'running', `paused: ${JSON.stringify(view.paused)}`);
  assert.equal(view.targetPercent, 25);
  const route = await webRoute(up);
  assert.deepEqual(route.split, { vendor: 7500, inhouse: 2500 }, 'the balancer runs the recorded split again');
  assert.deepEqual(route.deadMan?.safeSplit, { vendor: 10_000, inhouse: 0 }, 'with its dead-man guard armed');
  assert.equal(route.splitOrigin.kind, 'api');

  const recovered = journalEvents(db, ['migration.recovered']);
  assert.equal(recovered.length, 1);
  assert.deepEqual(recovered[0]?.data.observedSplit, { vendor: 100 }, 'the restarted balancer came up on its config split');
  assert.equal((recovered[0]?.data.splitOrigin as { kind: string } | undefined)?.kind, 'config');
  assert.equal(recovered[0]?.data.action, 'reapplied');
  assert.deepEqual(journalEvents(db, ['migration.paused']), [], 'no pause blaming a dead-man guard that never fired');
  assert.deepEqual(journalEvents(db, ['deadman.reverted']), []);
  // The journal's newest split agrees with the data plane (data-plane events are written in batches).
  // Compared with the live split, not a fixed one: whatever the controller does next (on a loaded
  // machine the judge may act), the two must agree.
  let seen = '';
  await waitFor('the journal to agree with the balancer', async () => {
    const last = journalEvents(db, ['split.changed']).at(-1);
    const live = (await webRoute(up)).split;
    seen = `journal ${JSON.stringify(last?.data.to)}, balancer ${JSON.stringify(live)}`;
    return last !== undefined && sameSplit(last.data.to as Record<string, number>, live) ? true : undefined;
  }).catch((err: unknown) => {
    throw new Error(`${(err as Error).message}: ${seen}`);
  });
  assert.ok(
    journalEvents(db, ['split.changed']).some(
      (e) => e.id > (recovered[0]?.id ?? 0) && sameSplit(e.data.to as Record<string, number>, { vendor: 7500, inhouse: 2500 }),
    ),
    'the re-applied split is journaled after the recovery',
  );
  // And traffic follows it: the target takes requests again.
  const before = inhouse.requests;
  await waitFor('requests on the target after the restart', () => (inhouse.requests > before + 3 ? true : undefined));
});
