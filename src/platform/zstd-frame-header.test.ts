import assert from 'node:assert/strict';
import { test } from 'node:test';
import zlib from 'node:zlib';
import { zstdDeclaredSize } from './zstd-frame-header.ts';

test('reads the content size a zstd frame declares, for each width of the field', () => {
  for (const size of [0, 1, 200, 300, 70_000, 5 * 1024 * 1024]) {
    assert.equal(zstdDeclaredSize(zlib.zstdCompressSync(Buffer.alloc(size))), size, `size ${size}`);
  }
  // Eight-byte field, written by hand: single segment off, FCS flag 3, window byte, 2^33.
  const head = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0xc0, 0x58, 0, 0, 0, 0, 2, 0, 0, 0]);
  assert.equal(zstdDeclaredSize(head), 2 ** 33);
});

test('a frame without a declared size, a short head or other bytes give undefined', async () => {
  // A streaming compressor does not know the size when it writes the header.
  const parts: Buffer[] = [];
  const compressor = zlib.createZstdCompress();
  compressor.on('data', (c: Buffer) => parts.push(c));
  compressor.end(Buffer.alloc(100_000));
  await new Promise((resolve) => compressor.on('end', resolve));
  assert.equal(zstdDeclaredSize(Buffer.concat(parts)), undefined);
  assert.equal(zstdDeclaredSize(Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x58])), undefined);
  assert.equal(zstdDeclaredSize(Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x80, 0x58, 1])), undefined);
  assert.equal(zstdDeclaredSize(Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0])), undefined);
  assert.equal(zstdDeclaredSize(Buffer.alloc(0)), undefined);
});
