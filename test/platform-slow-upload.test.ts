import assert from 'node:assert/strict';
import { type ClientRequest, request } from 'node:http';
import { test } from 'node:test';
import { ManualClock } from '../src/core/index.ts';
import type { PlatformServer } from '../src/platform/index.ts';
import { type PlatformFixture, sampleText, startFixture } from './platform-fixture.ts';

// Clients that send their request bodies slowly must not take the slots real work needs, must not
// hold the server forever, and a server that sheds everything must say so to its balancer.

interface Upload {
  req: ClientRequest;
  /** Resolves with the status and body of the answer, or status 0 if the connection was cut first. */
  answer: Promise<{ status: number; body: string }>;
}

/** Starts a chunked POST and writes `first`; the rest is up to the test. */
function startUpload(fx: PlatformFixture, path: string, first: Buffer | string): Upload {
  let req!: ClientRequest;
  const answer = new Promise<{ status: number; body: string }>((resolve) => {
    req = request(
      `${fx.url}${path}`,
      { method: 'POST', agent: false, headers: { 'content-type': 'application/octet-stream', 'transfer-encoding': 'chunked' } },
      (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (d: string) => {
          body += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', () => resolve({ status: 0, body: '' }));
  });
  req.write(first);
  return { req, answer };
}

async function until(what: string, check: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  assert.fail(`still not true: ${what}`);
}

/** Requests the server holds, in any phase (receiving a body, waiting for a slot, in flight). */
function held(server: PlatformServer): number {
  const a = server.admission as { inFlight: number; queued: number; receiving?: number };
  return a.inFlight + a.queued + (a.receiving ?? 0);
}

/** Ends the client first: with a hand-driven clock the server's drain would wait for it forever. */
async function closeAll(fx: PlatformFixture, up: Upload): Promise<void> {
  up.req.destroy();
  await up.answer;
  await until('the server saw the client leave', () => held(fx.server) === 0);
  await fx.close();
}

const code = (body: string): string => (JSON.parse(body) as { error: { code: string } }).error.code;

test('slow-upload denial of service: uploads dribbling their bodies do not take the admission slots other requests need', async (t) => {
  const fx = await startFixture({ maxConcurrency: 2, queueSize: 1 });
  t.after(() => fx.close());
  // Five uploads that send a few bytes and then nothing: more than the slots and the queue together.
  const dribblers = [
    '/api/v1/files?name=slow',
    '/api/v1/compress',
    '/api/v1/decompress?codec=gzip',
    '/api/v1/files',
    '/api/v1/compress',
  ].map((path) => startUpload(fx, path, 'a few bytes'));
  await until('the server holds the dribbling uploads', () => held(fx.server) >= 3);
  const status = await fetch(`${fx.url}/api/v1/status`);
  assert.equal(status.status, 200);
  const c = await fetch(`${fx.url}/api/v1/compress`, { method: 'POST', body: new Uint8Array(sampleText(100_000)) });
  assert.equal(c.status, 200);
  await c.arrayBuffer();
  assert.equal((await fetch(`${fx.url}/readyz`)).status, 200);
  // Shutting down refuses the uploads still receiving their bodies rather than waiting for them.
  await fx.close();
  for (const d of dribblers) assert.equal((await d.answer).status, 503);
});

test('a dribbling upload is cut with 408 PIPER_PLATFORM_BODY_TOO_SLOW once it falls under minBodyRate', { timeout: 10_000 }, async (t) => {
  const clock = new ManualClock();
  const fx = await startFixture({ minBodyRate: 1024, minBodyRateWindow: 10_000 }, clock);
  const up = startUpload(fx, '/api/v1/files?name=dribble', 'x'.repeat(100));
  t.after(() => closeAll(fx, up));
  await until('the server holds the upload', () => held(fx.server) === 1);
  // Nine seconds of a one-second trickle are still within the first window's grace.
  for (let s = 0; s < 9; s++) {
    up.req.write('y');
    await clock.tick(1000, 1000);
  }
  assert.equal(held(fx.server), 1);
  await clock.tick(2000, 1000);
  const { status, body } = await up.answer;
  assert.equal(status, 408);
  assert.equal(code(body), 'PIPER_PLATFORM_BODY_TOO_SLOW');
  assert.equal(held(fx.server), 0);
});

test('an upload still arriving at requestTimeout is cut with 408 PIPER_PLATFORM_REQUEST_TIMEOUT, however fast it sends', {
  timeout: 10_000,
}, async (t) => {
  const clock = new ManualClock();
  const fx = await startFixture({ requestTimeout: 5_000, minBodyRate: 0 }, clock);
  const up = startUpload(fx, '/api/v1/files?name=endless', 'x');
  t.after(() => closeAll(fx, up));
  await until('the server holds the upload', () => held(fx.server) === 1);
  for (let s = 0; s < 6; s++) {
    up.req.write(sampleText(10_000));
    await clock.tick(1000, 1000);
  }
  const { status, body } = await up.answer;
  assert.equal(status, 408);
  assert.equal(code(body), 'PIPER_PLATFORM_REQUEST_TIMEOUT');
});

test('readiness turns 503 while every slot is held and none frees for queueTimeout, and 200 once one does', {
  timeout: 10_000,
}, async (t) => {
  const clock = new ManualClock();
  const fx = await startFixture({ maxConcurrency: 1, queueTimeout: 200, minBodyRate: 0 }, clock);
  // An upload past its first 64 KiB holds the only slot while it keeps streaming.
  const up = startUpload(fx, '/api/v1/files?name=long', sampleText(200_000));
  t.after(() => closeAll(fx, up));
  await until('the upload is admitted', () => fx.server.admission.inFlight === 1);
  assert.equal((await fetch(`${fx.url}/readyz`)).status, 200);
  await clock.tick(250);
  const r = await fetch(`${fx.url}/readyz`);
  assert.equal(r.status, 503);
  assert.equal(code(await r.text()), 'PIPER_PLATFORM_NOT_READY');
  // Liveness is another question: the process is fine.
  assert.equal((await fetch(`${fx.url}/healthz`)).status, 200);
  up.req.end();
  assert.equal((await up.answer).status, 201);
  await until('the slot is free', () => fx.server.admission.inFlight === 0);
  assert.equal((await fetch(`${fx.url}/readyz`)).status, 200);
});
