import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, it } from 'node:test';
import { ManualClock, SeededRandom } from '../core/index.ts';
import type { RequestHandler } from './downstream-connection.ts';
import type { DownstreamRequest } from './downstream-request.ts';
import type { DownstreamResponse } from './downstream-response.ts';
import { PublicListener } from './public-listener.ts';

const TIMEOUTS = { headers: 1_000, request: 5_000, idle: 2_000, send: 3_000 };
const open: PublicListener[] = [];
const sockets: Socket[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(open.splice(0).map((l) => l.close(0, () => Promise.resolve())));
});

async function listen(
  handler: RequestHandler,
  clock = new ManualClock(),
): Promise<{ listener: PublicListener; port: number; clock: ManualClock }> {
  const listener = new PublicListener('test', handler, TIMEOUTS, 100, clock);
  open.push(listener);
  const { port } = await listener.listen(0, '127.0.0.1');
  return { listener, port, clock };
}

/** A raw client: what it writes goes out as is; `read` waits until the bytes so far satisfy `until`. */
class RawClient {
  readonly socket: Socket;
  text = '';
  ended = false;
  #waiters: (() => void)[] = [];

  constructor(port: number) {
    this.socket = connect(port, '127.0.0.1');
    sockets.push(this.socket);
    this.socket.setEncoding('latin1');
    this.socket.on('data', (d: string) => {
      this.text += d;
      for (const w of this.#waiters.splice(0)) w();
    });
    this.socket.on('close', () => {
      this.ended = true;
      for (const w of this.#waiters.splice(0)) w();
    });
    this.socket.on('error', () => undefined);
  }

  send(text: string | Buffer): void {
    this.socket.write(text);
  }

  async until(done: (text: string) => boolean): Promise<string> {
    while (!done(this.text)) {
      if (this.ended) throw new Error(`connection closed; got: ${JSON.stringify(this.text)}`);
      await new Promise<void>((r) => this.#waiters.push(r));
    }
    return this.text;
  }

  /** Waits for `n` complete responses framed by content-length (or chunked) and returns them. */
  async responses(n: number): Promise<string[]> {
    await this.until((t) => splitResponses(t).length >= n);
    return splitResponses(this.text);
  }

  closed(): Promise<void> {
    return this.ended ? Promise.resolve() : new Promise((r) => this.socket.once('close', () => r()));
  }
}

/** Complete HTTP/1.1 responses in `text` (content-length or chunked framing; 1xx skipped). */
function splitResponses(text: string): string[] {
  const out: string[] = [];
  let at = 0;
  for (;;) {
    const headEnd = text.indexOf('\r\n\r\n', at);
    if (headEnd < 0) return out;
    const head = text.slice(at, headEnd);
    if (/^HTTP\/1\.1 1\d\d /.test(head)) {
      at = headEnd + 4;
      continue;
    }
    const length = /\r\ncontent-length: (\d+)/i.exec(head);
    if (length !== null) {
      const end = headEnd + 4 + Number(length[1]);
      if (end > text.length) return out;
      out.push(text.slice(at, end));
      at = end;
    } else if (/\r\ntransfer-encoding: chunked/i.test(head)) {
      const end = text.indexOf('\r\n0\r\n\r\n', headEnd);
      const empty = text.startsWith('0\r\n\r\n', headEnd + 4);
      if (empty) {
        out.push(text.slice(at, headEnd + 9));
        at = headEnd + 9;
      } else if (end < 0) {
        return out;
      } else {
        out.push(text.slice(at, end + 7));
        at = end + 7;
      }
    } else {
      out.push(text.slice(at, headEnd + 4));
      at = headEnd + 4;
    }
  }
}

function readBody(req: DownstreamRequest): Promise<string> {
  if (req.body === null) return Promise.resolve('');
  const body = req.body;
  return new Promise((resolve, reject) => {
    let text = '';
    body.on('data', (c: Buffer) => {
      text += c.toString('latin1');
    });
    body.on('end', () => resolve(text));
    body.on('error', reject);
  });
}

function echo(req: DownstreamRequest, res: DownstreamResponse): void {
  readBody(req).then(
    (body) => {
      const out = Buffer.from(JSON.stringify({ method: req.method, url: req.url, host: req.headers.host ?? null, body }));
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(out.length) });
      res.end(out);
    },
    // The body broke off (a malformed chunk, the client left): the connection answers or is gone.
    () => res.destroy(),
  );
}

const json = (response: string): Record<string, unknown> => JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4));

