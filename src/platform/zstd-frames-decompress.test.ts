import assert from 'node:assert/strict';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { test } from 'node:test';
import zlib from 'node:zlib';
import { ZstdFrameScanner } from './zstd-frame-scanner.ts';
import { ZstdFramesDecompress } from './zstd-frames-decompress.ts';

const a = Buffer.from('pied piper '.repeat(40_000));
const b = Buffer.from('middle out '.repeat(500));
const withChecksum = { params: { [zlib.constants.ZSTD_c_checksumFlag]: 1 } };
/** A skippable frame (RFC 8878 §3.1.2): magic 0x184D2A53, 3 bytes of user data. */
const skippable = Buffer.from([0x53, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 1, 2, 3]);
const frames = [zlib.zstdCompressSync(a), skippable, zlib.zstdCompressSync(b, withChecksum), zlib.zstdCompressSync(Buffer.alloc(0))];
const body = Buffer.concat(frames);

function chunks(buf: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < buf.length; i += size) out.push(buf.subarray(i, i + size));
  return out;
}

async function decode(parts: Buffer[]): Promise<Buffer> {
  const out: Buffer[] = [];
  await pipeline(
    Readable.from(parts),
    new ZstdFramesDecompress(),
    new Writable({
      write(c: Buffer, _e, done) {
        out.push(c);
        done();
      },
    }),
  );
  return Buffer.concat(out);
}

test('the scanner finds every frame end, whatever the chunking', () => {
  const expected: number[] = [];
  let at = 0;
  for (const f of frames) {
    at += f.length;
    expected.push(at);
  }
  for (const size of [1, 2, 3, 5, 64, 4096, body.length]) {
    const scanner = new ZstdFrameScanner();
    const found: number[] = [];
    let base = 0;
    for (const c of chunks(body, size)) {
      for (const end of scanner.frameEnds(c)) found.push(base + end);
      base += c.length;
    }
    assert.deepEqual(found, expected, `chunks of ${size}`);
  }
});

test('a body of several frames decodes whole, as zstd -d does, in one chunk or many', async () => {
  const whole = Buffer.concat([a, b]);
  for (const size of [1, 7, 1000, body.length]) {
    assert.ok((await decode(chunks(body, size))).equals(whole), `chunks of ${size}`);
  }
});

test('bytes after the last frame that are not a frame fail the stream', async () => {
  const parts = [Buffer.concat([zlib.zstdCompressSync(b), Buffer.from('not zstd at all')])];
  await assert.rejects(decode(parts));
});
