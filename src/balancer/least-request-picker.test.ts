import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SeededRandom } from '../core/index.ts';
import { BackendRuntime } from './backend-runtime.ts';
import { LeastRequestPicker } from './least-request-picker.ts';

function backends(weights: number[]): BackendRuntime[] {
  return weights.map(
    (w, i) => new BackendRuntime({ pool: 'p', name: `b${i}`, url: `http://127.0.0.1:${9000 + i}`, weight: w, admittedAt: -1e9 }),
  );
}

describe('LeastRequestPicker', () => {
  it('prefers the backend with fewer requests in flight', () => {
    const bs = backends([100, 100]);
    (bs[0] as BackendRuntime).inFlight = 10;
    const picker = new LeastRequestPicker({ random: new SeededRandom(1), now: () => 0, slowStartMs: 0 });
    for (let i = 0; i < 50; i++) assert.equal(picker.pick(bs, null)?.name, 'b1');
  });

  it('spreads by weight when idle', () => {
    const bs = backends([300, 100, 100]);
    const picker = new LeastRequestPicker({ random: new SeededRandom(7), now: () => 0, slowStartMs: 0 });
    const counts: Record<string, number> = {};
    for (let i = 0; i < 3000; i++) {
      const b = picker.pick(bs, null) as BackendRuntime;
      counts[b.name] = (counts[b.name] ?? 0) + 1;
    }
    // With P2C, the heavier backend wins every pair it is drawn into: 2 of 3 pairs.
    assert.ok((counts.b0 as number) > 1800, JSON.stringify(counts));
  });

  it('skips unroutable backends and the excluded one; null when none is left', () => {
    const bs = backends([100, 100, 100]);
    (bs[0] as BackendRuntime).draining = true;
    (bs[1] as BackendRuntime).ejectedUntil = 1;
    const picker = new LeastRequestPicker({ random: new SeededRandom(3), now: () => 0, slowStartMs: 0 });
    for (let i = 0; i < 20; i++) assert.equal(picker.pick(bs, null)?.name, 'b2');
    assert.equal(picker.pick(bs, bs[2] as BackendRuntime), null);
    (bs[2] as BackendRuntime).activeHealth = 'unhealthy';
    assert.equal(picker.pick(bs, null), null);
  });

  it('slow start: a just-admitted backend gets a reduced share that grows to full', () => {
    let now = 0;
    const bs = backends([100, 100]);
    (bs[1] as BackendRuntime).admittedAt = 0;
    const picker = new LeastRequestPicker({ random: new SeededRandom(5), now: () => now, slowStartMs: 10_000 });
    assert.equal((bs[1] as BackendRuntime).effectiveWeight(0, 10_000), 10);
    assert.equal((bs[1] as BackendRuntime).effectiveWeight(5_000, 10_000), 50);
    assert.equal((bs[1] as BackendRuntime).effectiveWeight(10_000, 10_000), 100);
    // With equal in-flight, the ramping backend loses every comparison until it is at full weight.
    for (let i = 0; i < 20; i++) assert.equal(picker.pick(bs, null)?.name, 'b0');
    now = 10_000;
    const names = new Set(Array.from({ length: 40 }, () => picker.pick(bs, null)?.name));
    assert.ok(names.has('b1'));
  });
});
