import assert from 'node:assert/strict';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo, createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import {
  type InFlightRequest,
  RawHttpSender,
  type RequestSpec,
  type SendErrorKind,
  type SendSink,
  serializeRequest,
} from '../src/loadgen/index.ts';

/** Collects what the sender reports, and resolves once `n` requests have ended. */
class Collector implements SendSink {
  readonly ended: { index: number; status: number; error: SendErrorKind | null }[] = [];
  startedCount = 0;
  #want = 0;
  #resolve: () => void = () => {};

  started(_req: InFlightRequest): void {
    this.startedCount++;
  }

  finished(req: InFlightRequest, status: number, error: SendErrorKind | null): void {
    assert.equal(req.done, false, `request ${req.index} reported twice`);
    req.done = true;
    this.ended.push({ index: req.index, status, error });
    if (this.ended.length === this.#want) this.#resolve();
  }

  until(n: number): Promise<void> {
    this.#want = n;
    return this.ended.length >= n ? Promise.resolve() : new Promise((r) => (this.#resolve = r));
  }
}

function request(index: number, kind = 0): InFlightRequest {
  return { index, kind, intendedAt: 0, dispatchedAt: 0, startedAt: Number.NaN, status: 0, done: false, cancel: null };
}

const spec = (s: Partial<RequestSpec>): RequestSpec => ({ name: 'r', method: 'GET', path: '/', headers: {}, body: null, weight: 1, ...s });

async function listen(server: Server | NetServer): Promise<string> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function monotonic(): number {
  return performance.now();
}

describe('RawHttpSender against node:http', () => {
  let server: Server;
  let origin: string;
  const seen: { method: string; url: string; body: string; host: string | undefined; custom: string | undefined }[] = [];
  const sockets = new Set<unknown>();

  before(async () => {
    // /chunked answers in pieces, /close closes after answering, /reset drops the connection,
    // anything else echoes a fixed body with a Content-Length.
    server = createHttpServer((req: IncomingMessage, res: ServerResponse) => {
      sockets.add(req.socket);
      const parts: Buffer[] = [];
      req.on('data', (c: Buffer) => parts.push(c));
      req.on('end', () => {
        seen.push({
          method: req.method ?? '',
          url: req.url ?? '',
          body: Buffer.concat(parts).toString(),
          host: req.headers.host,
          custom: req.headers['x-custom'] as string | undefined,
        });
        if (req.url === '/chunked') {
          res.writeHead(202);
          res.write('part one, ');
          res.end('part two');
        } else if (req.url === '/close') {
          res.writeHead(200, { connection: 'close', 'content-length': '2' }).end('ok');
        } else if (req.url === '/reset') {
          req.socket.destroy();
        } else if (req.url === '/early') {
          res.writeEarlyHints({ link: '</a.css>; rel=preload' });
          res.writeHead(204).end();
        } else {
          res.writeHead(req.method === 'POST' ? 201 : 200, { 'content-length': '5' }).end('hello');
        }
      });
    });
    origin = await listen(server);
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('sends GET and POST mixes on keep-alive connections, bodies and headers intact', async () => {
    seen.length = 0;
    sockets.clear();
    const sender = new RawHttpSender({
      origin: `${origin}/base?q=1`,
      requests: [spec({ path: '/a', headers: { 'x-custom': 'v1' } }), spec({ method: 'POST', path: '/b?x=2', body: 'payload é' })],
      connections: 4,
      timeoutMs: 5000,
      monotonic,
    });
    const sink = new Collector();
    for (let i = 0; i < 200; i++) sender.send(request(i, i % 2), sink);
    await sink.until(200);
    await sender.close();
    assert.equal(sink.startedCount, 200);
    assert.equal(sink.ended.filter((e) => e.error === null && e.status === 200).length, 100);
    assert.equal(sink.ended.filter((e) => e.error === null && e.status === 201).length, 100);
    assert.equal(seen.length, 200, 'each request reached the server exactly once');
    const get = seen.find((s) => s.method === 'GET');
    const post = seen.find((s) => s.method === 'POST');
    assert.deepEqual(get, { method: 'GET', url: '/base/a?q=1', body: '', host: origin.slice(7), custom: 'v1' });
    assert.deepEqual(post, { method: 'POST', url: '/base/b?x=2', body: 'payload é', host: origin.slice(7), custom: undefined });
    assert.ok(sockets.size <= 4, `at most 4 connections, saw ${sockets.size}`);
  });

  it('reads chunked answers, skips 103, and reconnects after Connection: close', async () => {
    seen.length = 0;
    sockets.clear();
    const sender = new RawHttpSender({
      origin,
      requests: [spec({ path: '/chunked' }), spec({ path: '/close' }), spec({ path: '/early' })],
      connections: 2,
      timeoutMs: 5000,
      monotonic,
    });
    const sink = new Collector();
    for (let i = 0; i < 60; i++) sender.send(request(i, i % 3), sink);
    await sink.until(60);
    await sender.close();
    assert.deepEqual(
      [...new Set(sink.ended.map((e) => `${e.status}:${e.error}`))].sort(),
      ['200:null', '202:null', '204:null'],
      JSON.stringify(sink.ended.filter((e) => e.error !== null)),
    );
    assert.equal(seen.length, 60);
    assert.ok(sockets.size >= 20, 'every /close answer cost a new connection');
  });

  it('fails a request whose connection drops as reset, sends it once, and carries on', async () => {
    seen.length = 0;
    const sender = new RawHttpSender({
      origin,
      requests: [spec({ path: '/ok' }), spec({ path: '/reset' })],
      connections: 3,
      timeoutMs: 5000,
      monotonic,
    });
    const sink = new Collector();
    for (let i = 0; i < 30; i++) sender.send(request(i, i % 2), sink);
    await sink.until(30);
    await sender.close();
    assert.equal(sink.ended.filter((e) => e.error === 'reset').length, 15);
    assert.equal(sink.ended.filter((e) => e.error === null && e.status === 200).length, 15);
    assert.equal(seen.length, 30, 'no request was sent twice');
  });

  it('reports refused connections as connect errors, and queued requests as aborted on close', async () => {
    const closed = createNetServer();
    const dead = await listen(closed);
    await new Promise<void>((r) => closed.close(() => r()));
    const refused = new RawHttpSender({ origin: dead, requests: [spec({})], connections: 2, timeoutMs: 5000, monotonic });
    const sink = new Collector();
    for (let i = 0; i < 10; i++) refused.send(request(i), sink);
    await sink.until(10);
    assert.deepEqual(new Set(sink.ended.map((e) => e.error)), new Set(['connect']));
    await refused.close();
    await refused.close();

    const sender = new RawHttpSender({ origin, requests: [spec({})], connections: 1, timeoutMs: 5000, monotonic });
    const cut = new Collector();
    for (let i = 0; i < 5; i++) sender.send(request(i), cut);
    const closing = sender.close();
    await cut.until(5);
    await closing;
    assert.deepEqual(new Set(cut.ended.map((e) => e.error)), new Set(['aborted']));
    const late = request(9);
    sender.send(late, cut);
    assert.equal(cut.ended.at(-1)?.error, 'aborted');
  });
});

describe('RawHttpSender against broken servers', () => {
  let server: NetServer;
  let origin: string;
  const conns: Socket[] = [];
  let received = 0;

  before(async () => {
    // Answers garbage to the first request of each connection, then a valid response.
    server = createNetServer((socket) => {
      conns.push(socket);
      let n = 0;
      socket.on('data', () => {
        received++;
        n++;
        if (n === 1) socket.write('NOT HTTP AT ALL\r\n\r\n');
        else socket.write('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
      });
      socket.on('error', () => {});
    });
    origin = await listen(server);
  });

  after(async () => {
    for (const s of conns) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('maps a malformed response to a protocol error, drops the connection, and keeps sending', async () => {
    const sender = new RawHttpSender({ origin, requests: [spec({})], connections: 1, timeoutMs: 5000, monotonic });
    const sink = new Collector();
    for (let i = 0; i < 6; i++) sender.send(request(i), sink);
    await sink.until(6);
    await sender.close();
    // One connection at a time: every new connection's first answer is garbage.
    assert.equal(received, 6);
    assert.deepEqual(
      sink.ended.map((e) => e.error),
      ['protocol', 'protocol', 'protocol', 'protocol', 'protocol', 'protocol'],
    );
  });

  it('cancels a request the runner timed out by dropping its connection', async () => {
    // Reads requests (so it sees the client go away) and never answers.
    const silent = createNetServer((s) => {
      conns.push(s);
      s.on('error', () => {});
      s.resume();
    });
    const url = await listen(silent);
    const sender = new RawHttpSender({ origin: url, requests: [spec({})], connections: 1, timeoutMs: 5000, monotonic });
    const sink = new Collector();
    const req = request(0);
    sender.send(req, sink);
    while (req.cancel === null) await new Promise((r) => setImmediate(r));
    // What the runner does on its timeout: count the request, then cancel it.
    req.done = true;
    req.cancel.abort(new Error('load generator timeout'));
    await sender.close();
    assert.equal(sink.ended.length, 0, 'a counted request is never reported again');
    for (const s of conns) s.destroy();
    await new Promise<void>((r) => silent.close(() => r()));
  });
});

describe('serializeRequest', () => {
  it('writes one buffer: request line, host, headers, exact length, body', () => {
    const b = serializeRequest(
      spec({ method: 'post', path: '/p', headers: { 'Content-Length': '99', accept: '*/*' }, body: 'hé' }),
      '/p',
      'h:1',
    );
    assert.equal(b.toString('utf8'), 'POST /p HTTP/1.1\r\nhost: h:1\r\naccept: */*\r\ncontent-length: 3\r\n\r\nhé');
  });

  it('rejects header and path injection, naming the problem', () => {
    assert.throws(() => serializeRequest(spec({ headers: { 'x-a': 'v\r\nx-b: 1' } }), '/', 'h'), /headers: the value of "x-a"/);
    assert.throws(() => serializeRequest(spec({ headers: { 'bad name': 'v' } }), '/', 'h'), /"bad name" is not a header name/);
    assert.throws(() => serializeRequest(spec({}), '/a b', 'h'), /path: "\/a b"/);
  });
});
