import { connect, type Socket } from 'node:net';
import { PiperError } from '../core/index.ts';
import { Http1Parser, type Http1ParserHandler } from '../http1/index.ts';
import type { RequestSpec } from './request-mix.ts';
import type { InFlightRequest, RequestSender, SendErrorKind, SendSink } from './request-sender.ts';
import { loadgenErrors } from './loadgen-errors.ts';

/** Options of the raw HTTP/1.1 sender. */
export interface RawHttpSenderOptions {
  /** Origin (and optional base path) to load, e.g. `http://127.0.0.1:8080`; http:// only. */
  origin: string;
  requests: readonly RequestSpec[];
  /** Keep-alive connections opened at most. */
  connections: number;
  /**
   * The runner enforces the real timeout; a connection silent this long (+1 s) while connecting or
   * with a request outstanding is dropped as a backstop.
   */
  timeoutMs: number;
  /** Clock read when a request goes onto a connection. */
  monotonic: () => number;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const REQUEST_TARGET = /^[\x21-\x7e]+$/;

/**
 * HTTP/1.1 keep-alive sender on plain `node:net` sockets, as autocannon and wrk do it: each kind
 * of request is serialized once into a Buffer and written with one `socket.write`; responses are
 * read in place by the response role of the one HTTP/1.1 parser ({@link Http1Parser}). A fixed pool of connections, one
 * request at a time on each (no pipelining), opened on demand and reopened after a close. A
 * request is written at most once: a connection lost under it fails it (`reset`), never retries.
 */
export class RawHttpSender implements RequestSender {
  readonly #host: string;
  readonly #port: number;
  readonly #wire: Buffer[];
  readonly #head: boolean[];
  readonly #max: number;
  readonly #backstopMs: number;
  readonly monotonic: () => number;
  readonly #all = new Set<RawConnection>();
  readonly #idle: RawConnection[] = [];
  #connecting = 0;
  #connected = 0;
  #queue: InFlightRequest[] = [];
  #queueSinks: SendSink[] = [];
  #queueHead = 0;
  #closed: Promise<void> | null = null;

  constructor(options: RawHttpSenderOptions) {
    let url: URL;
    try {
      url = new URL(options.origin);
    } catch (err) {
      throw new PiperError(loadgenErrors.PIPER_LOADGEN_INVALID_TARGET, `target: "${options.origin}" is not a URL`, { cause: err });
    }
    if (url.protocol !== 'http:') {
      throw new PiperError(
        loadgenErrors.PIPER_LOADGEN_INVALID_TARGET,
        `target: "${options.origin}": the raw sender speaks http:// only (use --sender undici)`,
      );
    }
    this.#host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    this.#port = url.port === '' ? 80 : Number(url.port);
    this.#max = Math.max(1, Math.floor(options.connections));
    this.#backstopMs = options.timeoutMs + 1000;
    this.monotonic = options.monotonic;
    const basePath = url.pathname === '/' ? '' : url.pathname.replace(/\/$/, '');
    this.#wire = options.requests.map((r) =>
      serializeRequest(r, basePath + r.path + (r.path.includes('?') || url.search === '' ? '' : url.search), url.host),
    );
    this.#head = options.requests.map((r) => r.method.toUpperCase() === 'HEAD');
  }

  send(req: InFlightRequest, sink: SendSink): void {
    if (this.#closed !== null) {
      sink.finished(req, req.status, 'aborted');
      return;
    }
    if (req.done) return;
    const conn = this.#idle.pop();
    if (conn !== undefined) {
      conn.dispatch(req, sink);
      return;
    }
    this.#queue.push(req);
    this.#queueSinks.push(sink);
    this.#grow();
  }

