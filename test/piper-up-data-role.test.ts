import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { after, describe, it } from 'node:test';
import { SystemClock } from '../src/core/index.ts';
import { type EventPage, HttpDataPlane } from '../src/data-plane/index.ts';
import { FixtureBackend } from './backend-fixture.ts';
import { type PiperUpProcess, startPiperUp } from './balancer-process.ts';

const TOKEN = 'piper-up-data-role-admin-token-0123456789';

/** `piper up --role data` over two pools of one backend each, route `web` all on `vendor`. */
async function dataPlaneOnly(closers: (() => Promise<unknown> | unknown)[]): Promise<PiperUpProcess> {
  const backends = [new FixtureBackend('vendor-1'), new FixtureBackend('inhouse-1')];
  const [vendor, inhouse] = await Promise.all(backends.map((b) => b.listen()));
  for (const b of backends) closers.push(() => b.close());
  const up = await startPiperUp(
    {
      listeners: [{ name: 'public', address: '127.0.0.1', port: 0 }],
      admin: { address: '127.0.0.1', port: 0, token: TOKEN },
      pools: {
        vendor: { backends: [{ name: 'v1', url: vendor }], healthCheck: { enabled: false } },
        inhouse: { backends: [{ name: 'i1', url: inhouse }], healthCheck: { enabled: false } },
      },
      routes: [{ name: 'web', split: { vendor: 100, inhouse: 0 } }],
      dashboard: { enabled: false },
      logging: { level: 'warn' },
    },
    ['--role', 'data'],
  );
  closers.push(() => up.stop());
  return up;
}

async function get(up: PiperUpProcess, path: string): Promise<Response> {
  return fetch(`${up.adminUrl}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
}

/** Who answered `n` requests sent through the balancer, by backend name. */
async function servedBy(up: PiperUpProcess, n: number): Promise<Record<string, number>> {
  const tally: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const body = (await (await fetch(up.publicUrl)).text()).trim();
    tally[body] = (tally[body] ?? 0) + 1;
  }
  return tally;
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > until) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('piper up --role data', () => {
  const closers: (() => Promise<unknown> | unknown)[] = [];
  after(async () => {
    for (const c of closers.reverse()) await c();
  });

  it('serves the data plane and its admin API with no journal, controller or dashboard, writes nothing, and keeps its events in memory', async () => {
    const up = await dataPlaneOnly(closers);
    const dp = await HttpDataPlane.connect({ adminUrl: up.adminUrl, token: TOKEN, clock: new SystemClock(), pollMs: 60_000 });
    closers.push(() => dp.close());
    await dp.setSplit('web', { vendor: 0, inhouse: 100 }, 'leader moves web', { term: 2, leader: 'cp-a', actor: 'rollout' });
    assert.deepEqual(await servedBy(up, 4), { 'inhouse-1': 4 });

    const page = await waitFor('the split in the event ring', async () => {
      const p = (await (await get(up, '/api/v1/events?after=0')).json()) as EventPage;
      return p.events.some((e) => e.kind === 'split.changed') ? p : undefined;
    });
    assert.match(page.bootId, /^[0-9a-f-]{36}$/);
    const changed = page.events.find((e) => e.kind === 'split.changed');
    assert.equal(changed?.subject, 'web');
    assert.equal(changed?.actor, 'rollout');
    assert.deepEqual(changed?.kind === 'split.changed' ? changed.data.to : null, { vendor: 0, inhouse: 100 });
    const last = page.events.at(-1)?.id ?? 0;
    const none = (await (await get(up, `/api/v1/events?after=${last}`)).json()) as EventPage;
    assert.deepEqual(none, { bootId: page.bootId, events: [], lost: 0 });
    assert.equal((await get(up, '/api/v1/events?after=x')).status, 400);

    assert.equal((await get(up, '/api/v1/migrations')).status, 404, 'no migration controller');
    assert.equal((await get(up, '/api/v1/incidents')).status, 404, 'no on-call');
    assert.equal((await get(up, '/api/v1/state')).status, 200);
    assert.equal((await get(up, '/metrics')).status, 200);
    assert.equal(up.dashboardUrl, null);
    assert.deepEqual(readdirSync(dirname(up.configFile)), ['piper.yaml'], 'no journal file, nothing else on disk');
  });

  it('static stability: a member whose control plane vanished keeps its last split, and reverts to the safe split after the silence once a migration armed the guard', async () => {
    const up = await dataPlaneOnly(closers);
    const clock = new SystemClock();
    const first = await HttpDataPlane.connect({ adminUrl: up.adminUrl, token: TOKEN, clock, pollMs: 60_000 });
    await first.setSplit('web', { vendor: 50, inhouse: 50 }, 'operator halves web', { term: 1, leader: 'cp-a' });
    first.close();
    // The control plane is gone; two guard silences later, the split is still what it set.
    await new Promise((r) => setTimeout(r, 2500));
    const halves = await servedBy(up, 20);
    assert.ok((halves['vendor-1'] ?? 0) > 0 && (halves['inhouse-1'] ?? 0) > 0, `both pools still serve: ${JSON.stringify(halves)}`);

    const leader = await HttpDataPlane.connect({ adminUrl: up.adminUrl, token: TOKEN, clock, pollMs: 60_000 });
    await leader.setSplit('web', { vendor: 25, inhouse: 75 }, 'migration 1: step 3', {
      term: 2,
      leader: 'cp-b',
      actor: 'rollout',
      deadMan: { safeSplit: { vendor: 100, inhouse: 0 }, timeoutMs: 1500 },
    });
    const armedAt = Date.now();
    leader.heartbeat('web', 2, 'cp-b');
    leader.close();
    const reverted = await waitFor('the dead-man revert', async () => {
      const state = (await (await get(up, '/api/v1/state')).json()) as {
        routes: { name: string; split: Record<string, number>; deadMan: unknown }[];
      };
      const web = state.routes.find((r) => r.name === 'web');
      return web?.deadMan === null && web.split.vendor === 100 ? web : undefined;
    });
    assert.ok(Date.now() - armedAt >= 1400, 'not before the silence ran out');
    assert.deepEqual(reverted.split, { vendor: 100, inhouse: 0 });
    assert.deepEqual(await servedBy(up, 6), { 'vendor-1': 6 });
    const page = (await (await get(up, '/api/v1/events?after=0')).json()) as EventPage;
    assert.ok(
      page.events.some((e) => e.kind === 'deadman.reverted' && e.subject === 'web'),
      'the revert waits in the event ring for a control plane to journal it',
    );
  });
});
