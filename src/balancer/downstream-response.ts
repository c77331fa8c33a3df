import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { fieldLines } from './header-lines.ts';
import type { UpstreamBodySink } from './upstream-call.ts';

/** What a response tells the connection that carries it. */
export interface ResponseOwner {
  readonly socket: Socket;
  /** The current HTTP date (RFC 9110 §5.6.7), for the answers the balancer makes itself. */
  date(): string;
  /** The response was written in full (`end()`); the connection may read the next request. */
  responseEnded(res: DownstreamResponse): void;
  /** A body write filled the socket's buffer: the client is not reading as fast as the answer comes. */
  writeBlocked(): void;
}

// Heads and small bodies go out in one write: one syscall, one stream operation (node:http's
// default of a head write plus a body write costs a writev of two buffers and more JS per answer).
const COALESCE_MAX = 16 * 1024;
const CRLF = Buffer.from('\r\n', 'latin1');
const LAST_CHUNK = Buffer.from('0\r\n\r\n', 'latin1');

/** Head lines per status, built once: `HTTP/1.1 200 OK\r\n`. */
const STATUS_LINES = new Map<number, string>();
function statusLine(status: number): string {
  let line = STATUS_LINES.get(status);
  if (line === undefined) {
    line = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Unknown'}\r\n`;
    if (STATUS_LINES.size < 1000) STATUS_LINES.set(status, line);
  }
  return line;
}

/** Told when a response closes: it ended, or the client left before it did. */
export interface ResponseCloseListener {
  responseClosed(): void;
}

/**
 * The answer to one client request, written straight onto the client's socket: the balancer's
 * replacement for node:http's `ServerResponse`, with the part of its interface the pipeline uses
 * (and the `UpstreamBodySink` a backend's body streams into). The head is held until the first
 * body bytes so that a small answer leaves in one write. Framing: a `content-length` given is
 * kept; without one the body goes chunked to an HTTP/1.1 client and until close to an HTTP/1.0
 * one; HEAD, 1xx, 204 and 304 answers carry no body whatever the headers say (RFC 9112 §6.3).
 * Header names and values are written as given: they come from the upstream parser, which refused
 * anything but token names and CR/LF-free values, or from the balancer itself.
 */
export class DownstreamResponse implements UpstreamBodySink {
  statusCode = 200;
  headersSent = false;
  /** The whole response was handed to the socket. */
  writableFinished = false;
  /** Whether the connection stays open after this response (set by the connection, lowered here). */
  keepAlive: boolean;
  /**
   * Told once: when the response ended, or when the client left before it did. An object rather
   * than a closure, so the pipeline's exchange can listen without an allocation per request.
   */
  onClose: ResponseCloseListener | null = null;
  readonly #owner: ResponseOwner;
  readonly #http10: boolean;
  readonly #noBodyRequest: boolean;
  #head: string | null = null;
  #chunked = false;
  #noBody = false;
  #ended = false;

  constructor(owner: ResponseOwner, http10: boolean, headRequest: boolean, keepAlive: boolean) {
    this.#owner = owner;
    this.#http10 = http10;
    this.#noBodyRequest = headRequest;
    this.keepAlive = keepAlive;
  }

  get socket(): Socket {
    return this.#owner.socket;
  }

  /**
   * Sets the status and headers (names lower-case; arrays repeat the field). The framing headers
   * `connection`, `keep-alive` and `transfer-encoding` are the balancer's to decide and are ignored.
   */
  writeHead(status: number, headers: Readonly<Record<string, string | string[] | undefined>>): void {
    let block = '';
    for (const name in headers) {
      const value = headers[name];
      if (
        value === undefined ||
        name === 'connection' ||
        name === 'transfer-encoding' ||
        name === 'keep-alive' ||
        name === 'content-length'
      ) {
        continue;
      }
      block += fieldLines(name, value);
    }
    const length = headers['content-length'];
    this.writeHeadBlock(status, block, typeof length === 'string' ? Number(length) : -1);
  }

