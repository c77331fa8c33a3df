// piper's dead-man guard on a real HAProxy (docs/adr/0002-haproxy-dead-man-guard.md): the guard
// runs inside HAProxy, so a route under migration returns to its safe split when heartbeats stop,
// whether piper is cut off from the stats socket or gone altogether, and traffic through HAProxy
// shows it before piper can see anything. And a split under a guard is never applied by an HAProxy
// that has no guard.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { unwrapConfig, validateConfig } from '../src/config/index.ts';
import { isPiperError, SeededRandom, SystemClock } from '../src/core/index.ts';
import type { DataPlaneEvent, TrafficTally } from '../src/data-plane/index.ts';
import { HaproxyDataPlane, HaproxyTelemetry, RuntimeApiClient } from '../src/haproxy/index.ts';
import { FixtureBackend } from './backend-fixture.ts';
import { type HaproxyRunFixture, startHaproxyRunFixture } from './haproxy-run-fixture.ts';
import { haproxyMissing, type RunningHaproxy, startHaproxy } from './haproxy-runtime-fixture.ts';

const skip = haproxyMissing();
const TOPOLOGY = {
  pools: { vendor: ['v1'], inhouse: ['h1'] },
  routes: [{ name: 'web', pathPrefix: '/', split: { vendor: 100, inhouse: 0 } }],
  healthCheck: { path: '/healthz', intervalMs: 200, fall: 2, rise: 2 },
};
const SAFE = { vendor: 100, inhouse: 0 };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function onPool(t: TrafficTally, pool: string): number {
  return Object.entries(t.served).reduce((n, [key, count]) => (key.startsWith(`${pool}/`) ? n + count : n), 0);
}

/** Sends a few requests every 100 ms until they all go to `pool`; at most 100 rounds (10 s and more). */
async function untilAllOn(f: HaproxyRunFixture, pool: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const t = await f.send('web', 10);
    if (onPool(t, pool) === 10 && t.failed === 0) return;
    await sleep(100);
  }
  assert.fail(`traffic never went all to ${pool}`);
}

describe('the dead-man guard inside HAProxy', { skip }, () => {
  it('reverts the route while piper is cut off from the stats socket: traffic follows the safe split before piper can read it', async () => {
    const f = await startHaproxyRunFixture(TOPOLOGY);
    try {
      const dp = f.run.dataPlane;
      await dp.setSplit('web', { vendor: 50, inhouse: 50 }, 'step under the guard', {
        actor: 'test',
        deadMan: { safeSplit: SAFE, timeoutMs: 1000 },
      });
      const before = await f.send('web', 100);
      assert.ok(onPool(before, 'inhouse') >= 40, `half the route on inhouse: ${JSON.stringify(before.served)}`);
      f.cut();
      // HAProxy alone moves the traffic back: piper cannot reach it, nor feed the guard.
      await untilAllOn(f, 'vendor');
      assert.notEqual(dp.snapshot().routes[0]?.deadMan, null, 'piper, cut off, still shows the guard it armed');
      assert.equal(
        f.events.some((e) => e.kind === 'deadman.reverted'),
        false,
      );
      f.heal();
      for (let i = 0; i < 100 && dp.snapshot().routes[0]?.deadMan !== null; i++) await sleep(100);
      const route = dp.snapshot().routes[0];
      assert.equal(route?.deadMan, null, 'once reachable, the revert shows in the snapshot');
      assert.equal(route?.split.inhouse, 0);
      const reverted = f.events.find((e) => e.kind === 'deadman.reverted');
      assert.ok(reverted, 'and is journaled');
      assert.equal(reverted.actor, 'haproxy');
      assert.ok((reverted.data.silentMs as number) >= 1000);
      assert.deepEqual(reverted.data.safeSplit, SAFE);
    } finally {
      await f.close();
    }
  });

  it('outlives piper: with the data plane gone mid-migration, HAProxy puts the route back on its own', async () => {
    const f = await startHaproxyRunFixture(TOPOLOGY);
    try {
      await f.run.dataPlane.setSplit('web', { vendor: 0, inhouse: 1 }, 'all on inhouse under the guard', {
        deadMan: { safeSplit: SAFE, timeoutMs: 1000 },
      });
      assert.equal(onPool(await f.send('web', 20), 'inhouse'), 20);
      // piper's side stops (as a killed controller would); HAProxy keeps running.
      await f.run.dataPlane.close();
      await untilAllOn(f, 'vendor');
      const state = await f.operator.showServersState('web');
      assert.deepEqual(Object.fromEntries(state.map((s) => [s.server, s.weight])), { 'vendor.v1': 256, 'inhouse.h1': 0 });
    } finally {
      await f.close();
    }
  });
});