  close(): Promise<void> {
    if (this.#closed !== null) return this.#closed;
    const conns = [...this.#all];
    this.#idle.length = 0;
    this.#closed = Promise.all(conns.map((c) => c.destroy())).then(() => {});
    // Undelivered requests end as undici's do when its pool is destroyed.
    this.#failQueued('aborted');
    return this.#closed;
  }

  /** The wire bytes and whether the response has no body, for one kind of request. */
  wire(kind: number): Buffer {
    return this.#wire[kind] as Buffer;
  }

  /** Whether {@link close} was called (requests cut off then are `aborted`). */
  get closing(): boolean {
    return this.#closed !== null;
  }

  isHead(kind: number): boolean {
    return this.#head[kind] === true;
  }

  /** A connection is ready for another request: give it the oldest queued one, or park it. */
  release(conn: RawConnection): void {
    while (this.#queueHead < this.#queue.length) {
      const i = this.#queueHead++;
      const req = this.#queue[i] as InFlightRequest;
      const sink = this.#queueSinks[i] as SendSink;
      this.#compact();
      // Requests the runner already counted (timed out or stopped while queued) are never sent.
      if (!req.done) {
        conn.dispatch(req, sink);
        return;
      }
    }
    this.#idle.push(conn);
  }

  connected(conn: RawConnection): void {
    this.#connecting--;
    this.#connected++;
    if (this.#closed !== null) {
      void conn.destroy();
      return;
    }
    this.release(conn);
  }

  /** A connection is gone; `wasConnected` false means the connect itself failed. */
  gone(conn: RawConnection, wasConnected: boolean): void {
    this.#all.delete(conn);
    const at = this.#idle.indexOf(conn);
    if (at !== -1) this.#idle.splice(at, 1);
    if (wasConnected) this.#connected--;
    else {
      this.#connecting--;
      // As undici does: with no live connection, what waits for one fails now instead of waiting
      // out its timeout; the next request tries to connect again.
      if (this.#connected === 0) this.#failQueued('connect');
      // No new attempt here: against a server refusing connections that would spin; the next
      // request sent tries again.
      return;
    }
    if (this.#closed === null) this.#grow();
  }

  #grow(): void {
    const waiting = this.#queue.length - this.#queueHead;
    while (this.#all.size < this.#max && this.#connecting < waiting) {
      this.#connecting++;
      this.#all.add(new RawConnection(this, this.#host, this.#port, this.#backstopMs));
    }
  }

  #failQueued(kind: SendErrorKind): void {
    const q = this.#queue;
    const sinks = this.#queueSinks;
    const from = this.#queueHead;
    this.#queue = [];
    this.#queueSinks = [];
    this.#queueHead = 0;
    for (let i = from; i < q.length; i++) {
      const req = q[i] as InFlightRequest;
      if (!req.done) (sinks[i] as SendSink).finished(req, req.status, kind);
    }
  }

  #compact(): void {
    if (this.#queueHead > 4096 && this.#queueHead * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#queueHead);
      this.#queueSinks = this.#queueSinks.slice(this.#queueHead);
      this.#queueHead = 0;
    }
  }
}

/** The generator keeps only a response's status and whether its connection stays open: it reads the parser's fields. */
const COUNT_NOTHING: Http1ParserHandler = {
  onMessageHead() {},
  onMessageBody() {},
  onMessageComplete() {},
};

/**
 * One keep-alive connection, carrying one request at a time. It is also the request's cancel
 * handle (no closure per request): cancelling a written request means dropping the connection.
 */
class RawConnection {
  readonly #pool: RawHttpSender;
  readonly #socket: Socket;
  readonly #parser = new Http1Parser(COUNT_NOTHING, 'response');
  #connected = false;
  #gone = false;
  #req: InFlightRequest | null = null;
  #sink: SendSink | null = null;
  #error: Error | null = null;
  #timedOut = false;
  #closed: Promise<void>;

  constructor(pool: RawHttpSender, host: string, port: number, backstopMs: number) {
    this.#pool = pool;
    this.#socket = connect({ host, port, noDelay: true });
    this.#socket.setTimeout(backstopMs);
    this.#socket.on('connect', this.#onConnect);
    this.#socket.on('data', this.#onData);
    this.#socket.on('error', this.#onError);
    this.#socket.on('timeout', this.#onTimeout);
    this.#closed = new Promise((resolve) => this.#socket.once('close', resolve)).then(this.#onClose);
  }

  dispatch(req: InFlightRequest, sink: SendSink): void {
    this.#req = req;
    this.#sink = sink;
    req.cancel = this;
    this.#parser.reset(this.#pool.isHead(req.kind));
    req.startedAt = this.#pool.monotonic();
    sink.started(req);
    this.#socket.write(this.#pool.wire(req.kind));
  }

