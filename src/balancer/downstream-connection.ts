import type { Socket } from 'node:net';
import type { Clock } from '../core/index.ts';
import { type Http1Headers, Http1Parser, type Http1ParserHandler } from '../http1/index.ts';
import { type BodySource, DownstreamRequest, RequestBody } from './downstream-request.ts';
import { DownstreamResponse, type ResponseOwner } from './downstream-response.ts';
import { absoluteTarget, normalizedTarget } from './request-target.ts';

/** Client-side timeouts in ms (0: none). */
export interface ListenerTimeouts {
  /** All request headers within this (slowloris guard → 408). */
  headers: number;
  /** The whole request within this. */
  request: number;
  /** Keep-alive idle time. */
  idle: number;
  /**
   * Longest a response may wait for a client that reads nothing (nginx's `send_timeout`): past
   * it the connection is cut, and with it the backend connection the response was streaming from.
   */
  send: number;
}

/** What the listener does with request bodies. */
export interface RequestBodyLimits {
  /** Bytes of a body read ahead of admission at most (`RequestBody.readAhead`; 0: none). */
  buffer: number;
  /** Least bytes per second a body must keep while its request holds a pool slot (0: none). */
  minRate: number;
  /** Time over which `minRate` is measured (ms). */
  rateWindow: number;
}

/** Called with each request; the response's `onClose` tells when it ended or the client left. */
export type RequestHandler = (req: DownstreamRequest, res: DownstreamResponse) => void;

/** What a connection needs from its listener. */
export interface DownstreamOwner {
  readonly clock: Clock;
  readonly timeouts: ListenerTimeouts;
  readonly bodyLimits: RequestBodyLimits;
  readonly handler: RequestHandler;
  /** The listener is draining: finish the current exchange, then close. */
  readonly draining: boolean;
  /** The current HTTP date. */
  date(): string;
  gone(conn: DownstreamConnection): void;
}

// Phases of a client connection; the listener's sweep reads `deadline` against them.
const NEW = 0; // connected, no byte yet
const HEAD = 1; // reading a request head
const BODY = 2; // reading a request body (the response may already be under way)
const WAITING = 3; // the request was read in full; its response is under way
const IDLE = 4; // between requests (keep-alive)
const CLOSED = 5;

const BODY_TOO_SLOW = 'PIPER_BALANCER_BODY_TOO_SLOW';

const ERROR_NAMES: Record<number, string> = {
  400: 'PIPER_BALANCER_BAD_REQUEST',
  405: 'PIPER_BALANCER_METHOD_NOT_ALLOWED',
  408: 'PIPER_BALANCER_REQUEST_TIMEOUT',
  431: 'PIPER_BALANCER_HEADERS_TOO_LARGE',
  501: 'PIPER_BALANCER_UNSUPPORTED_TRANSFER_CODING',
  505: 'PIPER_BALANCER_UNSUPPORTED_HTTP_VERSION',
};

/**
 * One client connection of a public listener: parses requests in place, hands each to the
 * pipeline with its response, and reads the next only once that response has ended (requests a
 * client pipelines are held, with the socket paused). The request body streams with backpressure
 * (the socket pauses while the reader is behind); a response that ends before its request body
 * was read discards the rest of the body, as node:http does, so the connection can be reused.
 * Malformed requests get their status (400, 431, 501, 505) and the connection closes; a head or
 * request that takes too long gets 408, and so does a body that arrives slower than the minimum
 * rate while its request holds a backend slot. Timeouts are deadlines checked by the listener's sweep.
 */
export class DownstreamConnection implements Http1ParserHandler, ResponseOwner, BodySource {
  readonly socket: Socket;
  phase = NEW;
  /** Monotonic ms when the current phase times out; 0: never. */
  deadline = 0;
  readonly #owner: DownstreamOwner;
  readonly #parser: Http1Parser;
  #res: DownstreamResponse | null = null;
  #body: RequestBody | null = null;
  /** Bytes that arrived while a request's response was under way (the next, pipelined request). */
  #held: Buffer | null = null;
  #requestStart = 0;
  /** Monotonic ms when the whole request times out (`timeouts.request`); 0: never. */
  #requestDeadline = 0;
  /** Whether the body is held to the minimum rate (its request holds a backend slot). */
  #rateChecked = false;
  /** Start of the current rate window (monotonic ms), and the body bytes that arrived since. */
  #rateFrom = 0;
  #rateBytes = 0;
  #parsing = false;
  #responseEnded = false;
  #bodyPaused = false;
  #dumpBody = false;
  #expectContinue = false;
  #closed = false;
  /** A response's bytes wait in the socket for a client that is not reading. */
  #sendBlocked = false;
  /** Requests handed to the pipeline on this connection. */
  #requests = 0;

