import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { type PlatformFixture, startFixture } from './platform-fixture.ts';

// Who may delete stored files, and how much anyone may store.

const TOKEN = 'correct-horse-battery-staple';

async function upload(fx: PlatformFixture, body: Buffer, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${fx.url}/api/v1/files?codec=zstd`, { method: 'POST', body: new Uint8Array(body), headers });
}

async function storedId(fx: PlatformFixture, body: Buffer): Promise<string> {
  const r = await upload(fx, body);
  assert.equal(r.status, 201);
  return ((await r.json()) as { id: string }).id;
}

async function code(r: Response): Promise<string> {
  return ((await r.json()) as { error: { code: string } }).error.code;
}

/** Sends only a request head (no body) and returns the status line and body the server answers with. */
function headOnly(fx: PlatformFixture, head: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const { port } = new URL(fx.url);
    const socket = connect(Number(port), '127.0.0.1', () => socket.write(head));
    let got = '';
    socket.setEncoding('utf8').on('data', (d: string) => {
      got += d;
      // The answer is complete once its JSON body closes; the body it refused is never sent.
      if (/\r\n\r\n\{.*\}\}$/s.test(got)) {
        socket.destroy();
        resolve(got);
      }
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(got));
  });
}

const externalAddress = Object.values(networkInterfaces())
  .flat()
  .find((a) => a !== undefined && a.family === 'IPv4' && !a.internal)?.address;

test("deleting other people's files from outside: without a token, DELETE through a proxy is 403 PIPER_PLATFORM_FORBIDDEN", async (t) => {
  const fx = await startFixture();
  t.after(() => fx.close());
  const id = await storedId(fx, randomBytes(1000));
  for (const header of [{ 'x-forwarded-for': '203.0.113.9' }, { forwarded: 'for=203.0.113.9' }, { via: '1.1 piper' }]) {
    const r = await fetch(`${fx.url}/api/v1/files/${id}`, { method: 'DELETE', headers: header });
    assert.equal(r.status, 403, JSON.stringify(header));
    assert.equal(await code(r), 'PIPER_PLATFORM_FORBIDDEN');
  }
  assert.equal((await fetch(`${fx.url}/api/v1/files/${id}`, { method: 'HEAD' })).status, 200);
  // From this machine, straight to the server, it is allowed.
  assert.equal((await fetch(`${fx.url}/api/v1/files/${id}`, { method: 'DELETE' })).status, 204);
});

test("deleting other people's files from another host: without a token, DELETE from a non-loopback address is 403", {
  skip: externalAddress === undefined && 'no non-loopback IPv4 address on this machine',
}, async (t) => {
  const fx = await startFixture({ address: '0.0.0.0' });
  t.after(() => fx.close());
  const id = await storedId(fx, randomBytes(1000));
  const { port } = new URL(fx.url);
  const r = await fetch(`http://${externalAddress}:${port}/api/v1/files/${id}`, { method: 'DELETE' });
  assert.equal(r.status, 403);
  assert.equal(await code(r), 'PIPER_PLATFORM_FORBIDDEN');
});

