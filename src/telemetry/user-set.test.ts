import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeUserIds, encodeUserIds } from '../core/index.ts';
import { UserSet, userIdOf, userIdOfBytes } from './user-set.ts';

test('a user id is the same from a string and from the bytes of a log line, and never 0', () => {
  const line = Buffer.from('piper2 203.0.113.9 .', 'latin1');
  assert.equal(userIdOfBytes(line, 7, 18), userIdOf('203.0.113.9'));
  assert.notEqual(userIdOf('a'), userIdOf('b'));
  assert.ok(userIdOf('') > 0);
});

test('a user set keeps each id once and its text form decodes to the ids, ascending', () => {
  const set = new UserSet();
  for (const key of ['c', 'a', 'b', 'a', 'c']) set.add(userIdOf(key));
  set.add(0);
  assert.equal(set.size, 3);
  const ids = ['a', 'b', 'c'].map(userIdOf).sort((x, y) => x - y);
  assert.deepEqual(decodeUserIds(set.encode()), ids);
  assert.equal(set.encode(), encodeUserIds(ids));
  set.reset();
  assert.equal(set.size, 0);
  assert.deepEqual(decodeUserIds(set.encode()), []);
  assert.deepEqual(decodeUserIds('AAA='), [], 'not a whole number of ids');
});
