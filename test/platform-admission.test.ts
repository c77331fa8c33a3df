import assert from 'node:assert/strict';
import { request } from 'node:http';
import { test } from 'node:test';
import { startFixture } from './platform-fixture.ts';

function get(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

test('a client that gives up while queued for admission does not leak its slot (regression: stuck 503 after overload)', async (t) => {
  const fx = await startFixture({ maxConcurrency: 1, queueSize: 4, queueTimeout: 5_000 });
  t.after(() => fx.close());

  // A holds the only slot: a compression upload whose body is not finished yet.
  let answerA!: (status: number) => void;
  const doneA = new Promise<number>((resolve) => {
    answerA = resolve;
  });
  const a = request(
    `${fx.url}/api/v1/compress?codec=gzip`,
    { method: 'POST', agent: false, headers: { 'content-type': 'application/octet-stream' } },
    (res) => {
      res.resume();
      res.on('end', () => answerA(res.statusCode ?? 0));
    },
  );
  // A body takes its slot once its first 64 KiB (admissionBodyBytes) have arrived.
  a.write(Buffer.alloc(64 * 1024, 'first part of the body; '));
  while (fx.server.admission.inFlight < 1) await new Promise((r) => setImmediate(r));

  // B waits in the queue, then its client disconnects.
  const b = request(`${fx.url}/`, { agent: false });
  b.on('error', () => undefined);
  b.end();
  while (fx.server.admission.queued < 1) await new Promise((r) => setImmediate(r));
  b.destroy();
  // Let the server see the disconnect before the slot frees up (not a timing assertion).
  await new Promise((r) => setTimeout(r, 50));

  // A finishes: its slot passes to B, whose client is gone; B must hand it back at once.
  a.end('last part');
  assert.equal(await doneA, 200);
  assert.equal(await get(`${fx.url}/`), 200);
  assert.equal(fx.server.admission.inFlight, 0);
});
