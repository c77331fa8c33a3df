import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, test } from 'node:test';
import { ManualClock } from '../core/index.ts';
import { type BodyPace, RequestBody } from './request-body.ts';

const servers: Server[] = [];
after(() => {
  for (const s of servers) s.closeAllConnections();
  for (const s of servers) s.close();
});

/** A server handing each request's body to `onBody`. */
async function serve(onBody: (body: RequestBody, req: IncomingMessage) => void, pace: BodyPace): Promise<string> {
  const server = createServer((req, res) => {
    const body = new RequestBody(req, pace);
    onBody(body, req);
    body.on('close', () => res.end(body.errored === null ? 'ok' : (body.errored as unknown as { code: string }).code));
  });
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

const flush = (): Promise<void> => new Promise((r) => setTimeout(r, 20));

test('time the server spends not reading never counts against the client', async () => {
  const clock = new ManualClock();
  let body!: RequestBody;
  const url = await serve(
    (b) => {
      body = b;
    },
    { clock, minRate: 1024, windowMs: 10_000, timeoutMs: 0, highWaterMark: 64 * 1024 },
  );
  const req = request(url, { method: 'POST', agent: false });
  req.on('error', () => undefined);
  // Far more than the body buffers: the request is paused, and the client waits on the server.
  req.write(Buffer.alloc(1024 * 1024));
  while (body === undefined || body.readableLength < 64 * 1024) await flush();
  await clock.tick(60_000, 1000);
  assert.equal(body.errored, null);
  // Once the server reads, the rest arrives and the body ends cleanly.
  let got = 0;
  body.on('data', (c: Buffer) => {
    got += c.length;
  });
  req.end();
  await once(body, 'end');
  assert.equal(got, 1024 * 1024);
});

test('arrived() waits for the first bytes without consuming them, and fails with the body', async () => {
  const clock = new ManualClock();
  let body!: RequestBody;
  const url = await serve(
    (b) => {
      body = b;
    },
    { clock, minRate: 0, windowMs: 10_000, timeoutMs: 5_000, highWaterMark: 64 * 1024 },
  );
  const req = request(url, { method: 'POST', agent: false });
  req.on('error', () => undefined);
  req.write('abc');
  while (body === undefined) await flush();
  let ready = false;
  const waiting = body.arrived(1000).then(() => {
    ready = true;
  });
  await flush();
  assert.equal(ready, false);
  req.write(Buffer.alloc(2000));
  await waiting;
  assert.ok(body.readableLength >= 1000);
  const late = body.arrived(64 * 1024);
  await clock.tick(5_000);
  await assert.rejects(late, { code: 'PIPER_PLATFORM_REQUEST_TIMEOUT' });
  req.destroy();
});
