import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { get } from 'node:http';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type PlatformFixture, startFixture } from './platform-fixture.ts';

// A stored object is never served as a complete body unless its hash matched: past the bytes a
// response holds back, a mismatch must cut the connection before the last byte leaves.

let fx: PlatformFixture;
before(async () => {
  fx = await startFixture();
});
after(async () => {
  await fx.close();
});

interface Download {
  status: number;
  contentLength: number | undefined;
  received: number;
  /** The body ended cleanly, as opposed to the connection being cut. */
  complete: boolean;
}

function download(id: string, acceptEncoding: string): Promise<Download> {
  return new Promise((resolve, reject) => {
    get(`${fx.url}/api/v1/files/${id}`, { agent: false, headers: { 'accept-encoding': acceptEncoding } }, (res) => {
      let received = 0;
      let settled = false;
      const finish = (complete: boolean): void => {
        if (settled) return;
        settled = true;
        const length = res.headers['content-length'];
        resolve({ status: res.statusCode ?? 0, contentLength: length === undefined ? undefined : Number(length), received, complete });
      };
      res.on('data', (c: Buffer) => {
        received += c.length;
      });
      res.on('end', () => finish(true));
      res.on('aborted', () => finish(false));
      res.on('error', () => finish(false));
      res.on('close', () => finish(res.complete));
    }).on('error', reject);
  });
}

/** Stores `body` with `codec`, then flips one byte in the middle of its file, where the stored format still decodes. */
async function storeAndCorrupt(codec: string, body: Buffer, decodes: (stored: Buffer) => void): Promise<string> {
  const level = codec === 'identity' ? '' : '&level=1';
  const r = await fetch(`${fx.url}/api/v1/files?codec=${codec}${level}`, { method: 'POST', body: new Uint8Array(body) });
  const { id } = (await r.json()) as { id: string };
  const path = join(fx.dataDir, 'objects', id.slice(0, 2), id.slice(2, 4), id);
  const stored = await readFile(path);
  for (let at = Math.floor(stored.length / 2); ; at++) {
    const flipped = Buffer.from(stored);
    flipped[at] = (flipped[at] as number) ^ 0x01;
    try {
      // The flip must land in data, not in framing that a decoder would reject anyway: only a
      // corruption that decodes cleanly shows whether the hash is checked in time.
      decodes(flipped);
    } catch {
      continue;
    }
    await writeFile(path, flipped);
    return id;
  }
}

function assertNeverComplete(d: Download, what: string): void {
  assert.ok(d.status === 200 || d.status === 500, `${what}: status ${d.status}`);
  if (d.status === 200) {
    assert.ok(d.contentLength !== undefined && d.contentLength > 4 * 1024 * 1024, `${what}: an exact Content-Length over the hold`);
    assert.ok(
      !(d.complete && d.received === d.contentLength),
      `${what}: ${d.received} of ${d.contentLength} bytes arrived as a complete body`,
    );
  }
}

const size = 6 * 1024 * 1024;

test('served corrupted data: one byte flipped on disk in a zstd object over 4 MiB never arrives as a complete body, decoded or raw', async () => {
  // Random bytes are stored as raw blocks, so the middle byte is data. zstd frames carry a checksum
  // of their content (as the CLI writes them): decoded, the codec fails at the end of the frame too;
  // raw, only our hash stands between the disk and the client.
  const id = await storeAndCorrupt('zstd', randomBytes(size), () => undefined);
  assertNeverComplete(await download(id, 'identity'), 'zstd decoded');
  assertNeverComplete(await download(id, 'zstd'), 'zstd raw');
});

test('served corrupted data: one byte flipped on disk in a gzip object over 4 MiB never arrives as a complete raw body', async () => {
  // gzip checks its own CRC when decoded; raw, only our hash stands between the disk and the client.
  const id = await storeAndCorrupt('gzip', randomBytes(size), () => undefined);
  assertNeverComplete(await download(id, 'gzip'), 'gzip raw');
});

test('served corrupted data: one byte flipped on disk in an identity object over 4 MiB never arrives as a complete body', async () => {
  const id = await storeAndCorrupt('identity', randomBytes(size), () => undefined);
  assertNeverComplete(await download(id, 'identity'), 'identity');
});

test('after the corrupt downloads the server still serves good objects whole', async () => {
  const body = randomBytes(size);
  const r = await fetch(`${fx.url}/api/v1/files?codec=zstd&level=1`, { method: 'POST', body: new Uint8Array(body) });
  const { id } = (await r.json()) as { id: string };
  for (const encoding of ['identity', 'zstd']) {
    const d = await download(id, encoding);
    assert.equal(d.status, 200);
    assert.equal(d.complete, true);
    assert.equal(d.received, d.contentLength);
  }
});
