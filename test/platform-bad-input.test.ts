import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import zlib from 'node:zlib';
import { type PlatformFixture, sampleText, startFixture } from './platform-fixture.ts';

// Every malformed or hostile input gets its status and code, and the server keeps serving.

let fx: PlatformFixture;
before(async () => {
  fx = await startFixture({ maxUploadSize: 4 * 1024 * 1024, maxDecompressedSize: 8 * 1024 * 1024, maxDecompressionRatio: 200 });
});
after(async () => {
  await fx.close();
});

async function post(path: string, body: Buffer | string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${fx.url}${path}`, {
    method: 'POST',
    body: typeof body === 'string' ? body : new Uint8Array(body),
    headers: { 'content-type': 'application/octet-stream', ...headers },
  });
}

async function expectError(r: Response, status: number, code: string): Promise<void> {
  assert.equal(r.status, status);
  const body = (await r.json()) as { error: { code: string; message: string } };
  assert.equal(body.error.code, code);
  assert.ok(body.error.message.length > 0);
}

/** Sends raw bytes on a socket and returns everything the server answered. */
function rawExchange(text: string | Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const { port } = new URL(fx.url);
    const socket = connect(Number(port), '127.0.0.1', () => socket.write(text));
    let got = '';
    socket.setEncoding('utf8').on('data', (d: string) => {
      got += d;
    });
    socket.on('end', () => resolve(got));
    socket.on('error', reject);
  });
}

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (await check()) return;
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.fail(`still not true: ${what}`);
}

async function openFds(): Promise<number> {
  return (await readdir('/proc/self/fd')).length;
}

describe('corrupt and mislabelled bodies', () => {
  test('a truncated zstd body is 400 PIPER_PLATFORM_CORRUPT_INPUT', async () => {
    const packed = zlib.zstdCompressSync(sampleText(100_000));
    await expectError(await post('/api/v1/decompress', packed.subarray(0, packed.length - 10)), 400, 'PIPER_PLATFORM_CORRUPT_INPUT');
  });

  test('a gzip body with damaged blocks is 400 PIPER_PLATFORM_CORRUPT_INPUT', async () => {
    const packed = Buffer.from(zlib.gzipSync(sampleText(100_000)));
    packed.fill(0xff, 20, 60);
    await expectError(await post('/api/v1/decompress', packed), 400, 'PIPER_PLATFORM_CORRUPT_INPUT');
  });

  test('brotli named as such but corrupt is 400; unnamed brotli is 415 PIPER_PLATFORM_UNKNOWN_FORMAT', async () => {
    await expectError(await post('/api/v1/decompress?codec=brotli', 'not brotli at all'), 400, 'PIPER_PLATFORM_CORRUPT_INPUT');
    await expectError(await post('/api/v1/decompress', zlib.brotliCompressSync('hello')), 415, 'PIPER_PLATFORM_UNKNOWN_FORMAT');
  });

  test('an empty body to decompress is 415 PIPER_PLATFORM_UNKNOWN_FORMAT', async () => {
    await expectError(await post('/api/v1/decompress', ''), 415, 'PIPER_PLATFORM_UNKNOWN_FORMAT');
  });

  test('a corrupt body found after the response started cuts the connection instead of ending it cleanly', async () => {
    const good = zlib.zstdCompressSync(randomBytes(3 * 1024 * 1024));
    const bad = good.subarray(0, good.length - 1000);
    const r = await post('/api/v1/decompress', bad);
    assert.equal(r.status, 200);
    await assert.rejects(r.arrayBuffer());
  });

  test('multipart form uploads are 415 PIPER_PLATFORM_UNSUPPORTED_MEDIA_TYPE', async () => {
    const form = new FormData();
    form.append('file', new Blob(['hello']), 'a.txt');
    const r = await fetch(`${fx.url}/api/v1/files`, { method: 'POST', body: form });
    await expectError(r, 415, 'PIPER_PLATFORM_UNSUPPORTED_MEDIA_TYPE');
  });

  test('an unknown Content-Encoding is 415 PIPER_PLATFORM_UNKNOWN_CODEC', async () => {
    await expectError(await post('/api/v1/decompress', 'x', { 'content-encoding': 'compress' }), 415, 'PIPER_PLATFORM_UNKNOWN_CODEC');
  });
});

describe('limits', () => {
  test('a decompression bomb is stopped with 413 PIPER_PLATFORM_DECOMPRESSION_BOMB', async () => {
    const bomb = zlib.zstdCompressSync(Buffer.alloc(64 * 1024 * 1024));
    assert.ok(bomb.length < 10_000);
    await expectError(await post('/api/v1/decompress', bomb), 413, 'PIPER_PLATFORM_DECOMPRESSION_BOMB');
  });

  test('output over maxDecompressedSize is 413 PIPER_PLATFORM_DECOMPRESSED_TOO_LARGE', async () => {
    const small = await startFixture({ maxDecompressedSize: 512 * 1024 });
    try {
      // Ratio about 1 (no bomb), but 1 MiB out against a limit of 512 KiB.
      const packed = zlib.gzipSync(randomBytes(1024 * 1024), { level: 1 });
      const r = await fetch(`${small.url}/api/v1/decompress`, { method: 'POST', body: new Uint8Array(packed) });
      await expectError(r, 413, 'PIPER_PLATFORM_DECOMPRESSED_TOO_LARGE');
    } finally {
      await small.close();
    }
  });

  test('an upload with a Content-Length over the limit is 413 PIPER_PLATFORM_TOO_LARGE before it is read', async () => {
    await expectError(await post('/api/v1/files?name=big', randomBytes(5 * 1024 * 1024)), 413, 'PIPER_PLATFORM_TOO_LARGE');
  });

  test('a chunked upload that passes the limit is 413 PIPER_PLATFORM_TOO_LARGE and stores nothing', async () => {
    const chunk = randomBytes(1024 * 1024);
    const body = new ReadableStream({
      start(controller) {
        for (let i = 0; i < 6; i++) controller.enqueue(chunk);
        controller.close();
      },
    });
    const r = await fetch(`${fx.url}/api/v1/files?name=chunked`, { method: 'POST', body, duplex: 'half' } as RequestInit);
    await expectError(r, 413, 'PIPER_PLATFORM_TOO_LARGE');
    assert.deepEqual(await readdir(join(fx.dataDir, 'tmp')), []);
  });

  test('request headers over maxHeaderSize are 431 PIPER_PLATFORM_HEADERS_TOO_LARGE', async () => {
    const answer = await rawExchange(`GET /healthz HTTP/1.1\r\nhost: x\r\nx-big: ${'a'.repeat(20_000)}\r\n\r\n`);
    assert.match(answer, /^HTTP\/1\.1 431 /);
    assert.match(answer, /"code":"PIPER_PLATFORM_HEADERS_TOO_LARGE"/);
  });

  test('a request that is not HTTP is 400 PIPER_PLATFORM_BAD_REQUEST', async () => {
    const answer = await rawExchange('HELLO THERE\r\n\r\n');
    assert.match(answer, /^HTTP\/1\.1 400 /);
    assert.match(answer, /"code":"PIPER_PLATFORM_BAD_REQUEST"/);
  });
});

describe('parameters and ids', () => {
  test('an unknown codec is 400 PIPER_PLATFORM_UNKNOWN_CODEC', async () => {
    await expectError(await post('/api/v1/compress?codec=lzma', 'x'), 400, 'PIPER_PLATFORM_UNKNOWN_CODEC');
    await expectError(await post('/api/v1/files?codec=middle-out', 'x'), 400, 'PIPER_PLATFORM_UNKNOWN_CODEC');
  });

  test('a level outside the codec range, or not an integer, is 400 PIPER_PLATFORM_BAD_LEVEL', async () => {
    await expectError(await post('/api/v1/compress?codec=zstd&level=23', 'x'), 400, 'PIPER_PLATFORM_BAD_LEVEL');
    await expectError(await post('/api/v1/compress?codec=gzip&level=0', 'x'), 400, 'PIPER_PLATFORM_BAD_LEVEL');
    await expectError(await post('/api/v1/compress?codec=brotli&level=high', 'x'), 400, 'PIPER_PLATFORM_BAD_LEVEL');
    await expectError(await post('/api/v1/files?codec=auto&level=3', 'x'), 400, 'PIPER_PLATFORM_BAD_LEVEL');
  });

  test('an id with ../ or of the wrong shape is 400 PIPER_PLATFORM_BAD_ID', async () => {
    for (const id of ['..%2F..%2F..%2Fetc%2Fpasswd', '..%2Fmetadata.db', 'abc', 'A'.repeat(64)]) {
      await expectError(await fetch(`${fx.url}/api/v1/files/${id}`), 400, 'PIPER_PLATFORM_BAD_ID');
      await expectError(await fetch(`${fx.url}/api/v1/files/${id}`, { method: 'DELETE' }), 400, 'PIPER_PLATFORM_BAD_ID');
    }
    const raw = await rawExchange('GET /api/v1/files/../../../etc/passwd HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n');
    assert.match(raw, /^HTTP\/1\.1 404 /);
    assert.doesNotMatch(raw, /root:/);
  });

  test('a bad pagination parameter is 400 PIPER_PLATFORM_BAD_QUERY; an unknown path 404 PIPER_PLATFORM_NOT_FOUND', async () => {
    await expectError(await fetch(`${fx.url}/api/v1/files?limit=0`), 400, 'PIPER_PLATFORM_BAD_QUERY');
    await expectError(await fetch(`${fx.url}/api/v1/files?offset=-1`), 400, 'PIPER_PLATFORM_BAD_QUERY');
    await expectError(await fetch(`${fx.url}/api/v2/files`), 404, 'PIPER_PLATFORM_NOT_FOUND');
    await expectError(await fetch(`${fx.url}/api/v1/files`, { method: 'PUT', body: 'x' }), 404, 'PIPER_PLATFORM_NOT_FOUND');
  });

  test('a file name with control characters is 400 PIPER_PLATFORM_BAD_NAME', async () => {
    await expectError(await post('/api/v1/files?name=a%0Ab', 'x'), 400, 'PIPER_PLATFORM_BAD_NAME');
  });
});

describe('failures mid-request and at rest', () => {
  test('a client that disconnects mid-upload leaves no object, no temporary file and no open descriptor', async () => {
    const before = await openFds();
    const { port } = new URL(fx.url);
    await new Promise<void>((resolve) => {
      const req = request({
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/api/v1/files?name=cut',
        headers: { 'content-length': 3_000_000 },
      });
      req.on('error', () => resolve());
      req.write(randomBytes(1_000_000), () => {
        // Let the server start storing, then vanish.
        setTimeout(() => {
          req.destroy();
          resolve();
        }, 50);
      });
    });
    await until('the upload is cleaned up', async () => (await readdir(join(fx.dataDir, 'tmp'))).length === 0);
    await until('descriptors are released', async () => (await openFds()) <= before);
    const list = (await (await fetch(`${fx.url}/api/v1/files?limit=1000`)).json()) as { files: { name: string }[] };
    assert.equal(
      list.files.some((f) => f.name === 'cut'),
      false,
    );
  });

  test('a stored object whose bytes changed on disk is 500 PIPER_PLATFORM_OBJECT_CORRUPT, decoded or raw', async () => {
    const text = sampleText(200_000);
    const f = (await (await post('/api/v1/files?name=victim&codec=zstd', text)).json()) as { id: string };
    const path = join(fx.dataDir, 'objects', f.id.slice(0, 2), f.id.slice(2, 4), f.id);
    const stored = await readFile(path);
    const mid = Math.floor(stored.length / 2);
    stored[mid] = (stored[mid] as number) ^ 0xff;
    await writeFile(path, stored);
    await expectError(
      await fetch(`${fx.url}/api/v1/files/${f.id}`, { headers: { 'accept-encoding': 'identity' } }),
      500,
      'PIPER_PLATFORM_OBJECT_CORRUPT',
    );
    await expectError(
      await fetch(`${fx.url}/api/v1/files/${f.id}`, { headers: { 'accept-encoding': 'zstd' } }),
      500,
      'PIPER_PLATFORM_OBJECT_CORRUPT',
    );
    const metrics = await (await fetch(`${fx.url}/metrics`)).text();
    assert.match(metrics, /piper_platform_corrupt_objects_total [2-9]/);
  });

  test('after all of the above the server still serves', async () => {
    assert.equal((await fetch(`${fx.url}/healthz`)).status, 200);
    assert.equal((await fetch(`${fx.url}/readyz`)).status, 200);
    const text = sampleText(10_000);
    const r = await post('/api/v1/files?name=after', text);
    assert.ok(r.status === 201 || r.status === 200);
    await r.arrayBuffer();
  });
});
