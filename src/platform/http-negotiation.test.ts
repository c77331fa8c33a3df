import assert from 'node:assert/strict';
import { test } from 'node:test';
import { acceptsEncoding } from './accept-encoding.ts';
import { parseRange } from './byte-range.ts';

test('Accept-Encoding: listed codings, q=0 exclusions, and the * wildcard', () => {
  assert.equal(acceptsEncoding('gzip, deflate, br, zstd', 'zstd'), true);
  assert.equal(acceptsEncoding('gzip;q=0.5, br', 'gzip'), true);
  assert.equal(acceptsEncoding('gzip;q=0, *', 'gzip'), false);
  assert.equal(acceptsEncoding('*', 'br'), true);
  assert.equal(acceptsEncoding('*;q=0', 'br'), false);
  assert.equal(acceptsEncoding('identity', 'gzip'), false);
  assert.equal(acceptsEncoding(undefined, 'gzip'), false);
  assert.equal(acceptsEncoding('', 'gzip'), false);
});

test('Range: single ranges, suffixes, open ends; unsatisfiable is null; others are ignored', () => {
  assert.deepEqual(parseRange('bytes=0-9', 100), { start: 0, end: 9 });
  assert.deepEqual(parseRange('bytes=90-', 100), { start: 90, end: 99 });
  assert.deepEqual(parseRange('bytes=-10', 100), { start: 90, end: 99 });
  assert.deepEqual(parseRange('bytes=50-500', 100), { start: 50, end: 99 });
  assert.equal(parseRange('bytes=100-', 100), null);
  assert.equal(parseRange('bytes=9-3', 100), null);
  assert.equal(parseRange('bytes=-0', 100), null);
  assert.equal(parseRange(undefined, 100), undefined);
  assert.equal(parseRange('bytes=0-1,5-6', 100), undefined);
  assert.equal(parseRange('items=0-1', 100), undefined);
});
