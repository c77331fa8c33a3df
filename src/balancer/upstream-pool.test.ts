import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { Readable, Writable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { ManualClock } from '../core/index.ts';
import type { UpstreamHeaders } from '../http1/index.ts';
import type { UpstreamBodySink, UpstreamCall, UpstreamCancel } from './upstream-call.ts';
import { classifyUpstreamError, UpstreamErrorCode } from './upstream-error.ts';
import { UpstreamPool } from './upstream-pool.ts';

/** A call that collects the response; `done` settles with it or with the error. */
class TestCall implements UpstreamCall {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly headerBlock = null;
  readonly contentLength: number;
  readonly body: Readable | null;
  readonly ownConnection: boolean;
  readonly callTimeouts = null;
  upstream: UpstreamCancel | null = null;
  status = 0;
  responseHeaders: UpstreamHeaders = {};
  readonly chunks: Buffer[] = [];
  readonly done: Promise<{ status: number; body: string }>;
  headArrived: Promise<void>;
  #headArrived: () => void = () => undefined;
  #resolve: (v: { status: number; body: string }) => void = () => undefined;
  #reject: (e: Error) => void = () => undefined;
  readonly #sink: UpstreamBodySink | null;

  constructor(
    path: string,
    o: { method?: string; body?: Readable; headers?: Record<string, string>; sink?: UpstreamBodySink; ownConnection?: boolean } = {},
  ) {
    this.ownConnection = o.ownConnection ?? false;
    this.method = o.method ?? 'GET';
    this.path = path;
    this.headers = o.headers ?? {};
    const length = this.headers['content-length'];
    this.contentLength = length === undefined ? -1 : Number(length);
    this.body = o.body ?? null;
    this.#sink = o.sink ?? null;
    this.done = new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    this.headArrived = new Promise((resolve) => {
      this.#headArrived = resolve;
    });
  }

  onUpstreamHead(status: number, headers: UpstreamHeaders): UpstreamBodySink | null {
    this.status = status;
    this.responseHeaders = headers;
    this.#headArrived();
    if (this.#sink !== null) return this.#sink;
    const chunks = this.chunks;
    return {
      write: (c: Buffer) => chunks.push(Buffer.from(c)) > 0,
      end: (c?: Buffer) => (c === undefined ? 0 : chunks.push(Buffer.from(c))),
      once: () => undefined,
      removeListener: () => undefined,
    };
  }

  onUpstreamEnd(): void {
    this.#resolve({ status: this.status, body: Buffer.concat(this.chunks).toString() });
  }

  onUpstreamError(err: Error): void {
    this.#reject(err);
  }
}

/** A raw TCP backend: `onRequest(socket, head, n)` for the n-th request head on that socket. */
class RawBackend {
  readonly server = createServer();
  readonly sockets = new Set<Socket>();
  connections = 0;
  requests = 0;
  onRequest: (socket: Socket, head: string, n: number) => void = (s) => s.write(ok('ok'));

  constructor() {
    this.server.on('connection', (socket: Socket) => {
      this.connections++;
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => undefined);
      let buf = '';
      let n = 0;
      socket.on('data', (d: Buffer) => {
        buf += d.toString('latin1');
        for (let end = buf.indexOf('\r\n\r\n'); end !== -1; end = buf.indexOf('\r\n\r\n')) {
          const head = buf.slice(0, end);
          buf = buf.slice(end + 4);
          this.requests++;
          this.onRequest(socket, head, n++);
        }
      });
    });
  }

  async listen(): Promise<string> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise((r) => this.server.close(r));
  }
}

function ok(body: string, extra = ''): string {
  return `HTTP/1.1 200 OK\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`;
}

async function until(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 2000 && !check(); i++) await new Promise((r) => setImmediate(r));
  for (let i = 0; i < 400 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(check(), `gave up waiting for ${what}`);
}

