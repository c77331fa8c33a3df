import assert from 'node:assert/strict';
import { test } from 'node:test';
import zlib from 'node:zlib';
import { detectFormat } from './magic-bytes.ts';

test('detects gzip and zstd by their magic numbers', () => {
  assert.equal(detectFormat(zlib.gzipSync('x')), 'gzip');
  assert.equal(detectFormat(zlib.zstdCompressSync(Buffer.from('x'))), 'zstd');
});

test('does not recognise brotli (it has no magic), plain text, or too few bytes', () => {
  assert.equal(detectFormat(zlib.brotliCompressSync('hello hello hello')), undefined);
  assert.equal(detectFormat(Buffer.from('plain text')), undefined);
  assert.equal(detectFormat(Buffer.from([0x1f])), undefined);
  assert.equal(detectFormat(Buffer.from([0x28, 0xb5, 0x2f])), undefined);
  assert.equal(detectFormat(Buffer.alloc(0)), undefined);
});
