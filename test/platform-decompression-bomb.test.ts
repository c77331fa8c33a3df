import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { after, before, test } from 'node:test';
import zlib from 'node:zlib';
import { type PlatformFixture, startFixture } from './platform-fixture.ts';

// Decompression bombs must be refused with a status, never answered 200 and cut off late.

let fx: PlatformFixture;
before(async () => {
  fx = await startFixture({ maxDecompressedSize: 4 * 1024 * 1024, maxDecompressionRatio: 100 });
});
after(async () => {
  await fx.close();
});

interface Outcome {
  status: number;
  code: string | undefined;
  /** True when the body ended cleanly (not cut). */
  complete: boolean;
  received: number;
}

/** POSTs `body` in one write and reads the whole answer, noting whether it ended or was cut. */
function decompress(body: Buffer, url = fx.url): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = request(
      `${url}/api/v1/decompress`,
      { method: 'POST', agent: false, headers: { 'content-type': 'application/octet-stream', 'content-length': body.length } },
      (res) => {
        answered = true;
        const parts: Buffer[] = [];
        let received = 0;
        res.on('data', (c: Buffer) => {
          received += c.length;
          if (parts.length < 4) parts.push(c);
        });
        const finish = (complete: boolean): void => {
          let code: string | undefined;
          if (res.statusCode !== 200) code = (JSON.parse(Buffer.concat(parts).toString()) as { error: { code: string } }).error.code;
          resolve({ status: res.statusCode ?? 0, code, complete, received });
        };
        res.on('end', () => finish(true));
        res.on('error', () => finish(false));
        res.on('aborted', () => finish(false));
      },
    );
    // The server may answer and close before it has read the whole body.
    req.on('error', (err) => {
      if (!answered) reject(err);
    });
    req.end(body);
  });
}

test('decompression bomb counted against socket bytes: a gzip bomb sent whole is refused with 413 before any output, not streamed as 200', async () => {
  // 32 MiB of zeros in ~32 KB: ratio ~1000 against a limit of 100. The old guard divided the
  // output by every byte read from the socket (the whole bomb at once), so it let ~3 MB out
  // as a 200 before cutting it.
  const bomb = zlib.gzipSync(Buffer.alloc(32 * 1024 * 1024), { level: 9 });
  const r = await decompress(bomb);
  assert.equal(r.status, 413);
  assert.equal(r.code, 'PIPER_PLATFORM_DECOMPRESSION_BOMB');
});

test('decompression bomb with a declared size: a zstd frame whose header declares more than maxDecompressedSize is refused from its header', async () => {
  // Incompressible, so no ratio limit applies: only the declared size (RFC 8878 §3.1.1.1.4) can refuse it.
  const packed = zlib.zstdCompressSync(randomBytes(5 * 1024 * 1024), { params: { [zlib.constants.ZSTD_c_compressionLevel]: 1 } });
  const r = await decompress(packed);
  assert.equal(r.status, 413);
  assert.equal(r.code, 'PIPER_PLATFORM_DECOMPRESSED_TOO_LARGE');
});

test('decompression bomb with a declared ratio: a zstd frame declaring 100x its Content-Length is refused from its header', async () => {
  const bomb = zlib.zstdCompressSync(Buffer.alloc(3 * 1024 * 1024));
  const r = await decompress(bomb);
  assert.equal(r.status, 413);
  assert.equal(r.code, 'PIPER_PLATFORM_DECOMPRESSION_BOMB');
});

test('a stream that passes maxDecompressedSize after the response started is cut, never a complete-looking 200', async () => {
  const small = await startFixture({ maxDecompressedSize: 3 * 1024 * 1024 });
  try {
    const r = await decompress(zlib.gzipSync(randomBytes(4 * 1024 * 1024), { level: 1 }), small.url);
    assert.equal(r.status, 200);
    assert.equal(r.complete, false);
    assert.ok(r.received <= 3 * 1024 * 1024);
  } finally {
    await small.close();
  }
});

test('legitimate input under the limits still decompresses', async () => {
  const input = randomBytes(2 * 1024 * 1024);
  for (const packed of [zlib.gzipSync(input), zlib.zstdCompressSync(input)]) {
    const r = await decompress(packed);
    assert.equal(r.status, 200);
    assert.equal(r.complete, true);
    assert.equal(r.received, input.length);
  }
});
