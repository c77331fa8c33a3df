import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mismatchPolicy } from './event-checks.ts';

test('tests and development runs refuse an event the catalogue does not know; other runs log it and keep it', () => {
  assert.equal(mismatchPolicy({ NODE_ENV: 'test' }), 'throw');
  assert.equal(mismatchPolicy({ NODE_ENV: 'development' }), 'throw');
  assert.equal(mismatchPolicy({ NODE_ENV: 'production' }), 'log');
  assert.equal(mismatchPolicy({}), 'log');
});
