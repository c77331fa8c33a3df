import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SeededRandom } from '../core/index.ts';
import { pickPool, readCookie } from './split-picker.ts';

const all = (): boolean => true;

describe('pickPool', () => {
  it('splits by weight', () => {
    const random = new SeededRandom(11);
    const counts: Record<string, number> = { a: 0, b: 0 };
    for (let i = 0; i < 10_000; i++) {
      const pool = pickPool({ a: 90, b: 10 }, ['a', 'b'], all, random, null) as string;
      counts[pool] = (counts[pool] ?? 0) + 1;
    }
    assert.ok((counts.b as number) > 850 && (counts.b as number) < 1150, JSON.stringify(counts));
  });

  it('a sticky key keeps its pool; moving weight toward a pool keeps everyone already on it', () => {
    const random = new SeededRandom(1);
    const users = Array.from({ length: 500 }, (_, i) => `session-${i}`);
    const before = users.map((u) => pickPool({ a: 50, b: 50 }, ['a', 'b'], all, random, u));
    assert.deepEqual(
      users.map((u) => pickPool({ b: 50, a: 50 }, ['a', 'b'], all, random, u)),
      before,
      'key order of the split does not matter',
    );
    const after = users.map((u) => pickPool({ a: 20, b: 80 }, ['a', 'b'], all, random, u));
    users.forEach((_, i) => {
      if (before[i] === 'b') assert.equal(after[i], 'b');
    });
    const moved = after.filter((p, i) => p !== before[i]).length;
    assert.ok(moved > 100 && moved < 200, `about 30 % of users move, got ${moved}`);
  });

  it('skips pools with weight 0 or no usable backend, null when none', () => {
    const random = new SeededRandom(2);
    for (let i = 0; i < 50; i++) assert.equal(pickPool({ a: 0, b: 5 }, ['a', 'b'], all, random, null), 'b');
    assert.equal(
      pickPool({ a: 1, b: 5 }, ['a', 'b'], (p) => p === 'a', random, null),
      'a',
    );
    assert.equal(
      pickPool({ a: 1 }, ['a'], () => false, random, null),
      null,
    );
  });
});

describe('readCookie', () => {
  it('reads one cookie among several', () => {
    assert.equal(readCookie('a=1; pp_session=xyz; b=2', 'pp_session'), 'xyz');
    assert.equal(readCookie('pp_session=xyz', 'pp_session'), 'xyz');
    assert.equal(readCookie('xpp_session=1', 'pp_session'), null);
    assert.equal(readCookie(undefined, 'pp_session'), null);
  });
});
