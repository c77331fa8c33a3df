import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { Readable } from 'node:stream';
import { after, test } from 'node:test';
import { ManualClock, silentLogger } from '../core/index.ts';
import { ContentStore, STORE_BLOCK_SIZE } from './content-store.ts';
import { brotliCodec, identityCodec, zstdCodec } from './zlib-codecs.ts';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function openStore(): Promise<{ store: ContentStore; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'piper-store-'));
  dirs.push(dir);
  return { store: await ContentStore.open(dir, new ManualClock(), silentLogger()), dir };
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const body = Buffer.from('content addressed, compressed at rest. '.repeat(2000));
const opts = { name: 'a.txt', contentType: 'text/plain', codec: zstdCodec, level: 3, maxBytes: 1e9 };

async function readAll(s: NodeJS.ReadableStream): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of s as AsyncIterable<Buffer>) parts.push(c);
  return Buffer.concat(parts);
}

test('stores under the SHA-256 of the original, compressed, in a sharded path', async () => {
  const { store, dir } = await openStore();
  const { record, deduplicated } = await store.put(Readable.from([body]), opts);
  assert.equal(deduplicated, false);
  assert.equal(record.id, sha(body));
  assert.equal(record.size, body.length);
  assert.ok(record.storedSize < body.length / 10);
  const path = join(dir, 'objects', record.id.slice(0, 2), record.id.slice(2, 4), record.id);
  const stored = await readFile(path);
  assert.equal(stored.length, record.storedSize);
  assert.equal(sha(stored), record.storedSha256);
  assert.deepEqual(await readdir(join(dir, 'tmp')), []);
  assert.deepEqual(store.get(record.id), record);
  assert.ok((await readAll(await store.openStored(record))).equals(stored));
  store.close();
  store.close();
});

test('the same content is stored once, also when uploaded concurrently', async () => {
  const { store, dir } = await openStore();
  const results = await Promise.all([1, 2, 3, 4].map(() => store.put(Readable.from([body.subarray(0, 5000), body.subarray(5000)]), opts)));
  assert.equal(results.filter((r) => !r.deduplicated).length, 1);
  assert.equal(new Set(results.map((r) => r.record.id)).size, 1);
  assert.equal(store.list(10, 0).total, 1);
  const id = sha(body);
  assert.deepEqual(await readdir(join(dir, 'objects', id.slice(0, 2), id.slice(2, 4))), [id]);
  assert.deepEqual(await readdir(join(dir, 'tmp')), []);
  store.close();
});

test('an upload over the limit fails with PIPER_PLATFORM_TOO_LARGE and leaves nothing behind', async () => {
  const { store, dir } = await openStore();
  await assert.rejects(store.put(Readable.from([body]), { ...opts, maxBytes: 1000 }), { code: 'PIPER_PLATFORM_TOO_LARGE' });
  assert.deepEqual(await readdir(join(dir, 'tmp')), []);
  assert.equal(store.list(10, 0).total, 0);
  store.close();
});

test('a source that fails mid-stream leaves no object and no temporary file', async () => {
  const { store, dir } = await openStore();
  async function* broken(): AsyncGenerator<Buffer> {
    yield body;
    throw new Error('client went away');
  }
  await assert.rejects(store.put(Readable.from(broken()), opts), /client went away/);
  assert.deepEqual(await readdir(join(dir, 'tmp')), []);
  assert.equal(store.totals().count, 0);
  store.close();
});

test('lists newest first with offsets, and deletes', async () => {
  const { store } = await openStore();
  const ids: string[] = [];
  for (let i = 0; i < 5; i++)
    ids.push((await store.put(Readable.from([Buffer.from(`file ${i}`)]), { ...opts, codec: brotliCodec, level: 5 })).record.id);
  const page = store.list(2, 1);
  assert.equal(page.total, 5);
  assert.deepEqual(
    page.files.map((f) => f.id),
    [ids[3], ids[2]],
  );
  assert.equal(await store.delete(ids[0] as string), true);
  assert.equal(await store.delete(ids[0] as string), false);
  assert.equal(store.get(ids[0] as string), undefined);
  assert.equal(store.totals().count, 4);
  store.close();
});

