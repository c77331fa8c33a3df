import assert from 'node:assert/strict';
import { test } from 'node:test';
import { weissmanScore } from './weissman-score.ts';

test('the reference scores exactly alpha against itself', () => {
  assert.equal(weissmanScore({ ratio: 5.732, timeMs: 1210, referenceRatio: 5.732, referenceTimeMs: 1210 }), 1);
  assert.equal(weissmanScore({ ratio: 5.732, timeMs: 1210, referenceRatio: 5.732, referenceTimeMs: 1210, alpha: 2 }), 2);
});

test('matches the worked example of zstd -3 against gzip -6 (W = 1.75)', () => {
  // docs/platform.md: (7.42 / 5.73) · (ln 1210 / ln 190) = 1.75
  const w = weissmanScore({ ratio: 7.42, timeMs: 190, referenceRatio: 5.732, referenceTimeMs: 1210 });
  assert.ok(w !== undefined && Math.abs(w - 1.751) < 0.005, String(w));
});

test('rewards a faster codec with the same ratio and a better ratio at the same speed', () => {
  const base = { referenceRatio: 3, referenceTimeMs: 100 };
  const slow = weissmanScore({ ...base, ratio: 3, timeMs: 100 }) as number;
  const fast = weissmanScore({ ...base, ratio: 3, timeMs: 20 }) as number;
  const better = weissmanScore({ ...base, ratio: 4, timeMs: 100 }) as number;
  assert.ok(fast > slow && better > slow);
});

test('is undefined when a time is at or under 1 ms, where log T would be zero or negative', () => {
  assert.equal(weissmanScore({ ratio: 3, timeMs: 1, referenceRatio: 3, referenceTimeMs: 100 }), undefined);
  assert.equal(weissmanScore({ ratio: 3, timeMs: 0.5, referenceRatio: 3, referenceTimeMs: 100 }), undefined);
  assert.equal(weissmanScore({ ratio: 3, timeMs: 50, referenceRatio: 3, referenceTimeMs: 0.9 }), undefined);
  assert.equal(weissmanScore({ ratio: 0, timeMs: 50, referenceRatio: 3, referenceTimeMs: 100 }), undefined);
});
