import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SeededRandom } from './random.ts';

test('a seeded random repeats its sequence for the same seed and differs for another', () => {
  const a = new SeededRandom(42);
  const b = new SeededRandom(42);
  const c = new SeededRandom(43);
  const sa = Array.from({ length: 20 }, () => a.next());
  assert.deepEqual(
    sa,
    Array.from({ length: 20 }, () => b.next()),
  );
  assert.notDeepEqual(
    sa,
    Array.from({ length: 20 }, () => c.next()),
  );
});

test('a seeded random is uniform enough for picking: each of 4 buckets gets 25% ± 2%', () => {
  const r = new SeededRandom(7);
  const counts = [0, 0, 0, 0];
  for (let i = 0; i < 40_000; i++) {
    const k = r.int(4);
    counts[k] = (counts[k] ?? 0) + 1;
  }
  for (const n of counts) assert.ok(Math.abs(n / 40_000 - 0.25) < 0.02, `bucket share ${n / 40_000}`);
});
