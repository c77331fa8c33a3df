import { connect, type Socket } from 'node:net';
import type { Readable } from 'node:stream';
import type { Clock } from '../core/index.ts';
import { Http1Parser, type Http1ParserHandler, type UpstreamHeaders } from '../http1/index.ts';
import type { UpstreamBodySink, UpstreamCall, UpstreamCallTimeouts, UpstreamCancel } from './upstream-call.ts';
import { UpstreamErrorCode, upstreamError } from './upstream-error.ts';
import { requestHead, requestWantsClose } from './upstream-request-head.ts';

/** What a connection needs from its pool. */
export interface ConnectionOwner {
  readonly origin: string;
  readonly hostHeader: string;
  readonly clock: Clock;
  readonly connectTimeout: number;
  readonly callTimeouts: UpstreamCallTimeouts;
  /** Keep-alive idle time when the backend gives no hint (ms). */
  readonly keepAliveTimeout: number;
  /** The exchange finished and the connection may carry another request. */
  released(conn: UpstreamConnection): void;
  /** The socket closed. */
  gone(conn: UpstreamConnection): void;
  /** Sends again a call its reused connection lost before any response byte (the backend closed it idle). */
  retry(call: UpstreamCall): void;
}

// Phases of a connection; the sweep reads `deadline` against the phase to name the timeout.
const IDLE = 0;
const CONNECTING = 1;
const WAITING_HEAD = 2;
const READING_BODY = 3;

// RFC 9110 §9.2.2: these may be sent again when a stale keep-alive connection loses them.
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);
// undici's margin: a server announcing `timeout=N` may close at N, so stop using it earlier.
const KEEP_ALIVE_HINT_MARGIN = 2_000;
const KEEP_ALIVE_MAX = 30_000;
/** Bytes per socket read into the connection's own buffer (memory: one per open connection). */
const READ_BUFFER_BYTES = 16 * 1024;

/**
 * One keep-alive HTTP/1.1 connection to a backend, carrying one call at a time (no pipelining).
 * It is also the running call's cancel handle. Every listener is bound once per connection, not
 * per request. The response body goes to the sink as slices of the socket's buffers; the last
 * slice of a response is passed to `end()` so a small answer costs one write downstream.
 */
export class UpstreamConnection implements Http1ParserHandler, UpstreamCancel {
  readonly socket: Socket;
  phase = CONNECTING;
  /** Monotonic ms when the current phase times out; 0: never. */
  deadline = 0;
  isConnected = false;
  readonly #owner: ConnectionOwner;
  readonly #parser: Http1Parser;
  #call: UpstreamCall | null = null;
  #sink: UpstreamBodySink | null = null;
  /** The latest body slice, held back so the response's last one goes out with `end()`. */
  #piece: Buffer | null = null;
  #body: Readable | null = null;
  #chunkedBody = false;
  #bodyPaused = false;
  #sinkPaused = false;
  #responseDone = false;
  #keepAlive = true;
  #gotBytes = false;
  #reused = false;
  #closed = false;
  #headersTimeout = 0;
  #bodyTimeout = 0;
  #idleTimeout: number;
  #now = 0;
  /** Where the socket reads into; replaced when a sink kept a slice of it (`#lent`). */
  #readBuffer: Buffer | null = null;
  #lent = false;