  constructor(owner: DownstreamOwner, socket: Socket) {
    this.#owner = owner;
    this.socket = socket;
    this.#parser = new Http1Parser(this, 'request');
    this.#parser.reset();
    const t = owner.timeouts.headers;
    this.deadline = t > 0 ? owner.clock.monotonic() + t : 0;
    socket.setNoDelay(true);
    socket.on('data', this.#onData);
    socket.on('end', this.#onEnd);
    socket.on('error', noop);
    socket.on('close', this.#onClose);
    socket.on('drain', this.#onDrain);
  }

  /** Called by the sweep once `deadline` has passed. */
  expire(): void {
    if (this.phase === HEAD) this.#refuse(408, 'the request head did not arrive in time');
    else if (this.phase === BODY) this.#expireBody();
    // Idle, or a client that read nothing of its answer for `timeouts.send`.
    else this.destroy();
  }

  /** The listener drains: an idle connection closes now, a busy one after its response. */
  drain(): void {
    if (this.phase === NEW || this.phase === IDLE) this.destroy();
    else if (this.#res !== null && !this.#res.headersSent) this.#res.keepAlive = false;
  }

  destroy(): void {
    if (this.#closed) return;
    this.phase = CLOSED;
    this.deadline = 0;
    this.socket.destroy();
  }

  // --- parser callbacks (synchronous, inside #parse) ---

  onMessageHead(headers: Http1Headers): void {
    const p = this.#parser;
    const owner = this.#owner;
    const method = p.method;
    if (method === 'CONNECT' || method === 'TRACE') {
      // A reverse proxy opens no tunnels, and TRACE would echo the client's headers (cookies and
      // all) back to a script (cross-site tracing): neither reaches a backend.
      this.#refuseHead(405, `${method} is not allowed`, NOT_ALLOWED);
      return;
    }
    let url = p.target;
    if (url.charCodeAt(0) !== 0x2f && !(url === '*' && method === 'OPTIONS')) {
      // Absolute form (RFC 9112 §3.2.2): its authority replaces Host, its path is the target. The
      // asterisk form is OPTIONS's alone (§3.2.4); any other target cannot be forwarded as asked.
      const target = absoluteTarget(url);
      if (target === null) {
        this.#refuseHead(400, 'invalid request-target');
        return;
      }
      headers.host = target.authority;
      url = target.path;
    }
    if (url !== '*') {
      // Routed and forwarded as one normalised path, so a route prefix cannot be stepped around
      // with `/api/../` or `%2e%2e` that a backend would resolve after the balancer did not.
      const normalized = normalizedTarget(url);
      if (normalized === null) {
        this.#refuseHead(400, 'malformed percent-encoding in the request-target');
        return;
      }
      url = normalized;
    }
    const body = p.hasBody ? new RequestBody(this, owner.bodyLimits.buffer) : null;
    this.#body = body;
    this.#expectContinue = body !== null && p.expectContinue;
    this.#responseEnded = false;
    if (body !== null) {
      this.phase = BODY;
      const t = owner.timeouts.request;
      this.#requestDeadline = t > 0 ? this.#requestStart + t : 0;
      this.deadline = this.#requestDeadline;
      this.#rateChecked = false;
    } else {
      this.phase = WAITING;
      this.deadline = 0;
    }
    const res = new DownstreamResponse(this, p.http10, p.method === 'HEAD', p.keepAlive && !owner.draining);
    this.#res = res;
    const first = this.#requests++ === 0;
    owner.handler(new DownstreamRequest(p.method, url, headers, this.socket, p.http10, body, p.contentLength, first), res);
  }

  onMessageBody(buf: Buffer, start: number, end: number): void {
    const body = this.#body;
    if (body === null || this.#dumpBody || body.destroyed) return;
    this.#rateBytes += end - start;
    if (!body.receive(start === 0 && end === buf.length ? buf : buf.subarray(start, end)) && !this.#bodyPaused) {
      this.#bodyPaused = true;
      this.socket.pause();
      // The backend is behind, not the client: its rate is not measured while it cannot send.
      if (this.#rateChecked) this.deadline = this.#requestDeadline;
    }
  }

  onMessageComplete(): void {
    const body = this.#body;
    if (body !== null && !this.#dumpBody && !body.destroyed) body.finish(this.#owner.clock.monotonic());
    this.phase = WAITING;
    // The request's deadlines are over; an answer already waiting on the client keeps its own.
    this.deadline = 0;
    if (this.#sendBlocked) this.#armSendTimeout();
  }

  // --- BodySource ---

  wantBody(): void {
    if (this.#expectContinue) {
      this.#expectContinue = false;
      if (!this.#closed && this.#res?.headersSent === false) this.socket.write('HTTP/1.1 100 Continue\r\n\r\n', 'latin1');
    }
    if (this.#bodyPaused) {
      this.#bodyPaused = false;
      if (this.#rateChecked && this.phase === BODY) this.#startRateWindow(this.#owner.clock.monotonic());
      this.#updateFlow();
    }
  }

  slotTaken(): void {
    if (this.phase !== BODY || this.#owner.bodyLimits.minRate <= 0) return;
    this.#rateChecked = true;
    if (!this.#bodyPaused) this.#startRateWindow(this.#owner.clock.monotonic());
  }

  // --- ResponseOwner ---

  writeBlocked(): void {
    this.#sendBlocked = true;
    this.#armSendTimeout();
  }

  date(): string {
    return this.#owner.date();
  }

  responseEnded(res: DownstreamResponse): void {
    if (res !== this.#res) return;
    this.#responseEnded = true;
    res.closed();
    // Inside the parser (an answer given synchronously), #parse carries on once it returns.
    if (this.#parsing || this.phase === CLOSED) return;
    if (this.phase === BODY) {
      this.#dropBody();
      return;
    }
    if (!this.#next()) return;
    const held = this.#held;
    if (held !== null) {
      // The next request is parsed once the current call stack (the previous response's) has unwound.
      this.#held = null;
      queueMicrotask(() => {
        this.#parse(held, 0);
        this.#updateFlow();
      });
    } else {
      this.#updateFlow();
    }
  }

  // --- socket events (bound once per connection) ---

  #onData = (chunk: Buffer): void => {
    if (this.phase === CLOSED) return;
    if (this.#held !== null || (this.phase === WAITING && this.#res !== null)) {
      this.#hold(chunk);
      return;
    }
    this.#parse(chunk, 0);
  };

  /** The client read what was written: its send deadline gives way to the phase's own. */
  #onDrain = (): void => {
    if (!this.#sendBlocked) return;
    this.#sendBlocked = false;
    if (this.phase === WAITING || this.phase === CLOSED) this.deadline = 0;
    else if (this.phase === IDLE) this.#armIdleTimeout();
  };

  /**
   * A response waits on a client that does not read: the connection may stay so for `timeouts.send`
   * (while the request is still arriving, its own deadline rules). Without it a client that stops
   * reading would hold its connection, and the backend connection streaming to it, for ever.
   */
  #armSendTimeout(): void {
    const t = this.#owner.timeouts.send;
    if (t > 0 && (this.phase === WAITING || this.phase === IDLE || this.phase === CLOSED)) {
      this.deadline = this.#owner.clock.monotonic() + t;
    }
  }

  #armIdleTimeout(): void {
    const t = this.#owner.timeouts.idle;
    this.deadline = t > 0 ? this.#owner.clock.monotonic() + t : 0;
  }

  #onEnd = (): void => {
    // The client closed its side: as node:http does by default, it is taken to have left (a request
    // under way is aborted, its upstream call cancelled), since it cannot be told apart from one
    // that gave up waiting.
    this.destroy();
  };

  #onClose = (): void => {
    this.#closed = true;
    this.phase = CLOSED;
    this.deadline = 0;
    this.#held = null;
    const body = this.#body;
    if (body !== null && !body.readableEnded && !body.destroyed) body.destroy(new Error('the client connection closed'));
    this.#res?.closed();
    this.#res = null;
    this.#body = null;
    this.#owner.gone(this);
  };

  // --- internals ---

  #parse(buf: Buffer, start: number): void {
    const parser = this.#parser;
    let i = start;
    let stalled = 0;
    while (i < buf.length && this.phase !== CLOSED) {
      if (this.phase === NEW || this.phase === IDLE) this.#beginRequest();
      this.#parsing = true;
      const from = i;
      i = parser.execute(buf, i);
      this.#parsing = false;
      // A step without progress is a state change; two in a row would loop forever: a parser bug,
      // answered as a bad request rather than a hung process.
      if (i === from && ++stalled > 1) {
        this.#refuse(400, 'the request could not be parsed');
        return;
      }
      if (i !== from) stalled = 0;
      if (this.phase === CLOSED) return;
      if (parser.failed) {
        this.#refuse(parser.errorStatus || 400, parser.error);
        return;
      }
      if (this.#responseEnded) {
        // Answered while the request was still being read: drop the rest of its body, or go on
        // to the next request once it is read.
        if (this.phase === BODY) this.#dropBody();
        else if (!this.#next()) return;
        continue;
      }
      // The next request (if the client pipelines) waits for this one's response.
      if (parser.done && i < buf.length) this.#hold(buf.subarray(i));
      return;
    }
  }

  /**
   * The body's deadline passed: the whole request's (`timeouts.request`), or the end of a rate
   * window. A body held to the minimum rate that brought less than `minRate` over the window is
   * cut (Apache's mod_reqtimeout `MinRate`; nginx's `client_body_timeout` is the same idea with
   * one byte per 60 s as the rate): its request holds a backend slot, and a client that trickles
   * would keep it for `timeouts.request`. Otherwise the next window starts.
   */
  #expireBody(): void {
    const now = this.#owner.clock.monotonic();
    if (!this.#rateChecked || (this.#requestDeadline !== 0 && now >= this.#requestDeadline)) {
      this.#refuse(408, 'the request did not arrive in full in time');
      return;
    }
    const minRate = this.#owner.bodyLimits.minRate;
    if (this.#rateBytes < (minRate * (now - this.#rateFrom)) / 1000) {
      this.#refuse(408, `the request body arrived slower than ${minRate} bytes/s`, BODY_TOO_SLOW);
      return;
    }
    this.#startRateWindow(now);
  }

  #startRateWindow(now: number): void {
    this.#rateFrom = now;
    this.#rateBytes = 0;
    const end = now + this.#owner.bodyLimits.rateWindow;
    this.deadline = this.#requestDeadline === 0 ? end : Math.min(end, this.#requestDeadline);
  }

  /** The response ended before its request body was read (a shed upload): read the rest and drop it. */
  #dropBody(): void {
    if (this.#dumpBody) return;
    this.#dumpBody = true;
    // The rest holds no backend slot: only the whole request's deadline still applies.
    if (this.#rateChecked) {
      this.#rateChecked = false;
      this.deadline = this.#requestDeadline;
    }
    this.#expectContinue = false;
    this.#bodyPaused = false;
    this.#updateFlow();
  }

  #beginRequest(): void {
    const now = this.#owner.clock.monotonic();
    const t = this.#owner.timeouts.headers;
    // A new connection's head deadline runs from the connect; a kept-alive one's from the first byte.
    if (this.phase === IDLE) this.deadline = t > 0 ? now + t : 0;
    this.#requestStart = now;
    this.phase = HEAD;
  }

  /** After a response and its request are both done: ready for the next, or closed. True when open. */
  #next(): boolean {
    const res = this.#res;
    const keepAlive = res?.keepAlive && !this.#owner.draining;
    this.#res = null;
    this.#body = null;
    this.#dumpBody = false;
    this.#bodyPaused = false;
    this.#expectContinue = false;
    this.#responseEnded = false;
    this.#rateChecked = false;
    // The answer's last bytes may still wait for the client: the idle time (or the close) starts
    // once it has read them, and until then the send timeout applies.
    const blocked = this.socket.writableNeedDrain;
    if (blocked) this.#sendBlocked = true;
    if (!keepAlive) {
      this.phase = CLOSED;
      this.deadline = 0;
      this.#held = null;
      this.socket.end();
      if (blocked) this.#armSendTimeout();
      return false;
    }
    this.#parser.reset();
    this.phase = IDLE;
    if (blocked) this.#armSendTimeout();
    else this.#armIdleTimeout();
    return true;
  }

  #hold(chunk: Buffer): void {
    const held = this.#held;
    this.#held = held === null ? chunk : Buffer.concat([held, chunk]);
    this.socket.pause();
  }

  /** Reads the socket unless a held request or a full body buffer says to wait. */
  #updateFlow(): void {
    if (this.#closed) return;
    const wait = this.#held !== null || this.#bodyPaused;
    if (wait) this.socket.pause();
    else if (this.socket.isPaused()) this.socket.resume();
  }

  /** Refuses a request from its head callback: the parser stops, the rest of the request is never read. */
  #refuseHead(status: number, message: string, headers?: Readonly<Record<string, string>>): void {
    this.#parser.halt();
    this.#refuse(status, message, undefined, headers);
  }

  /** Answers a request the parser refused (or that timed out) and closes the connection. */
  #refuse(status: number, message: string, errorCode?: string, headers?: Readonly<Record<string, string>>): void {
    const res = this.#res;
    const body = this.#body;
    this.phase = CLOSED;
    this.deadline = 0;
    this.#held = null;
    if (body !== null && !body.destroyed) body.destroy(new Error(message));
    if (res?.headersSent) {
      // Mid-exchange (a body that broke framing after its answer started): only cutting is honest.
      this.socket.destroy();
      return;
    }
    const reply = res ?? new DownstreamResponse(this, false, false, false);
    this.#res = reply;
    reply.keepAlive = false;
    const code =
      errorCode ??
      (status === 400 && /\bHost\b/.test(message) ? 'PIPER_BALANCER_BAD_HOST' : (ERROR_NAMES[status] ?? 'PIPER_BALANCER_BAD_REQUEST'));
    reply.sendError(status, code, message, headers);
    this.socket.end();
  }
}

// RFC 9110 §15.5.6: a 405 lists what is allowed. Extension methods are forwarded too.
const NOT_ALLOWED = { allow: 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS' };

function noop(): void {}