describe('a split under a guard on an HAProxy without piper’s guard', { skip }, () => {
  let haproxy: RunningHaproxy;
  const backends = [new FixtureBackend('v1'), new FixtureBackend('h1')];
  let dp: HaproxyDataPlane;
  const events: DataPlaneEvent[] = [];

  before(async () => {
    for (const b of backends) await b.listen();
    const [v1, h1] = backends as [FixtureBackend, FixtureBackend];
    haproxy = await startHaproxy({
      servers: [
        { name: 'vendor.v1', port: v1.port, weight: 256 },
        { name: 'inhouse.h1', port: h1.port, weight: 0 },
      ],
    });
    const config = unwrapConfig(
      validateConfig({
        dataPlane: { kind: 'haproxy', haproxy: { attach: true, statsSocket: haproxy.socket } },
        pools: {
          vendor: { backends: [{ name: 'v1', url: `http://127.0.0.1:${v1.port}` }] },
          inhouse: { backends: [{ name: 'h1', url: `http://127.0.0.1:${h1.port}` }] },
        },
        routes: [{ name: 'web', split: { vendor: 100, inhouse: 0 } }],
      }),
    );
    const clock = new SystemClock();
    const client = new RuntimeApiClient({ address: { path: haproxy.socket }, clock, random: new SeededRandom(1) });
    const telemetry = await HaproxyTelemetry.start({ client, clock });
    dp = await HaproxyDataPlane.start({ config, client, telemetry, clock, random: new SeededRandom(2) });
    dp.onEvent((e) => events.push(e));
  });
  after(async () => {
    await dp?.close();
    await haproxy?.stop();
    for (const b of backends) await b.close();
  });

  it('is refused with its weights left as they were: a migration step never runs unguarded', async () => {
    await assert.rejects(
      dp.setSplit('web', { vendor: 50, inhouse: 50 }, 'step', { deadMan: { safeSplit: SAFE, timeoutMs: 10_000 } }),
      (err) => isPiperError(err, 'PIPER_HAPROXY_NO_GUARD'),
    );
    const state = await new RuntimeApiClient({
      address: { path: haproxy.socket },
      clock: new SystemClock(),
      random: new SeededRandom(3),
    }).showServersState('web');
    assert.deepEqual(Object.fromEntries(state.map((s) => [s.server, s.weight])), { 'vendor.v1': 256, 'inhouse.h1': 0 });
    assert.deepEqual(events, [], 'nothing is journaled as done');
    assert.deepEqual(dp.snapshot().routes[0]?.split, { vendor: 256, inhouse: 0 });
  });

  it('without a guard (an operator’s split), is applied and reported as HAProxy read it back', async () => {
    await dp.setSplit('web', { vendor: 3, inhouse: 1 }, 'operator split', { actor: 'gilfoyle' });
    const changed = events.find((e) => e.kind === 'split.changed');
    assert.ok(changed);
    // Each pool's weight as HAProxy reports it (the sum of its servers' weights): exactly 3 to 1.
    const to = changed.data.to as { vendor: number; inhouse: number };
    assert.equal(to.vendor, 3 * to.inhouse);
    assert.deepEqual(dp.snapshot().routes[0]?.split, to);
    assert.deepEqual(changed.data.asked, { vendor: 3, inhouse: 1 });
    assert.equal(changed.actor, 'gilfoyle');
  });
});
