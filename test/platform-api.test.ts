import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import zlib from 'node:zlib';
import { type PlatformFixture, sampleText, startFixture } from './platform-fixture.ts';

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

let fx: PlatformFixture;
before(async () => {
  fx = await startFixture();
});
after(async () => {
  await fx.close();
});

async function post(path: string, body: Buffer, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${fx.url}${path}`, {
    method: 'POST',
    body: typeof body === 'string' ? body : new Uint8Array(body),
    headers: { 'content-type': 'application/octet-stream', ...headers },
  });
}

async function bytes(r: Response): Promise<Buffer> {
  return Buffer.from(await r.arrayBuffer());
}

describe('compress and decompress API', () => {
  for (const codec of ['zstd', 'gzip', 'brotli']) {
    test(`${codec}: compress output decodes with zlib, and /decompress returns the original`, async () => {
      const input = sampleText(300_000);
      const r = await post(`/api/v1/compress?codec=${codec}&level=4`, input);
      assert.equal(r.status, 200);
      assert.equal(r.headers.get('x-piper-codec'), codec);
      assert.equal(r.headers.get('x-piper-level'), '4');
      const packed = await bytes(r);
      const reference =
        codec === 'zstd' ? zlib.zstdDecompressSync(packed) : codec === 'gzip' ? zlib.gunzipSync(packed) : zlib.brotliDecompressSync(packed);
      assert.ok(reference.equals(input));
      const back = await post(codec === 'brotli' ? '/api/v1/decompress?codec=brotli' : '/api/v1/decompress', packed);
      assert.equal(back.status, 200);
      assert.ok((await bytes(back)).equals(input));
    });
  }

  test('decompress takes the format from Content-Encoding when given', async () => {
    const input = sampleText(10_000);
    const r = await post('/api/v1/decompress', zlib.brotliCompressSync(input), { 'content-encoding': 'br' });
    assert.equal(r.status, 200);
    assert.ok((await bytes(r)).equals(input));
  });

  test('decompress returns every frame of a zstd body of several frames, as zstd -d does (it returned the first only)', async () => {
    const parts = [sampleText(300_000), Buffer.from('a second frame'), sampleText(1000)];
    const packed = Buffer.concat(parts.map((p) => zlib.zstdCompressSync(p)));
    const r = await post('/api/v1/decompress', packed);
    assert.equal(r.status, 200);
    assert.ok((await bytes(r)).equals(Buffer.concat(parts)));
  });

  test('compress defaults to zstd level 3; codec=auto stores random input as identity', async () => {
    const d = await post('/api/v1/compress', sampleText(1000));
    assert.equal(d.headers.get('x-piper-codec'), 'zstd');
    assert.equal(d.headers.get('x-piper-level'), '3');
    await d.arrayBuffer();
    const input = randomBytes(200_000);
    const r = await post('/api/v1/compress?codec=auto', input);
    assert.equal(r.headers.get('x-piper-codec'), 'identity');
    assert.ok((await bytes(r)).equals(input));
  });

  test('a body of several MiB streams through in both directions', async () => {
    // Text with some entropy in every 4 KiB: one line repeated for megabytes compresses over
    // 1000:1, which /decompress rightly takes for a bomb.
    const text = Buffer.concat(Array.from({ length: 750 }, () => Buffer.concat([sampleText(4000), randomBytes(64)])));
    const input = Buffer.concat([text, randomBytes(2_000_000)]);
    const packed = await bytes(await post('/api/v1/compress?codec=zstd&level=1', input));
    const back = await bytes(await post('/api/v1/decompress', packed));
    assert.equal(sha(back), sha(input));
  });
});

describe('file store API', () => {
  const text = sampleText(500_000);
  let id = '';

  test('POST /api/v1/files stores the upload and reports codec, ratio and Weissman score', async () => {
    const r = await post('/api/v1/files?name=report.txt', text, { 'content-type': 'text/plain' });
    assert.equal(r.status, 201);
    const f = (await r.json()) as Record<string, unknown>;
    id = f.id as string;
    assert.equal(id, sha(text));
    assert.equal(r.headers.get('location'), `/api/v1/files/${id}`);
    assert.equal(f.name, 'report.txt');
    assert.equal(f.size, text.length);
    assert.notEqual(f.codec, 'identity');
    assert.ok((f.ratio as number) > 10);
    assert.ok(f.weissman === null || typeof f.weissman === 'number');
    assert.equal(f.deduplicated, false);
  });

  test('the same content again is deduplicated (200, same id)', async () => {
    const r = await post('/api/v1/files?name=again.txt', text);
    assert.equal(r.status, 200);
    const f = (await r.json()) as Record<string, unknown>;
    assert.equal(f.id, id);
    assert.equal(f.deduplicated, true);
  });

  test('GET returns the original bytes with ETag, Vary and the stored content type', async () => {
    const r = await fetch(`${fx.url}/api/v1/files/${id}`, { headers: { 'accept-encoding': 'identity' } });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-encoding'), null);
    assert.equal(r.headers.get('etag'), `"${id}"`);
    assert.equal(r.headers.get('vary'), 'Accept-Encoding');
    assert.equal(r.headers.get('content-type'), 'text/plain');
    assert.ok((await bytes(r)).equals(text));
  });

  test('a client accepting the stored coding gets the stored bytes as they are', async () => {
    const meta = (await fetch(`${fx.url}/api/v1/files/${id}`, { method: 'HEAD', headers: { 'accept-encoding': 'identity' } })).headers;
    assert.equal(meta.get('content-length'), String(text.length));
    const list = (await (await fetch(`${fx.url}/api/v1/files`)).json()) as { files: { id: string; codec: string; storedSize: number }[] };
    const rec = list.files.find((f) => f.id === id);
    assert.ok(rec);
    const token = rec.codec === 'brotli' ? 'br' : rec.codec;
    const res = await new Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }>((resolve, reject) => {
      // fetch would decode the body itself; a raw request shows what went over the wire.
      import('node:http').then(({ get }) =>
        get(`${fx.url}/api/v1/files/${id}`, { headers: { 'accept-encoding': `${token}, gzip;q=0.5` } }, (m) => {
          const parts: Buffer[] = [];
          m.on('data', (c: Buffer) => parts.push(c));
          m.on('end', () => resolve({ status: m.statusCode ?? 0, headers: m.headers, body: Buffer.concat(parts) }));
        }).on('error', reject),
      );
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-encoding'], token);
    assert.equal(res.headers.etag, `"${id}-${token}"`);
    assert.equal(res.body.length, rec.storedSize);
  });

  test('If-None-Match answers 304; HEAD sends headers only', async () => {
    const r = await fetch(`${fx.url}/api/v1/files/${id}`, { headers: { 'if-none-match': `W/"${id}"`, 'accept-encoding': 'identity' } });
    assert.equal(r.status, 304);
    const h = await fetch(`${fx.url}/api/v1/files/${id}`, { method: 'HEAD', headers: { 'accept-encoding': 'identity' } });
    assert.equal(h.status, 200);
    assert.equal((await h.arrayBuffer()).byteLength, 0);
    assert.equal(h.headers.get('accept-ranges'), 'bytes');
  });

  test('Range returns 206 with the slice; an unsatisfiable range 416 with a code', async () => {
    const r = await fetch(`${fx.url}/api/v1/files/${id}`, { headers: { range: 'bytes=1000-1999' } });
    assert.equal(r.status, 206);
    assert.equal(r.headers.get('content-range'), `bytes 1000-1999/${text.length}`);
    assert.ok((await bytes(r)).equals(text.subarray(1000, 2000)));
    const bad = await fetch(`${fx.url}/api/v1/files/${id}`, { headers: { range: `bytes=${text.length}-` } });
    assert.equal(bad.status, 416);
    assert.equal(((await bad.json()) as { error: { code: string } }).error.code, 'PIPER_PLATFORM_RANGE_NOT_SATISFIABLE');
  });

  test('lists with pagination and deletes', async () => {
    const ids = [id];
    for (let i = 0; i < 3; i++) {
      const f = (await (await post(`/api/v1/files?name=n${i}&codec=gzip&level=1`, Buffer.from(`note ${i}`))).json()) as {
        id: string;
        codec: string;
      };
      assert.equal(f.codec, 'gzip');
      ids.push(f.id);
    }
    const page = (await (await fetch(`${fx.url}/api/v1/files?limit=2&offset=1`)).json()) as {
      files: { id: string }[];
      total: number;
      nextOffset: number | null;
    };
    assert.equal(page.total, 4);
    assert.deepEqual(
      page.files.map((f) => f.id),
      [ids[2], ids[1]],
    );
    assert.equal(page.nextOffset, 3);
    const del = await fetch(`${fx.url}/api/v1/files/${ids[3]}`, { method: 'DELETE' });
    assert.equal(del.status, 204);
    const gone = await fetch(`${fx.url}/api/v1/files/${ids[3]}`);
    assert.equal(gone.status, 404);
    assert.equal(((await gone.json()) as { error: { code: string } }).error.code, 'PIPER_PLATFORM_FILE_NOT_FOUND');
  });
});

describe('health, status, metrics and website', () => {
  test('/healthz and /readyz answer 200 while running', async () => {
    assert.deepEqual(await (await fetch(`${fx.url}/healthz`)).json(), { status: 'ok' });
    assert.equal((await fetch(`${fx.url}/readyz`)).status, 200);
  });

  test('/api/v1/status reports version, uptime and store totals', async () => {
    const s = (await (await fetch(`${fx.url}/api/v1/status`)).json()) as Record<string, unknown>;
    assert.equal(s.status, 'ok');
    assert.equal(s.version, 'test');
    assert.equal(typeof s.uptimeSeconds, 'number');
    assert.equal(typeof s.files, 'number');
  });

  test('/metrics exposes http_server_request_duration_seconds by route and status', async () => {
    await fetch(`${fx.url}/api/v1/files/${'0'.repeat(64)}`).then((r) => r.arrayBuffer());
    const r = await fetch(`${fx.url}/metrics`);
    assert.match(r.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const text = await r.text();
    assert.match(
      text,
      /http_server_request_duration_seconds_count\{http_request_method="GET",http_route="\/api\/v1\/files\/:id",http_response_status_code="404"\} [1-9]/,
    );
    assert.match(text, /piper_platform_stored_files \d+/);
  });

  test('serves the four pages and their assets, with no external resources', async () => {
    for (const page of ['/', '/upload', '/files', '/status']) {
      const r = await fetch(`${fx.url}${page}`);
      assert.equal(r.status, 200, page);
      assert.match(r.headers.get('content-type') ?? '', /^text\/html/);
      const html = await r.text();
      assert.doesNotMatch(html, /(src|href)="(https?:)?\/\//, `${page} loads something from another origin`);
      for (const m of html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)) {
        const asset = await fetch(`${fx.url}${m[1]}`);
        assert.equal(asset.status, 200, m[1]);
        await asset.arrayBuffer();
      }
    }
    const missing = await fetch(`${fx.url}/assets/nope.js`);
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as { error: { code: string } }).error.code, 'PIPER_PLATFORM_NOT_FOUND');
  });
});
