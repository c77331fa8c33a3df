import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { Duplex } from 'node:stream';

/** A request as the backend's parser (llhttp, strict) read it from what the proxy sent. */
export interface BackendRequest {
  /** `NAME-N`: sent back as `x-echo-seq`, so a response the client gets names the request it answers. */
  seq: string;
  /** Which of the backend's connections it came on (1, 2, …). */
  connection: number;
  method: string;
  target: string;
  rawHeaders: string[];
  /** latin1 */
  body: string;
  /** The whole body arrived. */
  complete: boolean;
}

/** Targets (path prefixes) that make the backend misbehave, for the response-side cases. */
export const LATE_BYTES_PATH = '/api/late-bytes';
export const CONNECTION_CL_PATH = '/api/connection-content-length';

/**
 * What the backend writes, late, after its response to {@link LATE_BYTES_PATH}: a stray response
 * that reaches the proxy after the proxy has put the next request on that connection (written
 * when that request arrives, before its own answer), as a slow backend's stray bytes would.
 */
export const LATE_RESPONSE = 'HTTP/1.1 200 OK\r\ncontent-length: 14\r\nx-echo-seq: late\r\n\r\nlate-smuggled!';
/** The body of the response to {@link CONNECTION_CL_PATH}: a whole response of its own. */
export const EMBEDDED_RESPONSE = 'HTTP/1.1 200 OK\r\ncontent-length: 9\r\nx-echo-seq: embedded\r\n\r\nsmuggled!';

/**
 * The bytes of one raw TCP connection handed to node:http as a Duplex: node's parser (llhttp, as
 * strict as node runs it) reads them, and every byte is also kept as received.
 */
function bridge(raw: Socket, received: Buffer[]): Duplex {
  const d = new Duplex({
    read() {
      raw.resume();
    },
    write(chunk: Buffer, _enc, cb) {
      if (raw.destroyed) cb();
      else raw.write(chunk, () => cb());
    },
    final(cb) {
      raw.end();
      cb();
    },
    destroy(err, cb) {
      raw.destroy();
      cb(err);
    },
  });
  raw.on('data', (chunk: Buffer) => {
    received.push(chunk);
    if (!d.push(chunk)) raw.pause();
  });
  raw.on('end', () => d.push(null));
  raw.on('close', () => d.destroy());
  raw.on('error', () => {});
  return d;
}

/**
 * An echo backend for the end-to-end differential: a raw TCP server whose bytes node:http parses
 * (so a request smuggled inside another's body shows up here as a request of its own), which logs
 * every request it reads (method, target, headers, body) and answers each with a small fixed
 * response naming it (`x-echo-seq`, body `echo SEQ METHOD TARGET`). Two targets misbehave on
 * purpose: one sends late bytes after its response, one names content-length in Connection.
 */
export class EchoBackend {
  readonly name: string;
  readonly requests: BackendRequest[] = [];
  /** What the backend's parser refused (llhttp's code and reason), per connection. */
  readonly parseErrors: string[] = [];
  /** The body sent for each seq: what a client must get as the answer to that request. */
  readonly sentBodies = new Map<string, string>();
  /** Every byte received, per connection. */
  readonly received: Buffer[][] = [];
  /** `performance.now()` when a byte last arrived: the exchange runner waits for quiet. */
  lastActivity = 0;
  readonly #server: Server;
  readonly #http: HttpServer;
  readonly #sockets = new Set<Socket>();
  readonly #connectionOf = new WeakMap<object, number>();
  readonly #rawOf = new WeakMap<object, Socket>();
  /** Connections that owe the late bytes to whatever request comes next on them. */
  readonly #owesLateBytes = new WeakSet<object>();
  #seq = 0;

  private constructor(name: string) {
    this.name = name;
    this.#http = createHttpServer({ requireHostHeader: false, keepAliveTimeout: 60_000 }, this.#onRequest);
    this.#http.on('checkExpectation', this.#onRequest);
    this.#http.on('clientError', (err: Error & { code?: string; reason?: string }, socket: Duplex) => {
      // Input that ends inside a message is the proxy giving up on it, not bytes llhttp refused.
      if (err.code !== 'HPE_INVALID_EOF_STATE' && err.code !== 'ECONNRESET')
        this.parseErrors.push(`${err.code ?? 'ERROR'} ${err.reason ?? err.message}`);
      socket.destroy();
    });
    for (const event of ['connect', 'upgrade'] as const) {
      this.#http.on(event, (req: IncomingMessage, socket: Duplex) => {
        this.#log(req, socket).complete = true;
        socket.destroy();
      });
    }
    this.#server = createServer((raw) => {
      this.#sockets.add(raw);
      raw.on('close', () => this.#sockets.delete(raw));
      raw.on('data', () => {
        this.lastActivity = performance.now();
      });
      const received: Buffer[] = [];
      this.received.push(received);
      const d = bridge(raw, received);
      this.#connectionOf.set(d, this.received.length);
      this.#rawOf.set(d, raw);
      this.#http.emit('connection', d);
    });
  }

  /** Listens on 127.0.0.1, port 0. */
  static async start(name: string): Promise<EchoBackend> {
    const b = new EchoBackend(name);
    await new Promise<void>((resolve) => b.#server.listen(0, '127.0.0.1', resolve));
    return b;
  }

  get port(): number {
    return (this.#server.address() as AddressInfo).port;
  }

  /** Forgets what was logged (between cases). */
  reset(): void {
    this.requests.length = 0;
    this.parseErrors.length = 0;
    this.received.length = 0;
  }

  /** Closes every connection (between cases, so nothing a case left in one reaches the next). */
  closeConnections(): void {
    for (const s of this.#sockets) s.destroy();
  }

  async close(): Promise<void> {
    this.closeConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #log(req: IncomingMessage, socket: Duplex): BackendRequest {
    const r: BackendRequest = {
      seq: `${this.name}-${++this.#seq}`,
      connection: this.#connectionOf.get(socket) ?? 0,
      method: req.method ?? '',
      target: req.url ?? '',
      rawHeaders: req.rawHeaders,
      body: '',
      complete: false,
    };
    this.requests.push(r);
    return r;
  }

  #onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const r = this.#log(req, req.socket);
    const raw = this.#rawOf.get(req.socket);
    if (raw !== undefined && this.#owesLateBytes.has(req.socket)) {
      this.#owesLateBytes.delete(req.socket);
      raw.write(LATE_RESPONSE, 'latin1');
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('error', () => {});
    req.on('end', () => {
      r.body = Buffer.concat(chunks).toString('latin1');
      r.complete = true;
      const path = r.target.split('?')[0] as string;
      if (path.startsWith(CONNECTION_CL_PATH)) {
        // Framing a proxy must keep: Content-Length is also named as a connection option.
        this.sentBodies.set(r.seq, EMBEDDED_RESPONSE);
        res.writeHead(200, [
          ['content-length', String(EMBEDDED_RESPONSE.length)],
          ['connection', 'content-length'],
          ['x-echo-seq', r.seq],
        ]);
        res.end(EMBEDDED_RESPONSE);
        return;
      }
      const body = `echo ${r.seq} ${r.method} ${r.target}\n`;
      this.sentBodies.set(r.seq, body);
      res.writeHead(200, {
        'content-type': 'text/plain',
        'content-length': String(Buffer.byteLength(body, 'latin1')),
        'x-echo-seq': r.seq,
      });
      res.end(body, 'latin1');
      if (path.startsWith(LATE_BYTES_PATH)) this.#owesLateBytes.add(req.socket);
    });
  };
}
