import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isPiperError, SeededRandom } from '../core/index.ts';
import { MAX_SERVER_WEIGHT, SHARE_TOLERANCE, serverWeights, type WeightedPool, type WeightPlan } from './server-weights.ts';

function pool(...weights: number[]): WeightedPool {
  return { backends: weights.map((weight, i) => ({ name: `b${i + 1}`, weight })) };
}

/** The shares HAProxy gives each pool with these weights, computed from the servers alone. */
function sharesOf(plan: WeightPlan): Map<string, number> {
  const sum = plan.servers.reduce((a, s) => a + s.weight, 0);
  const byPool = new Map<string, number>();
  for (const s of plan.servers) byPool.set(s.pool, (byPool.get(s.pool) ?? 0) + s.weight / sum);
  return byPool;
}

function assertPlan(split: Record<string, number>, pools: Record<string, WeightedPool>, label: string): WeightPlan {
  const plan = serverWeights(split, pools);
  const total = Object.values(split).reduce((a, b) => a + b, 0);
  const shares = sharesOf(plan);
  for (const s of plan.servers) {
    assert.ok(
      Number.isInteger(s.weight) && s.weight >= 0 && s.weight <= MAX_SERVER_WEIGHT,
      `${label}: ${s.pool}.${s.backend} = ${s.weight}`,
    );
  }
  for (const [name, weight] of Object.entries(split)) {
    const got = shares.get(name) ?? 0;
    const error = Math.abs(got - weight / total);
    assert.ok(
      error < SHARE_TOLERANCE,
      `${label}: pool ${name} gets ${(got * 100).toFixed(3)} % for ${((weight / total) * 100).toFixed(3)} % asked`,
    );
    assert.ok(Math.abs((plan.shares[name] ?? Number.NaN) - got) < 1e-12, `${label}: reported share of ${name}`);
    if (weight === 0) assert.equal(got, 0, `${label}: pool ${name} at weight 0 gets nothing`);
  }
  return plan;
}

test('one pool: its backends keep their proportions, the heaviest at 256', () => {
  const plan = serverWeights({ vendor: 100 }, { vendor: pool(100, 100, 50) });
  assert.deepEqual(
    plan.servers.map((s) => s.weight),
    [256, 256, 128],
  );
  assert.equal(plan.maxError, 0);
});

test('a pool at weight 0 gets weight 0 on every server, and the other pool all of it', () => {
  const plan = serverWeights({ vendor: 100, inhouse: 0 }, { vendor: pool(100, 100, 100), inhouse: pool(100, 100) });
  assert.deepEqual(
    plan.servers.map((s) => `${s.pool}.${s.backend}=${s.weight}`),
    ['inhouse.b1=0', 'inhouse.b2=0', 'vendor.b1=256', 'vendor.b2=256', 'vendor.b3=256'],
  );
  assert.deepEqual(plan.shares, { inhouse: 0, vendor: 1 });
});

test('each migration step of the example config is within 0.5 points, the 1 % step on both in-house servers', () => {
  const pools = { vendor: pool(100, 100, 100), inhouse: pool(100, 100) };
  for (const step of [1, 5, 10, 25, 50, 100]) {
    const plan = assertPlan({ vendor: 100 - step, inhouse: step }, pools, `step ${step}`);
    if (step === 1) assert.ok(plan.servers.filter((s) => s.pool === 'inhouse').every((s) => s.weight > 0));
  }
});

test('realistic pools (1–12 backends, equal or uneven weights) on every step stay within 0.5 points', () => {
  const random = new SeededRandom(17);
  const steps = [0.1, 0.5, 1, 2, 5, 10, 25, 33, 50, 66, 75, 90, 99, 99.5, 99.9];
  let worst = 0;
  for (let trial = 0; trial < 120; trial++) {
    const makePool = (): WeightedPool => {
      const n = 1 + random.int(12);
      const uneven = random.next() < 0.5;
      return pool(...Array.from({ length: n }, () => (uneven ? 1 + random.int(1000) : 100)));
    };
    const pools: Record<string, WeightedPool> = { a: makePool(), b: makePool(), c: makePool() };
    for (const step of steps) {
      const split = trial % 3 === 0 ? { a: 1000 - step * 10, b: step * 5, c: step * 5 } : { a: 1000 - step * 10, b: step * 10 };
      const plan = assertPlan(split, pools, `trial ${trial} step ${step}`);
      worst = Math.max(worst, plan.maxError);
      // Hamilton's rounding at a total of 256 or more gives any share of 1/256 at least weight 1.
      for (const [name, weight] of Object.entries(split)) {
        if (weight / 1000 >= 1 / 256)
          assert.ok((sharesOf(plan).get(name) ?? 0) > 0, `trial ${trial} step ${step}: pool ${name} is asked for traffic`);
      }
    }
  }
  assert.ok(worst < SHARE_TOLERANCE, `worst error ${worst}`);
});

test('at a small share a large pool uses only some of its backends so that its share stays right', () => {
  const pools = { vendor: pool(100, 100), inhouse: pool(...Array.from({ length: 20 }, () => 100)) };
  const plan = assertPlan({ vendor: 99, inhouse: 1 }, pools, '1 % on 20 backends');
  const inhouse = plan.servers.filter((s) => s.pool === 'inhouse');
  assert.ok(inhouse.some((s) => s.weight === 0));
  assert.ok(inhouse.some((s) => s.weight > 0));
});

test('tiny shares beside a one-server pool: the closest weights win over weight 1 for every pool', () => {
  // Three pools at 0.05 % each and one backend for the rest: weight 1 each would give the big
  // pool at most 256/259 = 98.8 % for 99.85 % asked, 1.0 point off; the closest weights are used.
  const pools = { big: pool(100), t1: pool(100), t2: pool(100), t3: pool(100) };
  const plan = assertPlan({ big: 9985, t1: 5, t2: 5, t3: 5 }, pools, 'tiny shares');
  assert.ok(plan.maxError < SHARE_TOLERANCE);
});

test('a split naming a pool that has no backends is refused with PIPER_HAPROXY_BAD_SPLIT', () => {
  assert.throws(
    () => serverWeights({ vendor: 1, ghost: 1 }, { vendor: pool(100) }),
    (err) => isPiperError(err, 'PIPER_HAPROXY_BAD_SPLIT') && /ghost/.test(err.message),
  );
  assert.throws(
    () => serverWeights({ vendor: 0 }, { vendor: pool(100) }),
    (err) => isPiperError(err, 'PIPER_HAPROXY_BAD_SPLIT'),
  );
  assert.throws(
    () => serverWeights({ vendor: Number.NaN }, { vendor: pool(100) }),
    (err) => isPiperError(err, 'PIPER_HAPROXY_BAD_SPLIT'),
  );
});