test('refuses ids that are not 64 lowercase hex characters before touching a path', async () => {
  const { store } = await openStore();
  for (const bad of ['../../etc/passwd', 'abc', 'A'.repeat(64), `${'a'.repeat(63)}/`]) {
    assert.throws(() => store.get(bad), { code: 'PIPER_PLATFORM_BAD_ID' });
    await assert.rejects(store.delete(bad), { code: 'PIPER_PLATFORM_BAD_ID' });
  }
  store.close();
});

test('start-up removes temporary files and objects without metadata left by a crash', async () => {
  const { store, dir } = await openStore();
  const { record } = await store.put(Readable.from([body]), { ...opts, codec: identityCodec, level: 0 });
  store.close();
  await writeFile(join(dir, 'tmp', 'crashed.part'), 'half an upload');
  const orphan = 'f'.repeat(64);
  await mkdir(join(dir, 'objects', 'ff', 'ff'), { recursive: true });
  await writeFile(join(dir, 'objects', 'ff', 'ff', orphan), 'renamed but never recorded');
  const reopened = await ContentStore.open(dir, new ManualClock(), silentLogger());
  assert.deepEqual(await readdir(join(dir, 'tmp')), []);
  assert.deepEqual(await readdir(join(dir, 'objects', 'ff', 'ff')), []);
  assert.equal(reopened.get(record.id)?.size, body.length);
  reopened.close();
});

test('a record whose file is missing opens as PIPER_PLATFORM_OBJECT_CORRUPT, not as not found', async () => {
  const { store, dir } = await openStore();
  const { record } = await store.put(Readable.from([body]), opts);
  await rm(join(dir, 'objects', record.id.slice(0, 2), record.id.slice(2, 4), record.id));
  await assert.rejects(store.openStored(record), { code: 'PIPER_PLATFORM_OBJECT_CORRUPT' });
  store.close();
});

test('a store made before block hashes existed opens, keeps its objects, and stores new ones with block hashes', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'piper-store-'));
  dirs.push(dir);
  // The metadata table as the first release wrote it, with one object in it.
  const old = new DatabaseSync(join(dir, 'metadata.db'));
  old.exec(`CREATE TABLE files (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
    content_type TEXT NOT NULL, size INTEGER NOT NULL, stored_size INTEGER NOT NULL, codec TEXT NOT NULL, level INTEGER NOT NULL,
    stored_sha256 TEXT NOT NULL, weissman REAL, created_at INTEGER NOT NULL)`);
  const legacyId = sha(body);
  old
    .prepare(
      'INSERT INTO files (id, name, content_type, size, stored_size, codec, level, stored_sha256, weissman, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    )
    .run(legacyId, 'old.txt', 'text/plain', body.length, body.length, 'identity', 0, legacyId, null, 1);
  old.close();
  await mkdir(join(dir, 'objects', legacyId.slice(0, 2), legacyId.slice(2, 4)), { recursive: true });
  await writeFile(join(dir, 'objects', legacyId.slice(0, 2), legacyId.slice(2, 4), legacyId), body);

  const store = await ContentStore.open(dir, new ManualClock(), silentLogger());
  const legacy = store.get(legacyId);
  assert.equal(legacy?.name, 'old.txt');
  assert.equal(legacy?.blocks, null);
  assert.ok((await readAll(await store.openStored(legacy))).equals(body));
  const { record } = await store.put(Readable.from([Buffer.from('new content')]), opts);
  assert.equal(record.blocks?.size, STORE_BLOCK_SIZE);
  assert.equal(record.blocks?.hashes.length, 32);
  assert.equal(store.totals().count, 2);
  store.close();
});