  constructor(owner: ConnectionOwner, host: string, port: number) {
    this.#owner = owner;
    this.#parser = new Http1Parser(this, 'response');
    this.#idleTimeout = owner.keepAliveTimeout;
    // Reads go into a buffer of the connection's own (`onread`) and straight to the parser, past
    // the socket's Readable machinery and a fresh 64 KiB allocation per read: a few µs per
    // response. The buffer is reused only while no sink kept a slice of it (see #write).
    this.socket = connect({ host, port, noDelay: true, onread: { buffer: this.#nextReadBuffer, callback: this.#onRead } });
    this.deadline = owner.connectTimeout > 0 ? owner.clock.monotonic() + owner.connectTimeout : 0;
    this.socket.on('connect', this.#onConnect);
    this.socket.on('end', this.#onEnd);
    this.socket.on('error', this.#onError);
    this.socket.on('close', this.#onClose);
    this.socket.on('drain', this.#onSocketDrain);
  }

  /** Whether a call is on this connection. */
  get busy(): boolean {
    return this.#call !== null;
  }

  /** Sends a call: the head in one write, then the body as it comes. */
  assign(call: UpstreamCall): void {
    const owner = this.#owner;
    this.#call = call;
    call.upstream = this;
    this.#responseDone = false;
    this.#gotBytes = false;
    this.#keepAlive = true;
    this.#parser.reset(call.method === 'HEAD');
    const t = call.callTimeouts ?? owner.callTimeouts;
    this.#headersTimeout = t.headers;
    this.#bodyTimeout = t.body;
    const body = call.body;
    // The framing is the one the body is written by here, never read off a field that came with
    // the request: a field the client named in Connection is not forwarded, and a length taken
    // from it would let the body be read upstream as a new request (request smuggling).
    const length = call.contentLength;
    const chunked = body !== null && length < 0;
    this.#chunkedBody = chunked;
    const framing = chunked ? 'transfer-encoding: chunked\r\n' : length >= 0 ? `content-length: ${length}\r\n` : '';
    const block = call.headerBlock;
    if (block !== null) {
      this.socket.write(`${call.method} ${call.path} HTTP/1.1\r\n${block}${framing}\r\n`, 'latin1');
    } else {
      if (requestWantsClose(call.headers)) this.#keepAlive = false;
      this.socket.write(requestHead(call.method, call.path, call.headers, framing, owner.hostHeader), 'latin1');
    }
    if (body !== null) {
      this.#body = body;
      body.on('data', this.#onBodyData);
      body.on('end', this.#onBodyEnd);
      body.on('error', this.#onBodyError);
    }
    if (this.isConnected) {
      this.phase = WAITING_HEAD;
      this.deadline = this.#headersTimeout > 0 ? owner.clock.monotonic() + this.#headersTimeout : 0;
    }
  }

  /** The client left: drop the call and the connection (a half-read response cannot be reused). */
  cancel(call: UpstreamCall): void {
    if (this.#call !== call) return;
    this.#detach(call);
    this.destroy();
    call.onUpstreamError(upstreamError(UpstreamErrorCode.aborted, 'the request was aborted', this.#owner.origin));
  }

  /** Called by the pool's sweep once `deadline` has passed. */
  expire(): void {
    const o = this.#owner.origin;
    switch (this.phase) {
      case IDLE:
        this.destroy();
        return;
      case CONNECTING:
        this.#fail(upstreamError(UpstreamErrorCode.connectTimeout, `connecting to ${o} timed out`, o), false);
        return;
      case WAITING_HEAD:
        this.#fail(upstreamError(UpstreamErrorCode.headersTimeout, `no response head from ${o} in time`, o), false);
        return;
      default:
        this.#fail(upstreamError(UpstreamErrorCode.bodyTimeout, `the response body from ${o} stalled`, o), false);
    }
  }

  destroy(): void {
    this.#closed = true;
    this.deadline = 0;
    this.#parser.halt();
    this.socket.destroy();
  }

  // --- parser callbacks (synchronous, inside #onData) ---

  onMessageHead(headers: UpstreamHeaders): void {
    const call = this.#call as UpstreamCall;
    const hint = headers['keep-alive'];
    if (hint !== undefined) this.#applyKeepAliveHint(hint);
    this.phase = READING_BODY;
    this.deadline = this.#bodyTimeout > 0 ? this.#now + this.#bodyTimeout : 0;
    try {
      this.#sink = call.onUpstreamHead(this.#parser.status, headers, this.#parser.contentLength);
    } catch (err) {
      // The head could not be passed on (a header Node refuses to write): nothing sane can follow.
      this.#fail(
        upstreamError(UpstreamErrorCode.badResponse, `unusable response head from ${this.#owner.origin}`, this.#owner.origin, err),
        false,
      );
    }
  }

  onMessageBody(buf: Buffer, start: number, end: number): void {
    if (this.#sink === null) return;
    const piece = start === 0 && end === buf.length ? buf : buf.subarray(start, end);
    if (this.#piece !== null) this.#write(this.#piece);
    this.#piece = piece;
  }

  onMessageComplete(): void {
    this.#responseDone = true;
  }

  // --- socket and body events (bound once per connection) ---

  #onConnect = (): void => {
    this.isConnected = true;
    if (this.#call !== null) {
      this.phase = WAITING_HEAD;
      this.deadline = this.#headersTimeout > 0 ? this.#owner.clock.monotonic() + this.#headersTimeout : 0;
    }
  };

  #nextReadBuffer = (): Buffer => {
    if (this.#readBuffer === null || this.#lent) {
      this.#readBuffer = Buffer.allocUnsafeSlow(READ_BUFFER_BYTES);
      this.#lent = false;
    }
    return this.#readBuffer;
  };

  #onRead = (bytes: number, buf: Buffer): boolean => {
    this.#onData(buf, bytes);
    return true;
  };

  /** `buf[0..bytes)` arrived: parsed in place, not cut out with `subarray` (an object per read). */
  #onData(buf: Buffer, bytes: number): void {
    const call = this.#call;
    if (call === null || this.#closed) {
      // Bytes nobody asked for: the backend broke framing; the connection cannot be trusted.
      this.destroy();
      return;
    }
    this.#gotBytes = true;
    this.#now = this.#owner.clock.monotonic();
    const parser = this.#parser;
    const used = parser.execute(buf, 0, bytes);
    if (this.#call !== call) return; // failed or cancelled inside a callback
    if (parser.failed) {
      const o = this.#owner.origin;
      this.#fail(upstreamError(UpstreamErrorCode.badResponse, `invalid response from ${o}: ${parser.error}`, o), false);
      return;
    }
    if (this.#responseDone) {
      // Bytes past the response on a connection without pipelining: do not trust it again.
      if (used < bytes) this.#keepAlive = false;
      this.#complete(call);
      return;
    }
    if (this.#piece !== null) {
      this.#write(this.#piece);
      this.#piece = null;
    }
    if (this.phase === READING_BODY && this.#bodyTimeout > 0 && !this.#sinkPaused) this.deadline = this.#now + this.#bodyTimeout;
  }

  #onEnd = (): void => {
    const call = this.#call;
    if (call === null) {
      this.destroy(); // the backend closed an idle connection
      return;
    }
    this.#now = this.#owner.clock.monotonic();
    if (this.#parser.untilClose) {
      this.#parser.finishOnClose();
      this.#keepAlive = false;
      this.#complete(call);
      return;
    }
    const o = this.#owner.origin;
    this.#fail(upstreamError(UpstreamErrorCode.closed, `${o} closed the connection before the response ended`, o), true);
  };

  #onError = (err: Error): void => {
    const code = (err as { code?: string }).code;
    this.#fail(err, code === 'ECONNRESET' || code === 'EPIPE');
  };

  #onClose = (): void => {
    this.#closed = true;
    this.deadline = 0;
    const call = this.#call;
    if (call !== null) {
      const o = this.#owner.origin;
      this.#fail(upstreamError(UpstreamErrorCode.closed, `the connection to ${o} closed mid-exchange`, o), true);
    }
    this.#owner.gone(this);
  };

  #onSocketDrain = (): void => {
    if (this.#bodyPaused && this.#body !== null) {
      this.#bodyPaused = false;
      this.#body.resume();
    }
  };

  #onSinkDrain = (): void => {
    if (!this.#sinkPaused) return;
    this.#sinkPaused = false;
    if (this.#closed) return;
    this.socket.resume();
    if (this.phase === READING_BODY && this.#bodyTimeout > 0) this.deadline = this.#owner.clock.monotonic() + this.#bodyTimeout;
  };

  #onBodyData = (chunk: Buffer): void => {
    if (chunk.length === 0) return; // in chunked framing an empty chunk would end the body
    const socket = this.socket;
    let ok: boolean;
    if (this.#chunkedBody) {
      socket.cork();
      socket.write(`${chunk.length.toString(16)}\r\n`, 'latin1');
      socket.write(chunk);
      ok = socket.write('\r\n', 'latin1');
      socket.uncork();
    } else {
      ok = socket.write(chunk);
    }
    if (!ok && !this.#bodyPaused) {
      this.#bodyPaused = true;
      (this.#body as Readable).pause();
    }
    // Time to the response head counts from the request's last progress (as undici does).
    if (this.phase === WAITING_HEAD && this.#headersTimeout > 0) this.deadline = this.#owner.clock.monotonic() + this.#headersTimeout;
  };

  #onBodyEnd = (): void => {
    if (this.#chunkedBody) this.socket.write('0\r\n\r\n', 'latin1');
    this.#detachBody();
  };

  #onBodyError = (err: Error): void => {
    // The client's body broke off: the upstream request can never be completed.
    this.#fail(upstreamError(UpstreamErrorCode.aborted, 'the request body broke off', this.#owner.origin, err), false);
  };

  // --- internals ---

  #write(piece: Buffer): void {
    const sink = this.#sink as UpstreamBodySink;
    const ok = sink.write(piece);
    // A slice the sink still holds must not be overwritten by the next read.
    if (sink.retains?.() ?? true) this.#lent = true;
    if (!ok && !this.#sinkPaused) {
      // The client reads slower than the backend sends: stop reading the backend until it drains.
      this.#sinkPaused = true;
      this.deadline = 0;
      this.socket.pause();
      sink.once('drain', this.#onSinkDrain);
    }
  }

  #complete(call: UpstreamCall): void {
    const sink = this.#sink;
    const piece = this.#piece;
    // A response that came while the body was still streaming: the request half is unfinished.
    const requestDone = this.#body === null;
    this.#detach(call);
    if (sink !== null) {
      if (piece === null) sink.end();
      else sink.end(piece);
      if (piece !== null && (sink.retains?.() ?? true)) this.#lent = true;
    }
    this.#reused = true;
    const reusable = this.#keepAlive && this.#parser.keepAlive && requestDone && !this.#closed;
    if (!reusable) this.destroy();
    call.onUpstreamEnd();
    if (reusable) {
      this.phase = IDLE;
      this.deadline = this.#idleTimeout > 0 ? this.#now + this.#idleTimeout : 0;
      this.#owner.released(this);
    }
  }

  /** Ends the running call with an error; `transient` errors on a reused connection before any response byte are sent again. */
  #fail(err: Error, transient: boolean): void {
    const call = this.#call;
    this.destroy();
    if (call === null) return;
    this.#detach(call);
    if (transient && this.#reused && !this.#gotBytes && call.body === null && IDEMPOTENT.has(call.method)) {
      this.#owner.retry(call);
      return;
    }
    call.onUpstreamError(err);
  }

  #detach(call: UpstreamCall): void {
    if (this.#sinkPaused) {
      this.#sinkPaused = false;
      (this.#sink as UpstreamBodySink).removeListener('drain', this.#onSinkDrain);
      if (!this.#closed) this.socket.resume();
    }
    this.#detachBody();
    this.#call = null;
    this.#sink = null;
    this.#piece = null;
    call.upstream = null;
  }

  #detachBody(): void {
    const body = this.#body;
    if (body === null) return;
    this.#body = null;
    this.#bodyPaused = false;
    body.removeListener('data', this.#onBodyData);
    body.removeListener('end', this.#onBodyEnd);
    body.removeListener('error', this.#onBodyError);
  }

  /** `Keep-Alive: timeout=N` (RFC 2068 §19.7.1): stop reusing the connection before the server drops it. */
  #applyKeepAliveHint(hint: string | string[]): void {
    const text = typeof hint === 'string' ? hint : hint.join(',');
    const m = /timeout\s*=\s*(\d+)/i.exec(text);
    if (m === null) return;
    const ms = Math.min(Number(m[1]) * 1000 - KEEP_ALIVE_HINT_MARGIN, KEEP_ALIVE_MAX);
    if (ms <= 0) this.#keepAlive = false;
    else this.#idleTimeout = Math.min(ms, this.#owner.keepAliveTimeout);
  }
}
