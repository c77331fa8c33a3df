import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SeededRandom } from '../core/index.ts';
import { pickPool, readCookie } from './split-picker.ts';

const all = (): boolean => true;

const FIRST = ['anna', 'bob', 'carla', 'dev', 'erin', 'fatima', 'gus', 'hana', 'ivan', 'jo', 'kim', 'lars', 'mia', 'nora', 'omar'];
const LAST = ['smith', 'ng', 'garcia', 'khan', 'muller', 'rossi', 'kowalski', 'dubois', 'silva', 'sato', 'okafor'];

/**
 * Sticky keys of the shapes sites use, `n` of each, the same every run: sequential ids
 * (`user-0`…), random hex tokens, e-mail addresses (`first.last123@example.com`) and v4 UUIDs.
 */
function stickyIdSets(n: number): Record<'sequential' | 'hex' | 'email' | 'uuid', string[]> {
  const random = new SeededRandom(25);
  const hex = (digits: number): string => {
    let out = '';
    for (let i = 0; i < digits; i++) out += Math.floor(random.next() * 16).toString(16);
    return out;
  };
  const ids = Array.from({ length: n }, (_, i) => i);
  return {
    sequential: ids.map((i) => `user-${i}`),
    hex: ids.map(() => hex(16)),
    email: ids.map(
      (i) => `${FIRST[i % FIRST.length]}.${LAST[Math.floor(i / FIRST.length) % LAST.length]}${Math.floor(i / 165)}@example.com`,
    ),
    uuid: ids.map(() => `${hex(8)}-${hex(4)}-4${hex(3)}-${'89ab'[Math.floor(random.next() * 4)]}${hex(3)}-${hex(12)}`),
  };
}

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

describe('sticky shares', () => {
  const percents = [1, 5, 10, 50];
  const random = new SeededRandom(3);
  /** Who lands on the target at `pct` % (the controller's splits are in basis points). */
  const onTarget = (users: readonly string[], pct: number): boolean[] =>
    users.map((u) => pickPool({ source: 10_000 - pct * 100, target: pct * 100 }, ['source', 'target'], all, random, u) === 'target');
  /**
   * The longest run a fair coin landing on the target with chance p makes among n keys more than
   * 1 time in 100: a longer run means the hash groups similar keys (about n(1-p)p^L runs of L).
   */
  const fairRun = (n: number, p: number): number => {
    let run = 1;
    while (n * (1 - p) * p ** run >= 0.01) run++;
    return run;
  };

  for (const [kind, users] of Object.entries(stickyIdSets(10_000))) {
    it(`puts ${kind} ids on the target within 1 point of 1, 5, 10 and 50 %, never in long runs`, () => {
      for (const pct of percents) {
        const on = onTarget(users, pct);
        const share = (on.filter(Boolean).length / users.length) * 100;
        assert.ok(Math.abs(share - pct) <= 1, `${kind} at ${pct} %: ${share.toFixed(2)} %`);
        let run = 0;
        let longest = 0;
        for (const x of on) {
          run = x ? run + 1 : 0;
          longest = Math.max(longest, run);
        }
        assert.ok(longest <= fairRun(users.length, pct / 100), `${kind} at ${pct} %: a run of ${longest} consecutive ids`);
      }
    });
  }

  it('a user on the target at a step stays on it at every larger step', () => {
    const users = stickyIdSets(10_000).sequential;
    let before = onTarget(users, percents[0] as number);
    for (const pct of percents.slice(1)) {
      const after = onTarget(users, pct);
      before.forEach((was, i) => {
        if (was) assert.equal(after[i], true, `${users[i]} left the target at ${pct} %`);
      });
      before = after;
    }
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