describe('PublicListener (piper’s own HTTP/1.1 server)', () => {
  it('keeps a connection alive across requests and answers pipelined requests in order', async () => {
    let n = 0;
    const { port } = await listen((req, res) => {
      const i = ++n;
      // The first answer comes later than the second would: order must still hold.
      if (i === 1) setImmediate(() => setImmediate(() => echo(req, res)));
      else echo(req, res);
    });
    const c = new RawClient(port);
    c.send('GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n');
    const [a, b] = await c.responses(2);
    assert.equal(json(a as string).url, '/a');
    assert.equal(json(b as string).url, '/b');
    c.send('GET /c HTTP/1.1\r\nHost: x\r\n\r\n');
    const all = await c.responses(3);
    assert.equal(json(all[2] as string).url, '/c');
    assert.equal(c.ended, false);
  });

  it('streams a chunked request body to the handler and frames an answer without length as chunked', async () => {
    const { port } = await listen((req, res) => {
      void readBody(req).then((body) => {
        res.writeHead(201, { 'x-got': String(body.length) });
        res.write(Buffer.from('hello '));
        res.end(Buffer.from(body));
      });
    });
    const c = new RawClient(port);
    c.send('POST /up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabcde\r\n');
    c.send('3;ext=1\r\nfgh\r\n0\r\nTrailer: t\r\n\r\n');
    const [r] = await c.responses(1);
    assert.match(r as string, /^HTTP\/1\.1 201 Created\r\n/);
    assert.match(r as string, /\r\nx-got: 8\r\n/);
    assert.match(r as string, /transfer-encoding: chunked\r\n\r\n6\r\nhello \r\n8\r\nabcdefgh\r\n0\r\n\r\n$/);
  });

  it('sends 100 Continue when the body is first read, and none when the answer comes first', async () => {
    const { port } = await listen((req, res) => {
      if (req.url === '/refuse') {
        res.sendError(413, 'PIPER_BALANCER_TEST', 'too big');
        return;
      }
      echo(req, res);
    });
    const c = new RawClient(port);
    c.send('POST /ok HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n');
    await c.until((t) => t.includes('100 Continue'));
    c.send('abc');
    const [r] = await c.responses(1);
    assert.equal(json(r as string).body, 'abc');

    const d = new RawClient(port);
    d.send('POST /refuse HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n');
    const [refused] = await d.responses(1);
    assert.match(refused as string, /^HTTP\/1\.1 413 /);
    assert.doesNotMatch(d.text, /100 Continue/);
  });

  it('drops the unread body of a request answered early and serves the next request on the connection', async () => {
    const { port } = await listen((req, res) => {
      if (req.method === 'POST') res.sendError(503, 'PIPER_BALANCER_OVERLOADED', 'busy', { 'retry-after': '1' });
      else echo(req, res);
    });
    const c = new RawClient(port);
    c.send('POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n');
    const [shed] = await c.responses(1);
    assert.match(shed as string, /^HTTP\/1\.1 503 .*\r\nretry-after: 1\r\n/s);
    c.send(Buffer.alloc(100_000, 0x61));
    c.send('GET /after HTTP/1.1\r\nHost: x\r\n\r\n');
    const all = await c.responses(2);
    assert.equal(json(all[1] as string).url, '/after');
  });

  it('gives HEAD, 204 and 304 answers no body, and an HTTP/1.0 client a close-delimited one', async () => {
    const { port } = await listen((req, res) => {
      if (req.url === '/nc') {
        res.writeHead(204, {});
        res.end();
      } else if (req.url === '/stream') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write(Buffer.from('part1 '));
        res.end(Buffer.from('part2'));
      } else {
        res.writeHead(200, { 'content-length': '5' });
        res.end(req.method === 'HEAD' ? undefined : Buffer.from('hello'));
      }
    });
    const c = new RawClient(port);
    c.send('HEAD /h HTTP/1.1\r\nHost: x\r\n\r\nGET /nc HTTP/1.1\r\nHost: x\r\n\r\nGET /g HTTP/1.1\r\nHost: x\r\n\r\n');
    await c.until((t) => t.endsWith('hello'));
    assert.match(
      c.text,
      /^HTTP\/1\.1 200 OK\r\ncontent-length: 5\r\n\r\nHTTP\/1\.1 204 No Content\r\n\r\nHTTP\/1\.1 200 OK\r\ncontent-length: 5\r\n\r\nhello$/,
    );

    const old = new RawClient(port);
    old.send('GET /stream HTTP/1.0\r\n\r\n');
    await old.closed();
    assert.match(old.text, /^HTTP\/1\.1 200 OK\r\ncontent-type: text\/plain\r\nconnection: close\r\n\r\npart1 part2$/);
  });

  it('reduces an absolute-form target to its path and takes the host from it', async () => {
    const { port } = await listen(echo);
    const c = new RawClient(port);
    c.send('GET http://example.com:8080/p?q=1 HTTP/1.1\r\nHost: other\r\n\r\n');
    const [r] = await c.responses(1);
    assert.deepEqual(json(r as string), { method: 'GET', url: '/p?q=1', host: 'example.com:8080', body: '' });
  });

  it('absolute-form target without a path (http://h?x=1) is forwarded as /?x=1, never as ?x=1', async () => {
    const { port } = await listen(echo);
    const c = new RawClient(port);
    c.send(
      'GET http://h?x=1 HTTP/1.1\r\nHost: h\r\n\r\nGET HTTP://H2 HTTP/1.1\r\nHost: h\r\n\r\nGET http://h3#frag HTTP/1.1\r\nHost: h\r\n\r\n',
    );
    const [a, b, f] = await c.responses(3);
    assert.deepEqual(json(a as string), { method: 'GET', url: '/?x=1', host: 'h', body: '' });
    assert.deepEqual(json(b as string), { method: 'GET', url: '/', host: 'H2', body: '' });
    assert.deepEqual(json(f as string), { method: 'GET', url: '/', host: 'h3', body: '' });
  });

  it('OPTIONS * reaches the handler as it is; * with any other method is refused', async () => {
    const { port } = await listen(echo);
    const c = new RawClient(port);
    c.send('OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n');
    const [r] = await c.responses(1);
    assert.equal(json(r as string).url, '*');
    const bad = new RawClient(port);
    bad.send('GET * HTTP/1.1\r\nHost: h\r\n\r\n');
    await bad.closed();
    assert.match(bad.text, /^HTTP\/1\.1 400 /);
  });

  for (const [name, request, status, code] of [
    ['a malformed request line', 'GET/ HTTP/1.1\r\nHost: x\r\n\r\n', 400, 'PIPER_BALANCER_BAD_REQUEST'],
    [
      'Content-Length with Transfer-Encoding',
      'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      400,
      'PIPER_BALANCER_BAD_REQUEST',
    ],
    ['a head over 16 KiB', `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(17_000)}\r\n\r\n`, 431, 'PIPER_BALANCER_HEADERS_TOO_LARGE'],
    ['HTTP/2.0 in a request line', 'GET / HTTP/2.0\r\nHost: x\r\n\r\n', 505, 'PIPER_BALANCER_UNSUPPORTED_HTTP_VERSION'],
    ['an HTTP/1.1 request without Host', 'GET / HTTP/1.1\r\n\r\n', 400, 'PIPER_BALANCER_BAD_HOST'],
    [
      'a CONNECT tunnel request',
      'CONNECT internal.example:22 HTTP/1.1\r\nHost: internal.example:22\r\n\r\nSSH-2.0-x\r\n',
      405,
      'PIPER_BALANCER_METHOD_NOT_ALLOWED',
    ],
    [
      'cross-site tracing (TRACE)',
      'TRACE / HTTP/1.1\r\nHost: x\r\nCookie: session=secret\r\n\r\n',
      405,
      'PIPER_BALANCER_METHOD_NOT_ALLOWED',
    ],
    [
      'an absolute-form target with userinfo',
      'GET http://good.example@evil.example/ HTTP/1.1\r\nHost: x\r\n\r\n',
      400,
      'PIPER_BALANCER_BAD_REQUEST',
    ],
    ['an absolute-form target of another scheme', 'GET ftp://x/file HTTP/1.1\r\nHost: x\r\n\r\n', 400, 'PIPER_BALANCER_BAD_REQUEST'],
    ['an authority-form target without CONNECT', 'GET x:80 HTTP/1.1\r\nHost: x\r\n\r\n', 400, 'PIPER_BALANCER_BAD_REQUEST'],
  ] as const) {
    it(`answers ${name} ${status} with a code and closes, serving other clients meanwhile`, async () => {
      const { port } = await listen(echo);
      const bad = new RawClient(port);
      bad.send(request);
      await bad.closed();
      assert.match(bad.text, new RegExp(`^HTTP/1\\.1 ${status} `));
      assert.match(bad.text, /\r\nconnection: close\r\n/);
      assert.match(bad.text, /\r\ndate: Fri, 31 Mar 2017 21:50:00 GMT\r\n/);
      assert.equal((json(bad.text).error as { code: string }).code, code);
      if (status === 405) assert.match(bad.text, /\r\nallow: GET, /);
      const good = new RawClient(port);
      good.send('GET /fine HTTP/1.1\r\nHost: x\r\n\r\n');
      const [r] = await good.responses(1);
      assert.equal(json(r as string).url, '/fine');
    });
  }

  it('answers 408 to a head that does not arrive in time, and closes an idle kept-alive connection quietly', async () => {
    const { port, clock } = await listen(echo);
    const slow = new RawClient(port);
    slow.send('GET / HTTP/1.1\r\nHost: x\r\n');
    const idle = new RawClient(port);
    idle.send('GET /once HTTP/1.1\r\nHost: x\r\n\r\n');
    await idle.responses(1);
    await new Promise((r) => setImmediate(r));
    clock.advance(TIMEOUTS.headers + 1_000);
    await slow.closed();
    assert.match(slow.text, /^HTTP\/1\.1 408 /);
    assert.equal((json(slow.text).error as { code: string }).code, 'PIPER_BALANCER_REQUEST_TIMEOUT');
    clock.advance(TIMEOUTS.idle);
    await idle.closed();
    assert.equal(splitResponses(idle.text).length, 1);
  });

  it('closes at once when no connection is left, without waiting out the drain grace', async () => {
    const clock = new ManualClock();
    const listener = new PublicListener('test', echo, TIMEOUTS, 100, clock);
    const { port } = await listener.listen(0, '127.0.0.1');
    const c = new RawClient(port);
    c.send('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await c.responses(1);
    // The kept-alive client is idle: it is closed, and the grace's sleep is given up, not waited.
    await listener.close(10_000, (ms, signal) => clock.sleep(ms, signal));
    await c.closed();
    assert.equal(clock.pending, 0);
  });

  describe('slow-read attack', () => {
    let blocked: () => void = () => undefined;
    let blocks = 0;
    let closed = 0;
    const stalled = (): Promise<void> => new Promise((r) => (blocked = r));
    /** Until the kernel's buffers stop taking more (autotuning grows them for a while): no new block in 50 ms. */
    const settled = async (): Promise<void> => {
      for (let seen = -1; seen !== blocks; ) {
        seen = blocks;
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    // Streams an endless answer with backpressure, telling the test each time a write fills the socket.
    const endless: RequestHandler = (_req, res) => {
      res.onClose = { responseClosed: () => closed++ };
      res.writeHead(200, {});
      const chunk = Buffer.alloc(65_536, 'x');
      const pump = (): void => {
        while (res.write(chunk));
        if (res.writableFinished) return;
        blocks++;
        blocked();
        res.once('drain', pump);
      };
      pump();
    };

    it('a client that reads none of its answer for timeouts.send is cut, and its response told', async () => {
      closed = 0;
      const { port, clock } = await listen(endless);
      const reader = new RawClient(port);
      // Paused once connected: a socket paused before its connect starts reading when it connects.
      await new Promise((r) => reader.socket.once('connect', r));
      reader.socket.pause();
      const wait = stalled();
      reader.send('GET /endless HTTP/1.1\r\nHost: x\r\n\r\n');
      await wait;
      await settled();
      clock.advance(TIMEOUTS.send - 500);
      await new Promise((r) => setImmediate(r));
      assert.equal(reader.ended, false);
      clock.advance(1_500);
      // The client reads again only to see the end: what was already sent, then the close.
      reader.socket.resume();
      await reader.closed();
      assert.equal(closed, 1);
    });

    it('a client that keeps reading, however slowly, is not cut', async () => {
      const { port, clock } = await listen(endless);
      const reader = new RawClient(port);
      // Paused once connected: a socket paused before its connect starts reading when it connects.
      await new Promise((r) => reader.socket.once('connect', r));
      reader.socket.pause();
      let wait = stalled();
      reader.send('GET /endless HTTP/1.1\r\nHost: x\r\n\r\n');
      for (let i = 0; i < 4; i++) {
        await wait;
        // Reads a little within each half of the send timeout: the deadline starts again each time.
        clock.advance(TIMEOUTS.send / 2);
        wait = stalled();
        reader.socket.resume();
        await wait;
        reader.socket.pause();
        wait = Promise.resolve();
      }
      assert.equal(reader.ended, false);
    });
  });

  it('survives mutated requests (random bytes flipped, cut anywhere) and keeps serving', async () => {
    const { port } = await listen(echo);
    const random = new SeededRandom(11);
    const valid = Buffer.from(
      'POST /p?q=1 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n3;e=1\r\nabc\r\n0\r\nT: 1\r\n\r\n' +
        'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nok',
      'latin1',
    );
    const clients: RawClient[] = [];
    for (let round = 0; round < 150; round++) {
      const b = Buffer.from(valid);
      const flips = 1 + random.int(4);
      for (let k = 0; k < flips; k++) b[random.int(b.length)] = random.int(256);
      const c = new RawClient(port);
      const cut = random.int(b.length);
      c.send(b.subarray(0, cut));
      c.send(b.subarray(cut));
      // Half the clients leave at once, half wait for what they get.
      if (round % 2 === 0) c.socket.end();
      clients.push(c);
    }
    await Promise.all(clients.map((c) => (c.ended ? Promise.resolve() : new Promise((r) => setTimeout(r, 50)))));
    for (const c of clients) c.socket.destroy();
    const good = new RawClient(port);
    good.send('GET /still HTTP/1.1\r\nHost: x\r\n\r\n');
    const [r] = await good.responses(1);
    assert.equal(json(r as string).url, '/still');
  });

  it('tells the handler when the client leaves before the answer, and drains on close', async () => {
    const closes: boolean[] = [];
    let held: DownstreamResponse | null = null;
    const { listener, port } = await listen((_req, res) => {
      res.onClose = { responseClosed: () => closes.push(res.writableFinished) };
      held = res;
    });
    const gone = new RawClient(port);
    gone.send('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    while (held === null) await new Promise((r) => setImmediate(r));
    gone.socket.destroy();
    while (closes.length === 0) await new Promise((r) => setImmediate(r));
    assert.deepEqual(closes, [false]);

    held = null;
    const busy = new RawClient(port);
    busy.send('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    while (held === null) await new Promise((r) => setImmediate(r));
    const idle = new RawClient(port);
    await new Promise<void>((r) => idle.socket.once('connect', () => r()));
    const closing = listener.close(10_000, () => new Promise(() => undefined));
    await idle.closed();
    (held as DownstreamResponse).writeHead(200, { 'content-length': '2' });
    (held as DownstreamResponse).end(Buffer.from('ok'));
    await busy.closed();
    assert.match(busy.text, /^HTTP\/1\.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok$/);
    await closing;
    assert.deepEqual(closes, [false, true]);
  });
});
