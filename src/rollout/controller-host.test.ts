import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, test } from 'node:test';
import { defaultConfig } from '../config/index.ts';
import { createControlApp } from '../control-api/index.ts';
import { isPiperError, ManualClock, silentLogger } from '../core/index.ts';
import { type DataPlane, InMemoryDataPlane, type SetSplitOptions } from '../data-plane/index.ts';
import { Journal, Leadership } from '../journal/index.ts';
import { type ControllerHost, runWhileLeader } from './controller-host.ts';
import { leaderDataPlane } from './leader-data-plane.ts';
import { MigrationController } from './migration-controller.ts';
import { rolloutApi } from './rollout-api.ts';

const servers: Server[] = [];
after(() => {
  for (const s of servers) {
    s.closeAllConnections();
    s.close();
  }
});

/** A data plane that records the options of every split sent through it. */
function recording(dp: DataPlane): { plane: DataPlane; options: SetSplitOptions[] } {
  const options: SetSplitOptions[] = [];
  const plane: DataPlane = {
    snapshot: () => dp.snapshot(),
    setSplit: (route, split, reason, o = {}) => {
      options.push(o);
      return dp.setSplit(route, split, reason, o);
    },
    heartbeat: (route) => dp.heartbeat(route),
    windows: (signal) => dp.windows(signal),
  };
  return { plane, options };
}

async function serve(host: ControllerHost, leadership: Leadership): Promise<string> {
  const api = await createControlApp({
    logger: silentLogger(),
    plugins: [rolloutApi({ controller: () => host.controller(), leader: leadership })],
  });
  const server = createServer((req, res) => api.routing(req, res));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Two control planes on one journal and one data plane, each with its campaign, controller host and rollout API. */
async function twoControlPlanes() {
  const clock = new ManualClock();
  const journal = Journal.open({ path: ':memory:', clock });
  const dp = new InMemoryDataPlane(clock, { web: { vendor: 100 } }, ['vendor', 'inhouse']);
  const { plane, options } = recording(dp);
  const migration = { ...defaultConfig().migration, stepDuration: 60_000 };
  const plane_ = (name: string, port: number) => {
    const leadership = new Leadership({ journal, clock, name, advertiseUrl: `http://127.0.0.1:${port}` });
    const host = runWhileLeader({
      leadership,
      journal,
      dataPlane: plane,
      makeController: (parts) => new MigrationController({ ...parts, clock, migration }),
    });
    return { leadership, host };
  };
  const a = plane_('cp-1', 9900);
  const b = plane_('cp-2', 9901);
  a.leadership.start();
  b.leadership.start();
  await a.host.settled();
  const urls = { a: await serve(a.host, a.leadership), b: await serve(b.host, b.leadership) };
  const close = async (): Promise<void> => {
    a.leadership.close();
    b.leadership.close();
    await a.host.close();
    await b.host.close();
    dp.close();
    journal.close();
  };
  return { clock, journal, dp, options, a, b, urls, close };
}

async function post(url: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

const START = { route: 'web', to: 'inhouse', overrideCapacityGate: 'test', actor: 'richard' };

test('a follower refuses rollout writes with 409 naming the leader, and serves the migrations from the journal', async () => {
  const h = await twoControlPlanes();
  assert.ok(h.a.host.leading());
  assert.equal(h.b.host.leading(), null);
  const started = await post(`${h.urls.a}/api/v1/migrations`, START);
  assert.equal(started.status, 201);
  const refused = await post(`${h.urls.b}/api/v1/migrations/1/pause`, { reason: 'lunch' });
  assert.equal(refused.status, 409);
  assert.deepEqual(refused.json, {
    error: {
      code: 'PIPER_NOT_LEADER',
      message: 'this control plane (cp-2) is a follower; the leader is cp-1 (term 1) at http://127.0.0.1:9900: send the request there',
    },
    leader: { holder: 'cp-1', term: 1, url: 'http://127.0.0.1:9900' },
  });
  assert.equal((await post(`${h.urls.b}/api/v1/migrations`, START)).status, 409);
  const list = (await (await fetch(`${h.urls.b}/api/v1/migrations`)).json()) as { migrations: { id: string; targetPercent: number }[] };
  assert.deepEqual(
    list.migrations.map((m) => [m.id, m.targetPercent]),
    [['1', 1]],
  );
  const one = (await (await fetch(`${h.urls.b}/api/v1/migrations/1`)).json()) as { phase: string; history: unknown[] };
  assert.equal(one.phase, 'running');
  assert.equal(h.journal.query({ kinds: ['migration.paused'] }).length, 0);
  await h.close();
});

test('when the leader steps down, the follower recovers the migration at its step and sends its splits with its term', async () => {
  const h = await twoControlPlanes();
  await post(`${h.urls.a}/api/v1/migrations`, START);
  assert.deepEqual(
    h.options.map((o) => o.term),
    [1],
  );
  h.a.leadership.close();
  await h.a.host.settled();
  assert.equal(h.a.host.leading(), null);
  h.clock.advance(500);
  await h.b.host.settled();
  assert.ok(h.b.host.leading());
  const recovered = h.journal.query({ kinds: ['migration.recovered'] });
  assert.deepEqual(
    recovered.map((e) => [e.data.migration, e.data.targetPercent]),
    [['1', 1]],
  );
  assert.deepEqual(
    h.options.map((o) => o.term),
    [1, 2],
  );
  const paused = await post(`${h.urls.b}/api/v1/migrations/1/pause`, { reason: 'lunch' });
  assert.equal(paused.status, 200);
  // cp-1 stopped campaigning: it refuses, without a leader to name.
  const refused = await post(`${h.urls.a}/api/v1/migrations/1/resume`, {});
  assert.equal(refused.status, 409);
  assert.equal(refused.json.leader, null);
  assert.equal(h.journal.query({ kinds: ['migration.resumed'] }).length, 0);
  await h.close();
});

test('a data plane wrapped for a term sends nothing once this process no longer leads at that term', async () => {
  const clock = new ManualClock();
  const dp = new InMemoryDataPlane(clock, { web: { vendor: 100 } }, ['vendor', 'inhouse']);
  let holds = true;
  let term = 3;
  const gate = {
    name: 'cp-1',
    lease: 'control',
    holds: () => holds,
    fence: () => ({ lease: 'control', holder: 'cp-1', term }),
    leader: () => null,
  };
  const plane = leaderDataPlane(dp, gate, 3);
  await plane.setSplit('web', { vendor: 90, inhouse: 10 }, 'step', { deadMan: { safeSplit: { vendor: 100 }, timeoutMs: 10_000 } });
  plane.heartbeat('web');
  assert.equal(dp.heartbeats, 1);
  holds = false;
  await assert.rejects(plane.setSplit('web', { vendor: 50, inhouse: 50 }, 'step'), (err) => isPiperError(err, 'PIPER_NOT_LEADER'));
  plane.heartbeat('web');
  holds = true;
  term = 4;
  await assert.rejects(plane.setSplit('web', { vendor: 50, inhouse: 50 }, 'step'), /no longer leads at term 3/);
  plane.heartbeat('web');
  assert.equal(dp.heartbeats, 1);
  assert.deepEqual(dp.snapshot().routes[0]?.split, { vendor: 90, inhouse: 10 });
  dp.close();
});
