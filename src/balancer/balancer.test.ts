import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type PiperConfig, unwrapConfig, validateConfig } from '../config/index.ts';
import { isPiperError, ManualClock, SeededRandom, silentLogger } from '../core/index.ts';
import { Balancer } from './balancer.ts';
import type { DataPlane, DataPlaneEvent } from '../data-plane/index.ts';

function config(overrides: Record<string, unknown> = {}): PiperConfig {
  return unwrapConfig(
    validateConfig({
      pools: {
        vendor: { backends: [{ name: 'v1', url: 'http://127.0.0.1:9001' }], healthCheck: { enabled: false } },
        inhouse: { backends: [{ name: 'i1', url: 'http://127.0.0.1:9011' }], healthCheck: { enabled: false } },
      },
      routes: [{ name: 'web', split: { vendor: 100, inhouse: 0 } }],
      ...overrides,
    }),
  );
}

function setup(cfg = config()) {
  const clock = new ManualClock();
  const balancer = new Balancer({ config: cfg, clock, random: new SeededRandom(1), logger: silentLogger(), connect: false });
  const events: DataPlaneEvent[] = [];
  balancer.onEvent((e) => events.push(e));
  return { clock, balancer, events };
}

describe('Balancer as a DataPlane', () => {
  it('changes a split atomically and emits split.changed with the reason and actor', async () => {
    const { balancer, events } = setup();
    await balancer.setSplit('web', { vendor: 90, inhouse: 10 }, 'step 1', { actor: 'rollout' });
    assert.deepEqual(balancer.snapshot().routes[0]?.split, { vendor: 90, inhouse: 10 });
    assert.equal(events.length, 1);
    assert.equal(events[0]?.kind, 'split.changed');
    assert.equal(events[0]?.subject, 'web');
    assert.equal(events[0]?.actor, 'rollout');
    assert.deepEqual(events[0]?.data.from, { vendor: 100, inhouse: 0 });
    assert.deepEqual(events[0]?.data.to, { vendor: 90, inhouse: 10 });
    assert.equal(events[0]?.data.reason, 'step 1');
    await balancer.close(0);
  });

  it('offers the open telemetry window on the port (inProgress) for the rollout fast path', async () => {
    const { clock, balancer } = setup();
    const dp: DataPlane = balancer;
    const outcome = { route: 'web', pool: 'inhouse', backend: 'i1', latencyMs: 3, bytesIn: 0, bytesOut: 10, retries: 0 };
    balancer.telemetry.record({ ...outcome, status: 200, errorKind: null });
    clock.advance(120);
    balancer.telemetry.record({ ...outcome, status: 502, errorKind: 'connect' });
    const open = dp.inProgress?.();
    assert.equal(open?.start, Math.floor(clock.now() / 1000) * 1000);
    assert.deepEqual(open?.pools.inhouse, { requests: 2, failed: 1, connectFailures: 1, firstFailureAt: clock.now() });
    await balancer.close(0);
  });

  it('refuses an unknown route, unknown pool, all-zero weights and a missing reason', async () => {
    const { balancer, events } = setup();
    const code = (e: unknown) => (isPiperError(e) ? e.code : String(e));
    await assert.rejects(balancer.setSplit('nope', { vendor: 1 }, 'r'), (e) => code(e) === 'PIPER_BALANCER_UNKNOWN_ROUTE');
    await assert.rejects(balancer.setSplit('web', { other: 1 }, 'r'), (e) => code(e) === 'PIPER_BALANCER_INVALID_SPLIT');
    await assert.rejects(balancer.setSplit('web', { vendor: 0 }, 'r'), (e) => code(e) === 'PIPER_BALANCER_INVALID_SPLIT');
    await assert.rejects(balancer.setSplit('web', { vendor: 1.5 }, 'r'), (e) => code(e) === 'PIPER_BALANCER_INVALID_SPLIT');
    await assert.rejects(balancer.setSplit('web', { vendor: 1 }, ' '), (e) => code(e) === 'PIPER_BALANCER_INVALID_SPLIT');
    assert.equal(events.length, 0);
    assert.deepEqual(balancer.snapshot().routes[0]?.split, { vendor: 100, inhouse: 0 });
    await balancer.close(0);
  });

  it('dead-man: reverts to the safe split on its own when heartbeats stop, and emits deadman.reverted', async () => {
    const { clock, balancer, events } = setup();
    await balancer.setSplit('web', { vendor: 50, inhouse: 50 }, 'step 4', {
      actor: 'rollout',
      deadMan: { safeSplit: { vendor: 100, inhouse: 0 }, timeoutMs: 10_000 },
    });
    // Heartbeats keep it armed well past the timeout.
    for (let i = 0; i < 5; i++) {
      clock.advance(9_000);
      balancer.heartbeat('web');
    }
    assert.deepEqual(balancer.snapshot().routes[0]?.split, { vendor: 50, inhouse: 50 });
    assert.equal(balancer.snapshot().routes[0]?.deadMan?.lastHeartbeat, clock.now());
    clock.advance(9_999);
    assert.deepEqual(balancer.snapshot().routes[0]?.split, { vendor: 50, inhouse: 50 });
    clock.advance(1);
    assert.deepEqual(balancer.snapshot().routes[0]?.split, { vendor: 100, inhouse: 0 });
    assert.equal(balancer.snapshot().routes[0]?.deadMan, null);
    const revert = events.find((e) => e.kind === 'deadman.reverted');
    assert.ok(revert);
    assert.equal(revert.actor, 'balancer');
    assert.deepEqual(revert.data, {
      from: { vendor: 50, inhouse: 50 },
      to: { vendor: 100, inhouse: 0 },
      silentMs: 10_000,
      timeoutMs: 10_000,
    });
    assert.deepEqual(
      events.map((e) => e.kind),
      ['split.changed', 'split.changed', 'deadman.reverted'],
    );
    await balancer.close(0);
  });

  it('dead-man: null disarms it; heartbeat on an unarmed route is harmless', async () => {
    const { clock, balancer } = setup();
    await balancer.setSplit('web', { vendor: 50, inhouse: 50 }, 'a', { deadMan: { safeSplit: { vendor: 100 }, timeoutMs: 1000 } });
    await balancer.setSplit('web', { vendor: 40, inhouse: 60 }, 'b', { deadMan: null });
    clock.advance(5_000);
    balancer.heartbeat('web');
    assert.deepEqual(balancer.snapshot().routes[0]?.split, { vendor: 40, inhouse: 60 });
    await balancer.close(0);
  });

  it('drain and undrain emit events and change health', async () => {
    const { balancer, events } = setup();
    balancer.drain('vendor', 'v1', 'alice');
    assert.equal(balancer.snapshot().pools[0]?.backends[0]?.health, 'draining');
    assert.equal(balancer.snapshot().pools[0]?.healthyBackends, 0);
    balancer.undrain('vendor', 'v1', 'alice');
    assert.deepEqual(
      events.map((e) => `${e.kind} ${e.subject} ${e.actor}`),
      ['backend.drained vendor/v1 alice', 'backend.undrained vendor/v1 alice'],
    );
    assert.throws(
      () => balancer.drain('vendor', 'nope'),
      (e) => isPiperError(e, 'PIPER_BALANCER_UNKNOWN_BACKEND'),
    );
    assert.throws(
      () => balancer.drain('nope', 'v1'),
      (e) => isPiperError(e, 'PIPER_BALANCER_UNKNOWN_POOL'),
    );
    await balancer.close(0);
  });

  it('reload keeps a changed split (and its dead-man) unless the configured split changed', async () => {
    const { clock, balancer, events } = setup();
    await balancer.setSplit('web', { vendor: 70, inhouse: 30 }, 'step', { deadMan: { safeSplit: { vendor: 100 }, timeoutMs: 5_000 } });
    await balancer.reload(config());
    assert.deepEqual(balancer.snapshot().routes[0]?.split, { vendor: 70, inhouse: 30 });
    assert.notEqual(balancer.snapshot().routes[0]?.deadMan, null);
    clock.advance(5_000);
    assert.deepEqual(balancer.snapshot().routes[0]?.split, { vendor: 100 }, 'the dead-man survived the reload');
    await balancer.reload(config({ routes: [{ name: 'web', split: { vendor: 10, inhouse: 90 } }] }));
    assert.deepEqual(balancer.snapshot().routes[0]?.split, { vendor: 10, inhouse: 90 });
    assert.equal(events.filter((e) => e.kind === 'config.reloaded').length, 2);
    await balancer.close(0);
  });

  it('close() leaves no timer behind and is idempotent', async () => {
    const { clock, balancer } = setup(
      config({ pools: { vendor: { backends: [{ name: 'v1', url: 'http://127.0.0.1:9001' }] } }, routes: [] }),
    );
    balancer.start();
    await balancer.close(0);
    await balancer.close(0);
    assert.equal(clock.pending, 0);
  });
});