test('deleting files without the configured token: 401 PIPER_PLATFORM_UNAUTHORIZED, also from loopback; with it, 204', async (t) => {
  const fx = await startFixture({ auth: { token: TOKEN, requireForUploads: false } });
  t.after(() => fx.close());
  const id = await storedId(fx, randomBytes(1000));
  for (const authorization of [undefined, 'Bearer wrong-token-of-some-length', `Basic ${TOKEN}`, `Bearer ${TOKEN}x`]) {
    const r = await fetch(`${fx.url}/api/v1/files/${id}`, {
      method: 'DELETE',
      headers: authorization === undefined ? {} : { authorization },
    });
    assert.equal(r.status, 401, String(authorization));
    assert.match(r.headers.get('www-authenticate') ?? '', /^Bearer/);
    assert.equal(await code(r), 'PIPER_PLATFORM_UNAUTHORIZED');
  }
  const ok = await fetch(`${fx.url}/api/v1/files/${id}`, { method: 'DELETE', headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal(ok.status, 204);
});

test('uploads need the token only when requireForUploads is set, and are refused before the body is read', async (t) => {
  const fx = await startFixture({ auth: { token: TOKEN, requireForUploads: true } });
  t.after(() => fx.close());
  const answer = await headOnly(fx, 'POST /api/v1/files HTTP/1.1\r\nhost: x\r\ncontent-length: 100000\r\n\r\n');
  assert.match(answer, /^HTTP\/1\.1 401 /);
  assert.match(answer, /PIPER_PLATFORM_UNAUTHORIZED/);
  assert.equal((await upload(fx, randomBytes(100), { authorization: `Bearer ${TOKEN}` })).status, 201);
  // The codec API stores nothing and stays open.
  const c = await fetch(`${fx.url}/api/v1/compress`, { method: 'POST', body: 'hello' });
  assert.equal(c.status, 200);
  await c.arrayBuffer();
});

test('filling the disk with one huge file: over maxFileSize is 413 PIPER_PLATFORM_FILE_TOO_LARGE, from Content-Length before reading, or mid-stream', async (t) => {
  const fx = await startFixture({ maxFileSize: 64 * 1024 });
  t.after(() => fx.close());
  const answer = await headOnly(fx, 'POST /api/v1/files HTTP/1.1\r\nhost: x\r\ncontent-length: 5000000\r\n\r\n');
  assert.match(answer, /^HTTP\/1\.1 413 /);
  assert.match(answer, /PIPER_PLATFORM_FILE_TOO_LARGE/);
  const chunked = new ReadableStream({
    start(controller) {
      for (let i = 0; i < 8; i++) controller.enqueue(new Uint8Array(randomBytes(16 * 1024)));
      controller.close();
    },
  });
  const r = await fetch(`${fx.url}/api/v1/files`, { method: 'POST', body: chunked, duplex: 'half' } as RequestInit);
  assert.equal(r.status, 413);
  assert.equal(await code(r), 'PIPER_PLATFORM_FILE_TOO_LARGE');
  assert.deepEqual(await readdir(join(fx.dataDir, 'tmp')), []);
  assert.equal((await upload(fx, randomBytes(60 * 1024))).status, 201);
});

test('filling the disk with many files: past maxStoreSize uploads are 507 PIPER_PLATFORM_STORE_FULL, nothing partial is kept, and a delete frees room', async (t) => {
  const fx = await startFixture({ maxStoreSize: 1024 * 1024 });
  t.after(() => fx.close());
  const first = await storedId(fx, randomBytes(600 * 1024));
  const answer = await headOnly(fx, 'POST /api/v1/files HTTP/1.1\r\nhost: x\r\ncontent-length: 500000\r\n\r\n');
  assert.match(answer, /^HTTP\/1\.1 507 /);
  assert.match(answer, /PIPER_PLATFORM_STORE_FULL/);
  const chunked = new ReadableStream({
    start(controller) {
      for (let i = 0; i < 32; i++) controller.enqueue(new Uint8Array(randomBytes(16 * 1024)));
      controller.close();
    },
  });
  const r = await fetch(`${fx.url}/api/v1/files`, { method: 'POST', body: chunked, duplex: 'half' } as RequestInit);
  assert.equal(r.status, 507);
  assert.equal(await code(r), 'PIPER_PLATFORM_STORE_FULL');
  assert.deepEqual(await readdir(join(fx.dataDir, 'tmp')), []);
  const list = (await (await fetch(`${fx.url}/api/v1/files`)).json()) as { total: number };
  assert.equal(list.total, 1);
  // Content already stored costs nothing more; a delete gives its room back.
  assert.equal((await upload(fx, randomBytes(300 * 1024))).status, 201);
  assert.equal((await fetch(`${fx.url}/api/v1/files/${first}`, { method: 'DELETE' })).status, 204);
  assert.equal((await upload(fx, randomBytes(600 * 1024))).status, 201);
});