  /** Cancels the request on this connection (the runner counted it already). */
  abort(_reason: Error): void {
    if (this.#req?.done === true) void this.destroy();
  }

  destroy(): Promise<void> {
    this.#socket.destroy();
    return this.#closed;
  }

  #onConnect = (): void => {
    this.#connected = true;
    this.#pool.connected(this);
  };

  #onData = (chunk: Buffer): void => {
    // Dropped (a cancelled request) but not closed yet: what still arrives is moot, and the
    // connection must not go back to the idle list.
    if (this.#socket.destroyed) return;
    const req = this.#req;
    if (req === null) {
      // Bytes nobody asked for (or after a response we gave up on): the connection is unusable.
      this.#socket.destroy();
      return;
    }
    const parser = this.#parser;
    const at = parser.execute(chunk);
    if (!parser.done && !parser.failed) return;
    const sink = this.#sink as SendSink;
    this.#req = null;
    this.#sink = null;
    if (parser.failed || at < chunk.length) {
      this.#socket.destroy();
      sink.finished(req, req.status, 'protocol');
      return;
    }
    // Read before release(): handing the connection a queued request resets the parser.
    const status = parser.status;
    req.status = status;
    if (parser.keepAlive) this.#pool.release(this);
    else this.#socket.destroy();
    sink.finished(req, status, null);
  };

  #onError = (err: Error): void => {
    this.#error = err;
  };

  #onTimeout = (): void => {
    if (!this.#connected || this.#req !== null) {
      this.#timedOut = true;
      this.#socket.destroy();
    }
  };

  #onClose = (): void => {
    if (this.#gone) return;
    this.#gone = true;
    const req = this.#req;
    const sink = this.#sink;
    this.#req = null;
    this.#sink = null;
    this.#pool.gone(this, this.#connected);
    if (req === null || sink === null || req.done) return;
    if (this.#error === null && !this.#timedOut && this.#parser.finishOnClose()) {
      req.status = this.#parser.status;
      sink.finished(req, req.status, null);
      return;
    }
    const kind = this.#pool.closing ? 'aborted' : this.#timedOut ? 'timeout' : this.#connected ? socketErrorKind(this.#error) : 'connect';
    sink.finished(req, req.status, kind);
  };
}

/** Maps a socket error on an established connection onto the generator's error kinds. */
function socketErrorKind(error: Error | null): SendErrorKind {
  const code = (error as { code?: string } | null)?.code ?? '';
  if (code === 'ETIMEDOUT') return 'timeout';
  // A close without an error while a response was due is the peer hanging up: undici's
  // "other side closed", a reset too.
  return 'reset';
}

/** The wire form of one kind of request: head and body in one Buffer, written as is. */
export function serializeRequest(spec: RequestSpec, target: string, host: string): Buffer {
  const method = spec.method.toUpperCase();
  if (!TOKEN.test(method)) throw invalid(`method: "${spec.method}" is not an HTTP method`);
  if (!REQUEST_TARGET.test(target)) throw invalid(`path: "${target}" has characters a request line cannot carry (encode them)`);
  const body = spec.body === null ? null : Buffer.from(spec.body, 'utf8');
  let head = `${method} ${target} HTTP/1.1\r\n`;
  let hasHost = false;
  for (const [name, value] of Object.entries(spec.headers)) {
    if (!TOKEN.test(name)) throw invalid(`headers: "${name}" is not a header name`);
    if (!FIELD_VALUE.test(value)) throw invalid(`headers: the value of "${name}" has control characters`);
    const lower = name.toLowerCase();
    // The length is the sender's to state: it sends the body whole.
    if (lower === 'content-length' || lower === 'transfer-encoding') continue;
    if (lower === 'host') hasHost = true;
    head += `${name}: ${value}\r\n`;
  }
  if (!hasHost) head = head.replace('\r\n', `\r\nhost: ${host}\r\n`);
  if (body !== null || method === 'POST' || method === 'PUT' || method === 'PATCH') head += `content-length: ${body?.length ?? 0}\r\n`;
  head += '\r\n';
  const headBytes = Buffer.from(head, 'latin1');
  return body === null ? headBytes : Buffer.concat([headBytes, body]);
}

function invalid(message: string): PiperError {
  return new PiperError(loadgenErrors.PIPER_LOADGEN_INVALID_OPTIONS, message);
}
