// What a person reads from the platform's API: sizes in binary units with the exact numbers in
// `details`, empty uploads refused with their own code, the real reason a file was stored as is,
// and an error page for a browser where an API client gets the JSON error.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { after, before, test } from 'node:test';
import zlib from 'node:zlib';
import { type PlatformFixture, sampleText, startFixture } from './platform-fixture.ts';

const MiB = 1024 * 1024;
const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8';

interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> };
}

let fx: PlatformFixture;
before(async () => {
  fx = await startFixture({ maxUploadSize: MiB, maxStoreSize: 64 * MiB });
});
after(async () => {
  await fx.close();
});

async function upload(body: Buffer, query = ''): Promise<Response> {
  return fetch(`${fx.url}/api/v1/files?name=f.bin${query}`, {
    method: 'POST',
    body: new Uint8Array(body),
    headers: { 'content-type': 'application/octet-stream' },
  });
}

/** Sends raw bytes on a socket and returns everything the server answered. */
function rawExchange(text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(Number(new URL(fx.url).port), '127.0.0.1', () => socket.write(text));
    let got = '';
    socket.setEncoding('utf8').on('data', (d: string) => {
      got += d;
    });
    socket.on('end', () => resolve(got));
    socket.on('error', reject);
  });
}

test('a 413 says the sizes in MiB and keeps the exact bytes in details', async () => {
  const r = await upload(randomBytes(3 * MiB));
  assert.equal(r.status, 413);
  const body = (await r.json()) as ErrorBody;
  assert.deepEqual(body.error, {
    code: 'PIPER_PLATFORM_TOO_LARGE',
    message: 'an upload of 3.00 MiB is over the limit of 1.00 MiB',
    details: { size: 3 * MiB, limit: MiB },
  });
});

test('a size that rounds to its limit is written with its bytes, so the two never read the same', async () => {
  const r = await upload(randomBytes(MiB + 1));
  assert.equal(r.status, 413);
  assert.equal(
    ((await r.json()) as ErrorBody).error.message,
    'an upload of 1.00 MiB (1048577 bytes) is over the limit of 1.00 MiB (1048576 bytes)',
  );
});

test('an empty upload is 400 PIPER_PLATFORM_EMPTY_UPLOAD, declared or chunked, and nothing is stored', async () => {
  const r = await upload(Buffer.alloc(0));
  assert.equal(r.status, 400);
  assert.deepEqual(((await r.json()) as ErrorBody).error, {
    code: 'PIPER_PLATFORM_EMPTY_UPLOAD',
    message: 'the file is empty (0 bytes): there is nothing to store',
  });
  const chunked = await rawExchange(
    'POST /api/v1/files?name=e HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n0\r\n\r\n',
  );
  assert.match(chunked, /^HTTP\/1\.1 400 /);
  assert.match(chunked, /"code":"PIPER_PLATFORM_EMPTY_UPLOAD"/);
  const list = (await (await fetch(`${fx.url}/api/v1/files`)).json()) as { total: number };
  assert.equal(list.total, 0);
});

test('the answer says why a file was stored as is: incompressible, already compressed, too small, or asked for', async () => {
  const cases: [Buffer, string, string, RegExp][] = [
    [
      randomBytes(200 * 1024),
      '',
      'incompressible',
      /^stored as is: incompressible on the whole file; (every codec would have grown it|the best codec \(\w+ \d+\) saved only)/,
    ],
    [randomBytes(600 * 1024), '', 'incompressible', /^stored as is: incompressible on its first \d+\.\d KiB; /],
    [zlib.gzipSync(randomBytes(100 * 1024)), '', 'already-compressed', /^stored as is: already compressed \(gzip data\)/],
    [
      Buffer.from('a short note'),
      '',
      'too-small',
      /^stored as is: too small to gain at 12 B, a codec's own framing costs more than it saves; every codec would have grown it \(the best, \w+ \d+, by \d+ %\)$/,
    ],
    [sampleText(10_000), '&codec=identity', 'asked', /^stored as is: codec=identity was asked for$/],
  ];
  for (const [content, query, kind, reason] of cases) {
    const r = await upload(content, query);
    assert.equal(r.status, 201);
    const f = (await r.json()) as { codec: string; storedAsIs: string; codecReason: string; weissman: number | null };
    assert.equal(f.codec, 'identity', kind);
    assert.equal(f.storedAsIs, kind);
    assert.match(f.codecReason, reason);
    assert.equal(f.weissman, null);
  }
  const compressed = (await (await upload(sampleText(200_000))).json()) as { codec: string; storedAsIs: string | null };
  assert.notEqual(compressed.codec, 'identity');
  assert.equal(compressed.storedAsIs, null);
});

test('content stored before keeps its codec, and the answer says so rather than this upload’s plan', async () => {
  const text = sampleText(50_000);
  assert.equal((await upload(text, '&codec=identity')).status, 201);
  const again = (await (await upload(text)).json()) as { deduplicated: boolean; storedAsIs: string; codecReason: string };
  assert.equal(again.deduplicated, true);
  assert.equal(again.storedAsIs, 'earlier-upload');
  assert.equal(again.codecReason, 'already stored by an earlier upload, as is');
});

test('a browser gets an HTML error page; fetch, curl and API clients get the JSON error', async () => {
  const page = await fetch(`${fx.url}/no/such/<page>`, { headers: { accept: BROWSER_ACCEPT } });
  assert.equal(page.status, 404);
  assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
  assert.equal(page.headers.get('vary'), 'Accept');
  assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'self'/);
  const html = await page.text();
  assert.match(html, /<h1>404 Not Found<\/h1>/);
  assert.match(html, /Nothing at \/no\/such\/%3Cpage%3E\./);
  assert.match(html, /<code id="error-code">PIPER_PLATFORM_NOT_FOUND<\/code>/);
  assert.match(html, /<a class="button" href="\/">/);
  assert.match(html, /<link rel="stylesheet" href="\/assets\/site.css">/);

  for (const accept of ['*/*', 'application/json', undefined]) {
    const r = await fetch(`${fx.url}/no/such/page`, accept === undefined ? {} : { headers: { accept } });
    assert.equal(r.status, 404);
    assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
    assert.deepEqual(await r.json(), { error: { code: 'PIPER_PLATFORM_NOT_FOUND', message: 'nothing at /no/such/page' } });
  }

  // Errors raised in the API too: a file that is not there, asked for by a browser's download link.
  const missing = await fetch(`${fx.url}/api/v1/files/${'0'.repeat(64)}`, { headers: { accept: BROWSER_ACCEPT } });
  assert.equal(missing.status, 404);
  assert.match(await missing.text(), /No file with id 0{64}\./);
});

test('an error page escapes what the request put in the message', async () => {
  const r = await fetch(`${fx.url}/api/v1/files?codec=${encodeURIComponent('"><script>alert(1)</script>')}`, {
    method: 'POST',
    body: 'x',
    headers: { accept: 'text/html' },
  });
  assert.equal(r.status, 400);
  const html = await r.text();
  assert.doesNotMatch(html, /<script>/);
  assert.match(html, /Unknown codec &quot;&quot;&gt;&lt;script&gt;alert\(1\)&lt;\/script&gt;&quot;: expected one of/);
});
