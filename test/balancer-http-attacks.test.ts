import assert from 'node:assert/strict';
import { createServer, type Server as HttpServer, type IncomingMessage } from 'node:http';
import { type AddressInfo, connect, createServer as createNetServer, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { type PiperUpProcess, startPiperUp } from './balancer-process.ts';

/** What a backend saw: one entry per request its HTTP parser (llhttp) read off the wire. */
interface Seen {
  method: string;
  url: string;
  body: string;
  contentLength: string | undefined;
  transferEncoding: string | undefined;
}

/** Sends raw bytes on a fresh connection; resolves everything the proxy sent until it closed. */
function raw(url: string, bytes: string, waitMs = 5_000): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(bytes, 'latin1'));
    let got = '';
    socket.setEncoding('latin1').on('data', (d: string) => {
      got += d;
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(got));
    socket.setTimeout(waitMs, () => socket.destroy());
  });
}

/** A node:http backend that logs every request its parser finds, so a body read as a request shows. */
function loggingBackend(seen: Seen[]): HttpServer {
  return createServer({ keepAliveTimeout: 30_000 }, (req: IncomingMessage, res) => {
    let body = '';
    req.setEncoding('latin1');
    req.on('data', (d: string) => {
      body += d;
    });
    req.on('end', () => {
      seen.push({
        method: req.method ?? '',
        url: req.url ?? '',
        body,
        contentLength: req.headers['content-length'],
        transferEncoding: req.headers['transfer-encoding'],
      });
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 3 }).end('ok\n');
    });
  });
}

async function listening(server: HttpServer | Server): Promise<string> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('piper up: request smuggling, response splitting, route bypass', () => {
  const seen: Seen[] = [];
  const echo = loggingBackend(seen);
  // The backend of the /api route: what reaches it must be under /api.
  const apiSeen: Seen[] = [];
  const api = loggingBackend(apiSeen);
  // A raw backend that answers /split with a response whose framing is named in Connection, and
  // carries a forged second response in its body.
  const forged = 'HTTP/1.1 200 OK\r\nContent-Length: 6\r\nX-Forged: yes\r\n\r\nforged';
  const splitter: Server = createNetServer((socket: Socket) => {
    socket.on('error', () => undefined);
    socket.once('data', () => {
      socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${forged.length}\r\nConnection: content-length\r\n\r\n${forged}`);
    });
  });
  let up: PiperUpProcess;

  before(async () => {
    const [echoUrl, apiUrl, splitUrl] = await Promise.all([listening(echo), listening(api), listening(splitter)]);
    up = await startPiperUp({
      listeners: [{ name: 'public', address: '127.0.0.1', port: 0 }],
      admin: { address: '127.0.0.1', port: 0 },
      dashboard: { enabled: false },
      timeouts: { headers: '2s', request: '5s', upstreamHeaders: '2s' },
      pools: {
        echo: { backends: [{ name: 'e1', url: echoUrl }], healthCheck: { enabled: false } },
        split: { backends: [{ name: 's1', url: splitUrl }], healthCheck: { enabled: false } },
        api: { backends: [{ name: 'a1', url: apiUrl }], healthCheck: { enabled: false } },
      },
      routes: [
        { name: 'split', match: { pathPrefix: '/split' }, split: { split: 100 } },
        { name: 'api', match: { pathPrefix: '/api' }, split: { api: 100 } },
        { name: 'web', match: { pathPrefix: '/' }, split: { echo: 100 } },
      ],
    });
  });

  after(async () => {
    await up?.stop();
    for (const s of [echo, api]) {
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    }
    await new Promise((r) => splitter.close(r));
  });

  it('request smuggling through Connection: content-length: refused with 400, the backend sees nothing', async () => {
    seen.length = 0;
    const attack =
      'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 35\r\nConnection: content-length\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n';
    const answer = await raw(up.publicUrl, attack);
    assert.match(answer, /^HTTP\/1\.1 400 /);
    assert.match(answer, /PIPER_BALANCER_BAD_REQUEST/);
    // A second, ordinary request shows whether anything was left on the pooled connection.
    await raw(up.publicUrl, 'GET /after HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    assert.deepEqual(
      seen.map((s) => s.url),
      ['/after'],
    );
  });

  it('request smuggling through Connection: transfer-encoding: refused with 400', async () => {
    seen.length = 0;
    const attack =
      'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: transfer-encoding\r\n\r\n' +
      '23\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n\r\n0\r\n\r\n';
    assert.match(await raw(up.publicUrl, attack), /^HTTP\/1\.1 400 /);
    assert.equal(seen.length, 0);
  });

  it('a body is forwarded framed by the length it was read by: Content-Length as sent, chunked when unknown', async () => {
    seen.length = 0;
    await raw(up.publicUrl, 'POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello');
    await raw(
      up.publicUrl,
      'POST /b HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n0\r\n\r\n',
    );
    await raw(up.publicUrl, 'POST /c HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
    assert.deepEqual(seen, [
      { method: 'POST', url: '/a', body: 'hello', contentLength: '5', transferEncoding: undefined },
      { method: 'POST', url: '/b', body: 'hello', contentLength: undefined, transferEncoding: 'chunked' },
      { method: 'POST', url: '/c', body: '', contentLength: '0', transferEncoding: undefined },
    ]);
  });

  it('response splitting through Connection: content-length: the client gets 502, never the forged response', async () => {
    const answer = await raw(up.publicUrl, 'GET /split HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    assert.match(answer, /^HTTP\/1\.1 502 /);
    assert.doesNotMatch(answer, /X-Forged/i);
  });

  it('prefix-route bypass through /api/../ and %2e%2e: routed and forwarded as the normalised path', async () => {
    seen.length = 0;
    apiSeen.length = 0;
    for (const target of ['/api/../admin', '/api/%2e%2e/admin', '/api/.%2E/admin', '/%61pi/v1/./x']) {
      const answer = await raw(up.publicUrl, `GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      assert.match(answer, /^HTTP\/1\.1 200 /, target);
    }
    // Nothing outside /api reached the /api route's backend; what did was the normalised path.
    assert.deepEqual(
      apiSeen.map((s) => s.url),
      ['/api/v1/x'],
    );
    assert.deepEqual(
      seen.map((s) => s.url),
      ['/admin', '/admin', '/admin'],
    );
    assert.match(await raw(up.publicUrl, 'GET /api/%zz HTTP/1.1\r\nHost: x\r\n\r\n'), /^HTTP\/1\.1 400 /);
  });
});