function pool(url: string, clock = new ManualClock(), connections = 8): UpstreamPool {
  return new UpstreamPool({ url, clock, connections, keepAliveTimeout: 4_000, connect: 2_000, timeouts: { headers: 1_000, body: 1_000 } });
}

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function rawBackend(): Promise<{ backend: RawBackend; url: string }> {
  const backend = new RawBackend();
  const url = await backend.listen();
  cleanups.push(() => backend.close());
  return { backend, url };
}

async function httpBackend(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ server: Server; url: string }> {
  const server = createHttpServer({ keepAliveTimeout: 30_000 }, handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

function send(p: UpstreamPool, call: TestCall): TestCall {
  p.dispatch(call);
  return call;
}

async function failure(call: TestCall): Promise<Error & { code?: string }> {
  return call.done.then(
    () => assert.fail('the call should have failed'),
    (e: Error) => e,
  );
}

describe('UpstreamPool', () => {
  it('reuses a kept-alive connection, the most recently used idle one first', async () => {
    const { backend, url } = await rawBackend();
    const portOf = new Map<Socket, number>();
    const held: (() => void)[] = [];
    backend.onRequest = (socket, head) => {
      portOf.set(socket, socket.remotePort as number);
      const answer = (): boolean => socket.write(ok(String(socket.remotePort)));
      if (head.includes('/hold')) held.push(answer);
      else answer();
    };
    const p = pool(url);
    cleanups.push(() => p.close());
    for (let i = 0; i < 5; i++) assert.equal((await send(p, new TestCall('/seq')).done).status, 200);
    assert.equal(backend.connections, 1, 'five sequential requests on one connection');
    // Two at once need two connections; the one released last is used next.
    const a = send(p, new TestCall('/hold'));
    const b = send(p, new TestCall('/hold'));
    await until('both held', () => held.length === 2);
    assert.equal(backend.connections, 2);
    (held[0] as () => void)();
    const first = (await a.done).body;
    (held[1] as () => void)();
    const second = (await b.done).body;
    assert.notEqual(first, second);
    assert.equal((await send(p, new TestCall('/next')).done).body, second);
    assert.deepEqual(p.stats, { connected: 2, running: 0, pending: 0 });
  });

  it('late bytes from a backend reach no other client: a first request goes on a connection of its own under the cap', async () => {
    const { backend, url } = await rawBackend();
    // Answers the first request on a connection, then writes a stray answer as soon as anything
    // else arrives on it: bytes of the first exchange that came late.
    backend.onRequest = (s, head, n) => s.write(n === 0 ? ok(`first ${head.split(' ')[1]}`) : ok('stray'));
    const p = pool(url, new ManualClock(), 2);
    cleanups.push(() => p.close());
    assert.deepEqual(await send(p, new TestCall('/a', { ownConnection: true })).done, { status: 200, body: 'first /a' });
    // Another client's first request: a new connection, never the one that owes stray bytes.
    assert.deepEqual(await send(p, new TestCall('/b', { ownConnection: true })).done, { status: 200, body: 'first /b' });
    assert.equal(backend.connections, 2);
    // At the cap a first request shares like any other (the stray answer shows the limit).
    const third = await send(p, new TestCall('/c', { ownConnection: true })).done;
    assert.equal(backend.connections, 2);
    assert.equal(third.body, 'stray');
  });

  it('never opens more than its connections; the rest wait in a FIFO counted as pending', async () => {
    const { backend, url } = await rawBackend();
    const held: { socket: Socket; path: string }[] = [];
    backend.onRequest = (socket, head) => held.push({ socket, path: head.split(' ')[1] as string });
    const p = pool(url, new ManualClock(), 2);
    cleanups.push(() => p.close());
    const calls = [1, 2, 3, 4, 5].map((i) => send(p, new TestCall(`/${i}`)));
    await until('two requests at the backend', () => held.length === 2);
    assert.deepEqual(p.stats, { connected: 2, running: 2, pending: 3 });
    const order: string[] = [];
    for (let served = 0; served < 5; served++) {
      await until('a request at the backend', () => held.length > 0);
      const next = held.shift() as { socket: Socket; path: string };
      order.push(next.path);
      next.socket.write(ok(next.path));
    }
    assert.deepEqual(
      (await Promise.all(calls.map((c) => c.done))).map((r) => r.body),
      ['/1', '/2', '/3', '/4', '/5'],
    );
    assert.deepEqual(order.slice(2), ['/3', '/4', '/5'], 'queued calls go out in arrival order');
    assert.equal(backend.connections, 2);
    assert.deepEqual(p.stats, { connected: 2, running: 0, pending: 0 });
  });

  it('closes an idle connection after the keep-alive timeout, and honours a shorter Keep-Alive hint', async () => {
    const { backend, url } = await rawBackend();
    const clock = new ManualClock();
    const p = pool(url, clock);
    cleanups.push(() => p.close());
    await send(p, new TestCall('/')).done;
    clock.advance(3_900);
    assert.equal(p.stats.connected, 1, 'still kept before 4 s');
    clock.advance(100 + p.sweepInterval);
    await until('the idle socket to close', () => backend.sockets.size === 0 && p.stats.connected === 0);
    backend.onRequest = (s) => s.write(ok('hinted', 'keep-alive: timeout=3\r\n'));
    await send(p, new TestCall('/')).done;
    clock.advance(1_000 + p.sweepInterval);
    await until('the hinted socket to close', () => backend.sockets.size === 0 && p.stats.connected === 0);
  });

  it('does not reuse a connection after Connection: close or an HTTP/1.0 answer', async () => {
    const { backend, url } = await rawBackend();
    const p = pool(url);
    cleanups.push(() => p.close());
    backend.onRequest = (s) => s.write(ok('bye', 'connection: close\r\n'));
    await send(p, new TestCall('/')).done;
    await send(p, new TestCall('/')).done;
    backend.onRequest = (s) => s.write('HTTP/1.0 200 OK\r\ncontent-length: 2\r\n\r\nok');
    await send(p, new TestCall('/')).done;
    await send(p, new TestCall('/')).done;
    assert.equal(backend.connections, 4);
    await until('sockets closed', () => p.stats.connected === 0);
  });

  it('sends a request the backend dropped on a kept-alive connection again on a new one', async () => {
    const { backend, url } = await rawBackend();
    // The second request on any connection is met with a close, as a server timing out idle sockets does.
    backend.onRequest = (s, _head, n) => (n === 0 ? s.write(ok('first')) : s.destroy());
    const p = pool(url);
    cleanups.push(() => p.close());
    assert.equal((await send(p, new TestCall('/')).done).body, 'first');
    assert.equal((await send(p, new TestCall('/')).done).body, 'first');
    assert.equal(backend.connections, 2);
    // A backend closing an idle connection: the pool notices and opens a new one next time.
    for (const s of backend.sockets) s.end();
    await until('the idle socket to go', () => p.stats.connected === 0);
    assert.equal((await send(p, new TestCall('/')).done).body, 'first');
    // A POST is never sent twice.
    const post = send(p, new TestCall('/', { method: 'POST' }));
    const err = await failure(post);
    assert.equal(classifyUpstreamError(err), 'reset');
  });

  it('streams a big request body and a big response body with backpressure both ways', async () => {
    const size = 32 * 1024 * 1024;
    let received = 0;
    let reqPaused: IncomingMessage | null = null;
    let serverBlocked = false;
    const { url } = await httpBackend((req, res) => {
      if (req.method === 'POST') {
        reqPaused = req;
        req.pause();
        req.on('data', (c: Buffer) => {
          received += c.length;
        });
        req.on('end', () => res.end(String(received)));
        return;
      }
      res.writeHead(200, { 'content-length': size });
      const piece = Buffer.alloc(64 * 1024, 'r');
      let sent = 0;
      const pump = (): void => {
        while (sent < size) {
          sent += piece.length;
          if (!res.write(piece)) {
            serverBlocked = true;
            res.once('drain', pump);
            return;
          }
        }
        res.end();
      };
      pump();
    });
    const p = pool(url);
    cleanups.push(() => p.close());
    // Upload: the source is read only as fast as the backend takes it.
    let produced = 0;
    const source = new Readable({
      read() {
        if (produced >= size) {
          this.push(null);
          return;
        }
        produced += 64 * 1024;
        this.push(Buffer.alloc(64 * 1024, 'q'));
      },
    });
    const upload = send(p, new TestCall('/up', { method: 'POST', body: source, headers: { 'content-length': String(size) } }));
    await until('the backend to hold the request', () => reqPaused !== null);
    await until('the source to stop', () => source.isPaused());
    assert.ok(produced < size / 2, `only what the sockets hold was read (${produced} of ${size})`);
    (reqPaused as unknown as IncomingMessage).resume();
    assert.equal((await upload.done).body, String(size));
    // Download: a sink that takes nothing until told stops the upstream socket.
    let sunk = 0;
    let release: (() => void) | null = null;
    const sink = new Writable({
      highWaterMark: 16 * 1024,
      write(chunk: Buffer, _e, cb) {
        sunk += chunk.length;
        if (release === null && sunk < size) release = cb;
        else cb();
      },
    });
    const download = send(p, new TestCall('/down', { sink }));
    await until('the backend to be blocked by a held sink', () => serverBlocked && release !== null);
    // Let I/O run for a while: without backpressure the body would pile up in the sink's buffer.
    for (let i = 0; i < 50; i++) await new Promise((r) => setImmediate(r));
    assert.ok(sink.writableLength < 1024 * 1024, `the body is not read ahead of the client (${sink.writableLength} buffered)`);
    (release as unknown as () => void)();
    await download.done;
    assert.equal(sunk, size);
  });

  it('never overwrites a body slice a sink still holds, and reuses the read buffer when it holds none', async () => {
    // The body arrives in many reads (the backend writes it in pieces); sinks see slices of the
    // connection's read buffer. One sink keeps every slice uncopied and says so (`retains`), one
    // copies at once and says it keeps nothing, one has no `retains` at all (taken to keep all).
    const { backend, url } = await rawBackend();
    const size = 300_000;
    const body = Buffer.alloc(size);
    for (let i = 0; i < size; i++) body[i] = (i * 7 + (i >> 8)) & 0xff;
    backend.onRequest = (socket) => {
      socket.write(`HTTP/1.1 200 OK\r\ncontent-length: ${size}\r\n\r\n`);
      for (let at = 0; at < size; at += 5_000) socket.write(body.subarray(at, at + 5_000));
    };
    const p = pool(url);
    cleanups.push(() => p.close());
    const holding: Buffer[] = [];
    const copying: Buffer[] = [];
    const unknown: Buffer[] = [];
    const sinks: [Buffer[], UpstreamBodySink][] = [
      [
        holding,
        {
          write: (c) => holding.push(c) > 0,
          end: (c) => c !== undefined && holding.push(c),
          once: () => 0,
          removeListener: () => 0,
          retains: () => true,
        },
      ],
      [
        copying,
        {
          write: (c) => copying.push(Buffer.from(c)) > 0,
          end: (c) => c !== undefined && copying.push(Buffer.from(c)),
          once: () => 0,
          removeListener: () => 0,
          retains: () => false,
        },
      ],
      [
        unknown,
        { write: (c) => unknown.push(c) > 0, end: (c) => c !== undefined && unknown.push(c), once: () => 0, removeListener: () => 0 },
      ],
    ];
    for (const [chunks, sink] of sinks) {
      const call = send(p, new TestCall('/big', { sink }));
      await call.done;
      assert.ok(chunks.length > 1, 'the body came in several reads');
      assert.ok(Buffer.concat(chunks).equals(body), 'the body arrived intact');
    }
  });

  it('an abort mid-body destroys the connection and frees its slot', async () => {
    const { backend, url } = await rawBackend();
    backend.onRequest = (s, head) =>
      head.includes('/stall') ? s.write('HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\npart') : s.write(ok('fresh'));
    const p = pool(url, new ManualClock(), 1);
    cleanups.push(() => p.close());
    const call = send(p, new TestCall('/stall'));
    const waiting = send(p, new TestCall('/after'));
    await until('part of the body', () => call.chunks.length > 0);
    assert.deepEqual(p.stats, { connected: 1, running: 1, pending: 1 });
    call.upstream?.cancel(call);
    const err = await failure(call);
    assert.equal(err.code, UpstreamErrorCode.aborted);
    assert.equal((await waiting.done).body, 'fresh');
    assert.equal(backend.connections, 2, 'the aborted connection was not reused');
    // A queued call can be cancelled too.
    backend.onRequest = () => undefined;
    const busy = send(p, new TestCall('/hang'));
    const queued = send(p, new TestCall('/queued'));
    queued.upstream?.cancel(queued);
    assert.equal((await failure(queued)).code, UpstreamErrorCode.aborted);
    busy.upstream?.cancel(busy);
    await failure(busy);
    await until('everything released', () => p.stats.running === 0 && p.stats.pending === 0 && p.stats.connected === 0);
  });

  it('a request body that breaks off fails the call as aborted and drops the connection', async () => {
    const { backend, url } = await rawBackend();
    backend.onRequest = () => undefined;
    const p = pool(url);
    cleanups.push(() => p.close());
    const body = new Readable({ read: () => undefined });
    const call = send(p, new TestCall('/upload', { method: 'POST', body, headers: { 'content-length': '100' } }));
    body.push(Buffer.from('some'));
    await until('the request at the backend', () => backend.requests === 1);
    body.destroy(new Error('client went away'));
    const err = await failure(call);
    assert.equal(err.code, UpstreamErrorCode.aborted);
    assert.equal(classifyUpstreamError(err), 'client_abort');
    await until('its socket closed', () => backend.sockets.size === 0 && p.stats.connected === 0);
  });

  it('times out connecting, waiting for the head and between body chunks, with the right kind', async () => {
    const { backend, url } = await rawBackend();
    const clock = new ManualClock();
    const p = pool(url, clock);
    cleanups.push(() => p.close());
    // Connect: time passes before the socket could connect.
    const connecting = send(p, new TestCall('/'));
    clock.advance(2_000 + p.sweepInterval);
    const c = await failure(connecting);
    assert.equal(c.code, UpstreamErrorCode.connectTimeout);
    assert.equal(classifyUpstreamError(c), 'connect');
    // Head: the backend got the request and says nothing.
    let got = 0;
    backend.onRequest = () => got++;
    const silent = send(p, new TestCall('/'));
    await until('the request at the backend', () => got === 1);
    clock.advance(1_000 + p.sweepInterval);
    const h = await failure(silent);
    assert.equal(h.code, UpstreamErrorCode.headersTimeout);
    assert.equal(classifyUpstreamError(h), 'timeout');
    // Body: a head and part of the body, then nothing.
    backend.onRequest = (s) => s.write('HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc');
    const stalled = send(p, new TestCall('/'));
    await stalled.headArrived;
    await until('the first body bytes', () => stalled.chunks.length > 0 || p.stats.running === 1);
    clock.advance(1_000 + p.sweepInterval);
    const b = await failure(stalled);
    assert.equal(b.code, UpstreamErrorCode.bodyTimeout);
    assert.equal(classifyUpstreamError(b), 'timeout');
    await until('timed-out sockets closed', () => backend.sockets.size === 0);
  });

  it('classifies refused connections, resets and invalid answers', async () => {
    const { backend, url } = await rawBackend();
    const p = pool(url);
    cleanups.push(() => p.close());
    backend.onRequest = (s) => s.write('HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc', () => s.resetAndDestroy());
    assert.equal(classifyUpstreamError(await failure(send(p, new TestCall('/')))), 'reset');
    backend.onRequest = (s) => s.write('HTTP/1.1 200 OK\r\ncontent-length: 1\r\ntransfer-encoding: chunked\r\n\r\n');
    const bad = await failure(send(p, new TestCall('/')));
    assert.equal(bad.code, UpstreamErrorCode.badResponse);
    assert.equal(classifyUpstreamError(bad), 'protocol');
    const gone = await rawBackend();
    await gone.backend.close();
    const refused = pool(gone.url);
    cleanups.push(() => refused.close());
    const err = await failure(send(refused, new TestCall('/')));
    assert.equal(err.code, 'ECONNREFUSED');
    assert.equal(classifyUpstreamError(err), 'connect');
  });

  it('sends a body of unknown length chunked, and a HEAD answer has no body', async () => {
    const { url } = await httpBackend((req, res) => {
      let n = 0;
      req.on('data', (c: Buffer) => {
        n += c.length;
      });
      req.on('end', () => {
        res.writeHead(200, { 'content-length': 5, 'x-te': req.headers['transfer-encoding'] ?? '' });
        res.end(req.method === 'HEAD' ? undefined : String(n).padStart(5, '0'));
      });
    });
    const p = pool(url);
    cleanups.push(() => p.close());
    const chunked = await send(p, new TestCall('/', { method: 'POST', body: Readable.from([Buffer.from('abc'), Buffer.from('defg')]) }))
      .done;
    assert.equal(chunked.body, '00007');
    const head = send(p, new TestCall('/', { method: 'HEAD' }));
    assert.deepEqual(await head.done, { status: 200, body: '' });
    assert.equal(head.responseHeaders['content-length'], '5');
    assert.equal((await send(p, new TestCall('/')).done).body, '00000', 'the connection is still in step after HEAD');
  });

  it('probes with request(): status back, body dropped, abortable', async () => {
    const { backend, url } = await rawBackend();
    backend.onRequest = (s, head) => (head.includes('/hang') ? undefined : s.write(ok('x'.repeat(1000))));
    const p = pool(url);
    cleanups.push(() => p.close());
    assert.equal((await p.request({ path: '/healthz', headers: { 'user-agent': 't' } })).statusCode, 200);
    const abort = new AbortController();
    const hanging = p.request({ path: '/hang', signal: abort.signal });
    await until('the probe at the backend', () => backend.requests === 2);
    abort.abort(new Error('probe timed out'));
    await assert.rejects(hanging, /probe timed out/);
    await until('its socket closed', () => p.stats.connected === 0);
    assert.equal(backend.connections, 1, 'the probe reused the idle connection');
  });

  it('close(): graceful lets running calls finish, final cuts them; both idempotent; later calls refused', async () => {
    const { backend, url } = await rawBackend();
    const held: Socket[] = [];
    backend.onRequest = (s) => held.push(s);
    const p = pool(url);
    const running = send(p, new TestCall('/'));
    await until('held', () => held.length === 1);
    let closed = false;
    const closing = p.close(false).then(() => {
      closed = true;
    });
    assert.equal(p.close(false), p.close(false));
    assert.equal((await failure(send(p, new TestCall('/')))).code, UpstreamErrorCode.poolClosed);
    await new Promise((r) => setImmediate(r));
    assert.equal(closed, false, 'waits for the running call');
    (held[0] as Socket).write(ok('done'));
    assert.equal((await running.done).body, 'done');
    await closing;
    assert.equal(backend.sockets.size === 0 || p.stats.connected === 0, true);
    const q = pool(url);
    const cut = send(q, new TestCall('/'));
    await until('held', () => held.length === 2);
    await q.close();
    await q.close();
    assert.equal(classifyUpstreamError(await failure(cut)), 'reset');
    assert.deepEqual(q.stats, { connected: 0, running: 0, pending: 0 });
  });
});
