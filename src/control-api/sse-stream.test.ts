import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, get, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, test } from 'node:test';
import { isPiperError, ManualClock } from '../core/index.ts';
import { type SseCloseReason, SseStream } from './sse-stream.ts';

interface Harness {
  server: Server;
  stream: Promise<SseStream>;
  client: Promise<IncomingMessage>;
}

const open: Server[] = [];
afterEach(async () => {
  for (const server of open.splice(0)) {
    server.closeAllConnections();
    server.close();
    await once(server, 'close');
  }
});

async function connect(clock: ManualClock, options: { maxBufferedBytes?: number; heartbeatMs?: number } = {}): Promise<Harness> {
  let resolveStream: (s: SseStream) => void = () => {};
  const stream = new Promise<SseStream>((r) => {
    resolveStream = r;
  });
  const server = createServer((_req, res: ServerResponse) => resolveStream(new SseStream(res, { clock, ...options })));
  open.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const client = new Promise<IncomingMessage>((resolve, reject) => {
    get({ host: '127.0.0.1', port, path: '/events' }, resolve).on('error', reject);
  });
  return { server, stream, client };
}

/** Reads from the client until `text` has arrived, returning everything read (then stops reading). */
async function readUntil(res: IncomingMessage, text: string): Promise<string> {
  let got = '';
  res.setEncoding('utf8');
  for await (const chunk of res) {
    got += chunk;
    if (got.includes(text)) return got;
  }
  return got;
}

describe('SseStream', () => {
  test('sets the event-stream headers and the retry delay, then sends JSON events', async () => {
    const { stream, client } = await connect(new ManualClock());
    const res = await client;
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], 'text/event-stream; charset=utf-8');
    assert.equal(res.headers['cache-control'], 'no-cache');
    assert.equal(res.headers['x-accel-buffering'], 'no');
    const s = await stream;
    assert.equal(s.send('window', { a: 'line1\nline2', n: 1 }, '42'), true);
    const all = await readUntil(res, '}\n\n');
    assert.match(all, /^retry: 2000\n\n/);
    assert.match(all, /event: window\nid: 42\ndata: \{"a":"line1\\nline2","n":1\}\n\n/);
    s.close();
  });

  test('sends a comment heartbeat every heartbeatMs of the injected clock', async () => {
    const clock = new ManualClock();
    const { stream, client } = await connect(clock, { heartbeatMs: 5000 });
    const res = await client;
    const s = await stream;
    clock.advance(5000);
    assert.match(await readUntil(res, ': heartbeat\n\n'), /: heartbeat\n\n/);
    s.close();
  });

  test('rejects event names and ids with line breaks', async () => {
    const { stream, client } = await connect(new ManualClock());
    await client;
    const s = await stream;
    assert.throws(
      () => s.send('a\nb', 1),
      (e) => isPiperError(e, 'PIPER_CONTROL_API_INVALID_SSE_FIELD'),
    );
    assert.throws(
      () => s.send('a', 1, 'x\ry'),
      (e) => isPiperError(e, 'PIPER_CONTROL_API_INVALID_SSE_FIELD'),
    );
    s.close();
  });

  test('close() ends the response once and reports reason server', async () => {
    const { stream, client } = await connect(new ManualClock());
    const res = await client;
    const s = await stream;
    const reasons: SseCloseReason[] = [];
    s.onClose((r) => reasons.push(r));
    s.close();
    s.close();
    await readUntil(res, '\u0000never');
    assert.deepEqual(reasons, ['server']);
    assert.equal(s.send('x', 1), false);
    s.onClose((r) => reasons.push(r));
    assert.deepEqual(reasons, ['server', 'server']);
  });

  test('a client that disconnects ends the stream with reason client', async () => {
    const { stream, client } = await connect(new ManualClock());
    const res = await client;
    const s = await stream;
    const closed = new Promise<SseCloseReason>((resolve) => s.onClose(resolve));
    res.destroy();
    assert.equal(await closed, 'client');
    assert.equal(s.closed, true);
  });

  test('a response whose client is already gone starts closed', async () => {
    const clock = new ManualClock();
    const server = createServer((_req, res) => {
      res.destroy();
      const s = new SseStream(res, { clock });
      s.onClose((reason) => server.emit('sse-closed', reason, s.send('x', 1)));
    });
    open.push(server);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    get({ host: '127.0.0.1', port }).on('error', () => {});
    const [reason, sent] = await once(server, 'sse-closed');
    assert.equal(reason, 'client');
    assert.equal(sent, false);
    assert.equal(clock.pending, 0, 'no heartbeat timer left behind');
  });

  test('a client that stops reading is dropped once its buffer passes the bound', async () => {
    const { stream, client } = await connect(new ManualClock(), { maxBufferedBytes: 64 * 1024 });
    const res = await client;
    res.pause();
    const s = await stream;
    const closed = new Promise<SseCloseReason>((resolve) => s.onClose(resolve));
    const payload = 'x'.repeat(1024);
    let sent = 0;
    // Loopback socket buffers hold a few MiB at most; 64 MiB is far past any of them.
    while (sent < 65_536 && s.send('fill', payload)) {
      sent++;
      if (sent % 256 === 0) await new Promise((r) => setImmediate(r));
    }
    assert.ok(sent < 65_536, 'the stream never noticed the client falling behind');
    assert.equal(await closed, 'overflow');
    assert.equal(s.send('fill', payload), false);
  });
});