  /**
   * Sets the status and the header lines already serialized (`name: value\r\n` each, without
   * framing fields). `contentLength` (-1: none) is written here as the body's one framing, so the
   * head never announces another length than the one the body is read and written by.
   */
  writeHeadBlock(status: number, block: string, contentLength: number): void {
    if (this.headersSent) throw new Error('response head already sent');
    this.statusCode = status;
    this.headersSent = true;
    this.#noBody = this.#noBodyRequest || status < 200 || status === 204 || status === 304;
    const hasLength = contentLength >= 0;
    let head = statusLine(status) + block;
    if (hasLength) head += `content-length: ${contentLength}\r\n`;
    if (!hasLength && !this.#noBody) {
      if (this.#http10) this.keepAlive = false;
      else this.#chunked = true;
    }
    if (this.#chunked) head += 'transfer-encoding: chunked\r\n';
    if (!this.keepAlive) head += 'connection: close\r\n';
    else if (this.#http10) head += 'connection: keep-alive\r\n';
    this.#head = `${head}\r\n`;
  }

  /** Writes body bytes; false when the socket's buffer is full (wait for 'drain'). */
  write(chunk: Buffer): boolean {
    if (this.#ended) return false;
    if (!this.headersSent) this.writeHead(this.statusCode, {});
    if (this.#noBody || chunk.length === 0) return this.#flushHead();
    const ok = this.#send(chunk, false);
    if (!ok) this.#owner.writeBlocked();
    return ok;
  }

  /** Ends the response, with last body bytes if given. Idempotent. */
  end(chunk?: Buffer | string): void {
    if (this.#ended) return;
    if (!this.headersSent) this.writeHead(this.statusCode, {});
    this.#ended = true;
    const socket = this.#owner.socket;
    if (socket.destroyed) return;
    const body = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    if (this.#noBody || body === undefined || body.length === 0) {
      if (this.#chunked) {
        const head = this.#takeHead();
        if (head !== null) socket.write(`${head}0\r\n\r\n`, 'latin1');
        else socket.write(LAST_CHUNK);
      } else {
        this.#flushHead();
      }
    } else {
      this.#send(body, true);
    }
    this.writableFinished = true;
    this.#owner.responseEnded(this);
  }

  /**
   * Answers with a JSON error `{ error: { code, message } }` (the house format), or, when a head
   * was already sent, cuts the connection: the client must not take a truncated body for whole.
   */
  sendError(status: number, code: string, message: string, headers: Readonly<Record<string, string>> = {}): void {
    if (this.headersSent) {
      this.destroy();
      return;
    }
    const body = Buffer.from(JSON.stringify({ error: { code, message } }));
    this.writeHead(status, {
      ...headers,
      date: this.#owner.date(),
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(body.length),
    });
    this.end(body);
  }

  /** Cuts the client's connection (a response that cannot be completed); nothing once it ended. */
  destroy(): void {
    if (!this.writableFinished) this.#owner.socket.destroy();
  }

  /** Tells `onClose` (once); called by the connection. */
  closed(): void {
    const listener = this.onClose;
    this.onClose = null;
    listener?.responseClosed();
  }

  /** Whether the socket still holds written bytes (a chunk given to the last write may be among them). */
  retains(): boolean {
    const socket = this.#owner.socket;
    return socket.writableLength > 0 && !socket.destroyed;
  }

  once(event: 'drain', listener: () => void): this {
    this.#owner.socket.once(event, listener);
    return this;
  }

  removeListener(event: 'drain', listener: () => void): this {
    this.#owner.socket.removeListener(event, listener);
    return this;
  }

  #takeHead(): string | null {
    const head = this.#head;
    this.#head = null;
    return head;
  }

  #flushHead(): boolean {
    const head = this.#takeHead();
    const socket = this.#owner.socket;
    if (head === null || socket.destroyed) return !socket.writableNeedDrain;
    return socket.write(head, 'latin1');
  }

  /** Writes `body` (framed when chunked) behind the head if that is still held; `last` ends a chunked body. */
  #send(body: Buffer, last: boolean): boolean {
    const socket = this.#owner.socket;
    if (socket.destroyed) return false;
    const head = this.#takeHead();
    if (this.#chunked) {
      const prefix = `${head ?? ''}${body.length.toString(16)}\r\n`;
      const suffix = last ? '\r\n0\r\n\r\n' : '\r\n';
      if (body.length <= COALESCE_MAX) return socket.write(joined(prefix, body, suffix));
      socket.cork();
      socket.write(prefix, 'latin1');
      socket.write(body);
      const ok = socket.write(last ? Buffer.concat([CRLF, LAST_CHUNK]) : CRLF);
      socket.uncork();
      return ok;
    }
    if (head === null) return socket.write(body);
    if (body.length <= COALESCE_MAX) return socket.write(joined(head, body, ''));
    socket.cork();
    socket.write(head, 'latin1');
    const ok = socket.write(body);
    socket.uncork();
    return ok;
  }
}

/** `prefix + body + suffix` in one Buffer (small: from Node's shared allocation pool). */
function joined(prefix: string, body: Buffer, suffix: string): Buffer {
  const out = Buffer.allocUnsafe(prefix.length + body.length + suffix.length);
  let at = out.write(prefix, 0, 'latin1');
  at += body.copy(out, at);
  if (suffix.length > 0) out.write(suffix, at, 'latin1');
  return out;
}
