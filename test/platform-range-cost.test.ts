import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { get } from 'node:http';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, before, test } from 'node:test';
import { STORE_BLOCK_SIZE } from '../src/platform/content-store.ts';
import { type PlatformFixture, sampleText, startFixture } from './platform-fixture.ts';

// A Range request costs work in proportion to the bytes it sends, never a decode of the whole
// object for one byte. Work is counted (bytes decoded, bytes read from disk), never timed.

const MiB = 1024 * 1024;
let fx: PlatformFixture;
before(async () => {
  fx = await startFixture({ maxRangeDecodeSize: MiB });
});
after(async () => {
  await fx.close();
});

/** Text that compresses ~20:1: entropy in every 4 KiB, so it is no decompression bomb either. */
function text(bytes: number): Buffer {
  const parts: Buffer[] = [];
  for (let n = 0; n < bytes; n += 4096) parts.push(Buffer.concat([sampleText(4032), randomBytes(64)]));
  return Buffer.concat(parts).subarray(0, bytes);
}

async function store(body: Buffer, codec: string): Promise<string> {
  const r = await fetch(`${fx.url}/api/v1/files?codec=${codec}`, { method: 'POST', body: new Uint8Array(body) });
  assert.ok(r.status === 201 || r.status === 200);
  return ((await r.json()) as { id: string }).id;
}

/** A counter's value from /metrics; fails when the series is absent. */
async function counter(series: string): Promise<number> {
  const metrics = await (await fetch(`${fx.url}/metrics`)).text();
  const line = metrics.split('\n').find((l) => l.startsWith(`${series} `));
  assert.ok(line !== undefined, `no ${series} in /metrics`);
  return Number(line.slice(series.length + 1));
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  complete: boolean;
}

function fetchRaw(id: string, headers: Record<string, string>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    get(`${fx.url}/api/v1/files/${id}`, { agent: false, headers }, (res) => {
      const parts: Buffer[] = [];
      let settled = false;
      const finish = (complete: boolean): void => {
        if (settled) return;
        settled = true;
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts), complete });
      };
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => finish(true));
      res.on('error', () => finish(false));
      res.on('close', () => finish(res.complete));
    }).on('error', reject);
  });
}

const decoded = 'piper_platform_codec_bytes_total{operation="read",codec="zstd"}';
const readFromDisk = 'piper_platform_store_read_bytes_total';

test('CPU amplification through a 1-byte Range on a large compressed object: answered 200 whole, so nothing is decoded that is not sent', async () => {
  const body = text(8 * MiB);
  const id = await store(body, 'zstd');
  const before = await counter(decoded).catch(() => 0);
  const r = await fetchRaw(id, { range: `bytes=${body.length - 1}-${body.length - 1}`, 'accept-encoding': 'identity' });
  assert.equal(r.status, 200);
  assert.equal(r.headers['accept-ranges'], 'none');
  const work = (await counter(decoded)) - before;
  assert.ok(r.body.equals(body));
  assert.ok(work <= r.body.length, `${work} bytes decoded for ${r.body.length} sent`);
});

test('a 1-byte Range on a large uncompressed object reads only its block from disk', async () => {
  const body = randomBytes(24 * MiB);
  const id = await store(body, 'identity');
  const at = 20 * MiB + 12345;
  const before = await counter(readFromDisk);
  const r = await fetchRaw(id, { range: `bytes=${at}-${at}` });
  const work = (await counter(readFromDisk)) - before;
  assert.equal(r.status, 206);
  assert.equal(r.headers['accept-ranges'], 'bytes');
  assert.equal(r.headers['content-range'], `bytes ${at}-${at}/${body.length}`);
  assert.deepEqual([...r.body], [body[at]]);
  assert.ok(work <= STORE_BLOCK_SIZE, `${work} bytes read from disk for 1 byte`);
  // A range across a block boundary reads the two blocks it touches.
  const across = await fetchRaw(id, { range: `bytes=${2 * MiB - 10}-${2 * MiB + 9}` });
  assert.equal(across.status, 206);
  assert.ok(across.body.equals(body.subarray(2 * MiB - 10, 2 * MiB + 10)));
});

test('a Range on a compressed object within maxRangeDecodeSize is served 206, decoding at most that much', async () => {
  const body = text(MiB);
  const id = await store(body, 'zstd');
  const before = await counter(decoded);
  const r = await fetchRaw(id, { range: 'bytes=1000-1999' });
  assert.equal(r.status, 206);
  assert.equal(r.headers['accept-ranges'], 'bytes');
  assert.ok(r.body.equals(body.subarray(1000, 2000)));
  assert.ok((await counter(decoded)) - before <= MiB);
});

test('a byte flipped in a late block of an uncompressed object stops the response before that block leaves; other blocks are still served', async () => {
  const body = randomBytes(6 * MiB);
  const id = await store(body, 'identity');
  const path = join(fx.dataDir, 'objects', id.slice(0, 2), id.slice(2, 4), id);
  const onDisk = await readFile(path);
  const bad = 5 * MiB + MiB / 2;
  onDisk[bad] = (onDisk[bad] as number) ^ 0x01;
  await writeFile(path, onDisk);
  const whole = await fetchRaw(id, { 'accept-encoding': 'identity' });
  assert.equal(whole.status, 200);
  assert.equal(whole.complete, false);
  assert.ok(whole.body.length <= 5 * MiB, `${whole.body.length} bytes sent: the corrupt block went out`);
  assert.ok(whole.body.equals(body.subarray(0, whole.body.length)));
  const good = await fetchRaw(id, { range: 'bytes=0-99' });
  assert.equal(good.status, 206);
  assert.ok(good.body.equals(body.subarray(0, 100)));
  const corrupt = await fetchRaw(id, { range: `bytes=${bad}-${bad + 10}` });
  assert.equal(corrupt.status, 500);
  assert.equal((JSON.parse(corrupt.body.toString()) as { error: { code: string } }).error.code, 'PIPER_PLATFORM_OBJECT_CORRUPT');
});

test('objects stored before block hashes existed are still served whole, raw and by range', async () => {
  const zstd = text(2 * MiB);
  const plain = randomBytes(2 * MiB);
  const zstdId = await store(zstd, 'zstd');
  const plainId = await store(plain, 'identity');
  const db = new DatabaseSync(join(fx.dataDir, 'metadata.db'));
  db.exec('UPDATE files SET block_size = NULL, block_hashes = NULL');
  db.close();
  assert.ok((await fetchRaw(zstdId, { 'accept-encoding': 'identity' })).body.equals(zstd));
  const raw = await fetchRaw(zstdId, { 'accept-encoding': 'zstd' });
  assert.equal(raw.headers['content-encoding'], 'zstd');
  assert.equal(raw.complete, true);
  assert.ok((await fetchRaw(plainId, {})).body.equals(plain));
  // Without block hashes an uncompressed object is verified whole, so its ranges obey the decode bound too.
  const range = await fetchRaw(plainId, { range: 'bytes=10-19' });
  assert.equal(range.status, 200);
  assert.equal(range.headers['accept-ranges'], 'none');
});
