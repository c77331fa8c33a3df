import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import zlib from 'node:zlib';
import type { Codec } from './codec.ts';
import { compressedFormat } from './compressed-formats.ts';
import type { ProbeResult } from './sample-probe.ts';
import { storedAsIsReason } from './stored-as-is.ts';
import { brotliCodec, gzipCodec, zstdCodec } from './zlib-codecs.ts';

function probe(codec: Codec, level: number, inputBytes: number, outputBytes: number): ProbeResult {
  return { codec, level, inputBytes, outputBytes, ratio: inputBytes / outputBytes, timeMs: 2, mbPerSecond: 100 };
}

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

test('names already compressed formats by their first bytes, and nothing else', () => {
  assert.equal(compressedFormat(zlib.gzipSync('x')), 'gzip');
  assert.equal(compressedFormat(zlib.zstdCompressSync(Buffer.from('x'))), 'zstd');
  assert.equal(compressedFormat(Buffer.concat([PNG, randomBytes(16)])), 'PNG');
  assert.equal(compressedFormat(Buffer.from([0xff, 0xd8, 0xff, 0xe0])), 'JPEG');
  assert.equal(compressedFormat(Buffer.from('PK\u0003\u0004rest')), 'ZIP');
  assert.equal(compressedFormat(Buffer.from('\u0000\u0000\u0000\u0018ftypmp42')), 'MP4');
  assert.equal(compressedFormat(Buffer.from('RIFF\u0000\u0000\u0000\u0000WEBPVP8 ')), 'WebP');
  assert.equal(compressedFormat(Buffer.from('plain text, not compressed')), undefined);
  assert.equal(compressedFormat(Buffer.alloc(0)), undefined);
});

test('already compressed comes first, then too small for a whole file under 512 bytes, else incompressible', () => {
  const grew = [probe(zstdCodec, 3, 300, 309), probe(brotliCodec, 5, 300, 304), probe(gzipCodec, 6, 300, 320)];
  assert.deepEqual(storedAsIsReason(Buffer.concat([PNG, randomBytes(292)]), true, grew, 1.05), {
    kind: 'already-compressed',
    text: 'stored as is: already compressed (PNG data); every codec would have grown it (the best, brotli 5, by 1.3 %)',
  });
  assert.equal(storedAsIsReason(randomBytes(300), true, grew, 1.05).kind, 'too-small');
  // The same 300 bytes as the start of a longer file say nothing about its size.
  assert.equal(storedAsIsReason(randomBytes(300), false, grew, 1.05).kind, 'incompressible');
});

test('incompressible says where it was measured and how much the best codec saved against the minimum', () => {
  const saved = [probe(zstdCodec, 3, 262_144, 260_000), probe(gzipCodec, 6, 262_144, 261_000)];
  assert.deepEqual(storedAsIsReason(randomBytes(262_144), false, saved, 1.05), {
    kind: 'incompressible',
    text: 'stored as is: incompressible on its first 256.0 KiB; the best codec (zstd 3) saved only 0.8 % (ratio 1.008, under the 1.05 needed)',
  });
  const tiny = [probe(zstdCodec, 3, 100_000, 99_990)];
  assert.match(
    storedAsIsReason(randomBytes(100_000), true, tiny, 1.05).text,
    /^stored as is: incompressible on the whole file; .* saved only under 0\.1 %/,
  );
});
