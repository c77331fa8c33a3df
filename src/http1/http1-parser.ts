import { isToken } from './header-token.ts';
import { knownMethod, knownName } from './http1-known-names.ts';
import {
  CHUNK_SIZE_TOO_LARGE,
  FRAMING_CHUNKED,
  FRAMING_LENGTH,
  FRAMING_NONE,
  isTokenChar,
  isValidHost,
  LINE_TOO_LONG,
  LineReader,
  MALFORMED_REQUEST_TARGET,
  MALFORMED_STATUS_LINE,
  parseChunkSize,
  parseRequestLine,
  parseStatusLine,
  responseBodyFraming,
  UNSUPPORTED_HTTP_VERSION,
} from './http1-wire.ts';

/** Headers as the pipeline sees them: lower-case names, values as sent, repeats as arrays (`set-cookie` always an array). */
export type Http1Headers = Record<string, string | string[]>;
/** The response side's name for {@link Http1Headers}. */
export type UpstreamHeaders = Http1Headers;

/** Told, in order, what {@link Http1Parser} found; called synchronously from `execute`. */
export interface Http1ParserHandler {
  /** The head of the message (for responses: the final one; 1xx skipped as now). Parser fields
   *  (status / method, target, http10, keepAlive, expectContinue, hasBody) are set before the call. */
  onMessageHead(headers: Http1Headers): void;
  /** Body bytes `buf[start..end)` (chunked framing already removed); valid only during the call. */
  onMessageBody(buf: Buffer, start: number, end: number): void;
  /** The message ended; the connection may carry another one if `keepAlive`. */
  onMessageComplete(): void;
}

// Parser states. Numbers, not strings: compared once per byte run on the hot path.
const START_LINE = 0;
const HEADER_LINE = 1;
const BODY_LENGTH = 2;
const CHUNK_SIZE = 3;
const CHUNK_DATA = 4;
const CHUNK_DATA_END = 5;
const TRAILER_LINE = 6;
const BODY_UNTIL_CLOSE = 7;
const DONE = 8;
const ERROR = 9;
/** Abandoned by the connection: like DONE, but the message never completed. */
const HALTED = 10;

const LF = 10;
const CR = 13;
const SP = 32;
const TAB = 9;
const COLON = 58;

/** Longest response head (status line and headers, or trailers) accepted, in bytes. */
export const MAX_RESPONSE_HEAD_BYTES = 64 * 1024;
/** Longest request head (empty lines before it, request line and headers) accepted: node:http's default `maxHeaderSize`. */
export const MAX_REQUEST_HEAD_BYTES = 16 * 1024;
/**
 * Most header fields in one message (HAProxy's default `tune.http.maxhdr` is 101). Within the
 * byte limits a head could otherwise carry thousands of tiny fields, each checked against the
 * names before it.
 */
export const MAX_HEADER_FIELDS = 100;

/** What a proxy answers when its upstream's response cannot be parsed (RFC 9110 §15.6.3). */
const BAD_GATEWAY = 502;

/** Fields a `Connection` header may not name: removing them would change how the message is framed or routed. */
const FRAMING_FIELDS = new Set(['content-length', 'transfer-encoding', 'host']);

/** `Buffer#latin1Slice`: Node's fast path behind `toString('latin1', s, e)` (undici uses it too). */
type Latin1Buffer = Buffer & { latin1Slice(start: number, end: number): string };

/**
 * An incremental HTTP/1.x parser for one direction of a connection: requests from clients on the
 * balancer's listener, or responses from backends on its upstream connections. It works on the
 * socket's Buffers in place (a head that arrives whole is read without copying; a line split
 * across chunks is the only copy), hands body bytes on as slices and decodes chunked bodies
 * (extensions and trailers dropped). It refuses what would make framing ambiguous (RFC 9112 §6.3:
 * `Content-Length` with `Transfer-Encoding`, differing repeated lengths), malformed start lines and
 * headers, oversized heads and bad chunk sizes.
 *
 * Responses: bodies without a length run until the connection closes, 1xx interim answers are
 * skipped, HEAD, 204 and 304 get no body; {@link reset} before each response (a new parser waits
 * for it). A failure's `errorStatus` is 502.
 * Requests: leading empty lines are ignored (RFC 9112 §2.2), a body needs `Content-Length` or
 * chunked, HTTP/1.1 needs exactly one valid `Host`; `errorStatus` says what to answer a failure
 * with (400, 431, 501 or 505). A new parser is ready for the first request; {@link reset} before
 * each next one.
 * One instance per connection.
 */
export class Http1Parser {
  /** Response: status of the final response (0 until its status line is read). Request: 0. */
  status = 0;
  /** Request: the method as sent (case-sensitive). Response: ''. */
  method = '';
  /** Request: the request-target as sent (latin1). Response: ''. */
  target = '';
  /** An HTTP/1.0 message. */
  http10 = false;
  /** Whether the connection may carry another message after this one (RFC 9112 §9.3). */
  keepAlive = true;
  /** Request: it carried `Expect: 100-continue`. */
  expectContinue = false;
  /** A body follows the head (set before `onMessageHead`): requests with a length > 0 or chunked. */
  hasBody = false;
  /** Why parsing failed (state `failed`). */
  error = '';
  /** The status to answer a failed message with: for requests 400, 431, 501 or 505; for responses 502. */
  errorStatus = 0;
  readonly #handler: Http1ParserHandler;
  readonly #request: boolean;
  readonly #maxHead: number;
  #state: number;
  #noBody = false;
  #started = false;
  #contentLength = -1;
  #chunked = false;
  #chunkedCount = 0;
  #transferEncoding = false;
  #unknownCoding = false;
  #emptyCoding = false;
  #hostCount = 0;
  /** A framing or routing field named in `Connection` (lower-case), or '' (RFC 9110 §7.6.1). */
  #connectionNames = '';
  #connectionUpgrade = false;
  #upgrade = false;
  #remaining = 0;
  #headers: Http1Headers = {};
  /** Names in `#headers` so far (lower-case), to find repeats: the first `#nameCount` entries. */
  readonly #names: string[] = [];
  #nameCount = 0;
  /** Header fields (lines) in this message so far, repeats included. */
  #fieldCount = 0;
  /** Cuts lines out of the reads (a line split across reads is copied; rare). */
  readonly #lines = new LineReader();

  constructor(handler: Http1ParserHandler, role: 'request' | 'response') {
    this.#handler = handler;
    this.#request = role === 'request';
    this.#maxHead = this.#request ? MAX_REQUEST_HEAD_BYTES : MAX_RESPONSE_HEAD_BYTES;
    this.#state = DONE;
    if (this.#request) this.#startHead();
  }

  /**
   * Expects the next message. Response: `noBody` when the request was HEAD (no body whatever the
   * headers say). Request: `noBody` is ignored.
   */
  reset(noBody = false): void {
    this.#noBody = noBody && !this.#request;
    this.status = 0;
    this.method = '';
    this.target = '';
    this.keepAlive = true;
    this.error = '';
    this.errorStatus = 0;
    this.#started = false;
    this.#lines.clear();
    this.#startHead();
  }

  /** Stops parsing (the exchange was abandoned): `execute` returns at once from now on. */
  halt(): void {
    if (this.#state !== ERROR) this.#state = HALTED;
    this.#lines.clear();
  }

  /**
   * The message's Content-Length once its head is read: the length its body is framed by, or -1
   * when it has none (chunked, no body, or read until close). The only length a proxy may pass on:
   * it is the one the body was read by, whatever other fields said.
   */
  get contentLength(): number {
    return this.#contentLength;
  }

  get done(): boolean {
    return this.#state === DONE;
  }

  get failed(): boolean {
    return this.#state === ERROR;
  }

  /** True while the start line or headers (of the final response) are still awaited. */
  get awaitingHead(): boolean {
    return this.#state === START_LINE || this.#state === HEADER_LINE;
  }

  /** True while the body runs until the connection closes (responses only). */
  get untilClose(): boolean {
    return this.#state === BODY_UNTIL_CLOSE;
  }

  /** True while no byte of the next message was seen, empty lines aside: for requests, the connection is idle. */
  get idle(): boolean {
    return this.#state === START_LINE && !this.#started;
  }

  /**
   * Parses `buf[start..end)`, calling the handler as parts complete. Returns the offset it stopped
   * at: `end` when it needs more, or just past the message once it is done (bytes after it are
   * not part of it). Check `failed` afterwards.
   */
  execute(buf: Buffer, start = 0, end = buf.length): number {
    let i = start;
    while (i < end) {
      const s = this.#state;
      if (s === BODY_LENGTH || s === CHUNK_DATA) {
        const take = Math.min(this.#remaining, end - i);
        this.#remaining -= take;
        const from = i;
        i += take;
        if (this.#remaining === 0) this.#state = s === BODY_LENGTH ? DONE : CHUNK_DATA_END;
        this.#handler.onMessageBody(buf, from, i);
        if (this.#state === DONE) this.#handler.onMessageComplete();
      } else if (s === BODY_UNTIL_CLOSE) {
        this.#handler.onMessageBody(buf, i, end);
        return end;
      } else if (s === DONE || s === ERROR || s === HALTED) {
        return i;
      } else {
        i = this.#line(buf, i, end);
      }
    }
    return i;
  }

  /** The peer closed the connection: true when that ends the response (a body read until close). */
  finishOnClose(): boolean {
    if (this.#state !== BODY_UNTIL_CLOSE) return false;
    this.#state = DONE;
    this.#handler.onMessageComplete();
    return true;
  }

  #startHead(): void {
    this.#state = START_LINE;
    this.#lines.counted = 0;
    this.http10 = false;
    this.expectContinue = false;
    this.hasBody = false;
    this.#contentLength = -1;
    this.#chunked = false;
    this.#chunkedCount = 0;
    this.#transferEncoding = false;
    this.#unknownCoding = false;
    this.#emptyCoding = false;
    this.#hostCount = 0;
    this.#connectionNames = '';
    this.#connectionUpgrade = false;
    this.#upgrade = false;
    this.#headers = {};
    // Not `length = 0`: that is a runtime call, and the array would shrink and grow again.
    this.#nameCount = 0;
    this.#fieldCount = 0;
  }

  /** Fails the message; `status` is what to answer a request with (responses always get 502). */
  #fail(message: string, status = 400): void {
    this.#state = ERROR;
    this.error = message;
    this.errorStatus = this.#request ? status : BAD_GATEWAY;
    this.keepAlive = false;
    this.#lines.clear();
  }

  /** Reads one line (through LF) starting at `i`; returns the offset after what it consumed. */
  #line(buf: Buffer, i: number, end: number): number {
    if (!this.#started && this.#state === START_LINE) {
      // Only a byte other than CR starts a message: the empty lines before a request leave it idle.
      for (let k = i; k < end && buf[k] !== LF; k++) {
        if (buf[k] !== CR) {
          this.#started = true;
          break;
        }
      }
    }
    const lines = this.#lines;
    const next = lines.read(buf, i, end, this.#maxHead);
    if (next === LINE_TOO_LONG) {
      this.#tooLong();
      return end;
    }
    const line = lines.line;
    if (line === null) return next;
    this.#onLine(line, lines.start, lines.end);
    // Within a chunked body the limit bounds each size line, not the sum of them.
    const st = this.#state;
    if (st === CHUNK_SIZE || st === CHUNK_DATA) lines.counted = 0;
    return next;
  }

  #tooLong(): void {
    if (!this.#request) {
      this.#fail(`response head longer than ${MAX_RESPONSE_HEAD_BYTES} bytes`);
    } else if (this.#state === START_LINE || this.#state === HEADER_LINE) {
      this.#fail(`request head longer than ${MAX_REQUEST_HEAD_BYTES} bytes`, 431);
    } else {
      // A chunk-size line or the trailers: a malformed body, not a head too large.
      this.#fail(`chunk line or trailers longer than ${MAX_REQUEST_HEAD_BYTES} bytes`);
    }
  }

  #onLine(b: Buffer, s: number, e: number): void {
    switch (this.#state) {
      case START_LINE:
        if (!this.#request) this.#statusLine(b, s, e);
        else if (e !== s) this.#requestLine(b, s, e);
        // An empty line before a request line is ignored (RFC 9112 §2.2; clients send one after a body).
        return;
      case HEADER_LINE:
        if (e !== s) this.#header(b, s, e);
        else if (this.#request) this.#endOfRequestHead();
        else this.#endOfResponseHead();
        return;
      case CHUNK_SIZE:
        this.#chunkSize(b, s, e);
        return;
      case CHUNK_DATA_END:
        if (e !== s) this.#fail('chunk data longer than its size');
        else this.#state = CHUNK_SIZE;
        return;
      case TRAILER_LINE:
        // Trailers are dropped: the head they would amend has been passed on (RFC 9110 §6.5.1).
        if (e === s) {
          this.#state = DONE;
          this.#handler.onMessageComplete();
        } else if (!validHeaderLine(b, s, e)) {
          this.#fail('malformed trailer line');
        }
        return;
    }
  }

  #statusLine(b: Buffer, s: number, e: number): void {
    const status = parseStatusLine(b, s, e);
    if (status < 0) {
      this.#fail(status === MALFORMED_STATUS_LINE ? 'malformed status line' : 'malformed status code');
      return;
    }
    this.status = status;
    this.http10 = b[s + 7] === 0x30;
    this.keepAlive = !this.http10;
    this.#state = HEADER_LINE;
  }

  #requestLine(b: Buffer, s: number, e: number): void {
    const methodEnd = parseRequestLine(b, s, e);
    if (methodEnd < 0) {
      if (methodEnd === UNSUPPORTED_HTTP_VERSION) this.#fail('unsupported HTTP version', 505);
      else this.#fail(methodEnd === MALFORMED_REQUEST_TARGET ? 'invalid request-target' : 'malformed request line');
      return;
    }
    this.method = knownMethod(b, s, methodEnd) ?? (b as Latin1Buffer).latin1Slice(s, methodEnd);
    this.target = (b as Latin1Buffer).latin1Slice(methodEnd + 1, e - 9);
    this.http10 = b[e - 1] === 0x30;
    this.keepAlive = !this.http10;
    this.#state = HEADER_LINE;
  }

  #header(b: Buffer, s: number, e: number): void {
    const first = b[s] as number;
    if (first === SP || first === TAB) {
      this.#fail('obsolete header line folding');
      return;
    }
    // The name is scanned for its colon and checked as a token in one pass: no call out of
    // JavaScript (Buffer#indexOf) for each of a message's lines.
    let colon = s;
    while (colon < e && isTokenChar(b[colon] as number)) colon++;
    if (colon === e || colon === s || b[colon] !== COLON) {
      const found = b.indexOf(COLON, s);
      this.#fail(found > s && found < e ? 'malformed header name' : 'malformed header line');
      return;
    }
    let vs = colon + 1;
    let ve = e;
    while (vs < ve && (b[vs] === SP || b[vs] === TAB)) vs++;
    while (ve > vs && (b[ve - 1] === SP || b[ve - 1] === TAB)) ve--;
    for (let k = vs; k < ve; k++) {
      const c = b[k] as number;
      // Field values: VCHAR, obs-text, SP, HTAB (RFC 9110 §5.5); CR, NUL and other controls are refused.
      if ((c < 0x20 && c !== TAB) || c === 0x7f) {
        this.#fail('invalid character in a header value');
        return;
      }
    }
    const name = knownName(b, s, colon) ?? (b as Latin1Buffer).latin1Slice(s, colon).toLowerCase();
    const value = (b as Latin1Buffer).latin1Slice(vs, ve);
    const nameLen = colon - s;
    if (nameLen === 14 && name === 'content-length') {
      const n = parseDecimal(value);
      if (n < 0 || (this.#contentLength !== -1 && this.#contentLength !== n)) {
        this.#fail('invalid Content-Length');
        return;
      }
      // Identical repeats are one length (RFC 9112 §6.3 allows collapsing them).
      if (this.#contentLength === n) return;
      this.#contentLength = n;
    } else if (nameLen === 17 && name === 'transfer-encoding') {
      // A tab around or in the codings is white space to RFC 9110 (§5.6.3) but not to llhttp,
      // which then reads `chunked\t` as an unknown coding: the two would frame the body apart.
      for (let k = colon + 1; k < e; k++) {
        if (b[k] === TAB) {
          this.#fail('a tab in Transfer-Encoding');
          return;
        }
      }
      this.#transferCodings(value);
    } else if (nameLen === 10 && name === 'connection') {
      this.#connection(value);
    } else if (this.#request) {
      if (nameLen === 4 && name === 'host') {
        if (++this.#hostCount > 1 || !isValidHost(value)) {
          this.#fail(this.#hostCount > 1 ? 'more than one Host header' : 'invalid Host');
          return;
        }
      } else if (nameLen === 6 && name === 'expect') {
        if (value.toLowerCase() === '100-continue') this.expectContinue = true;
      } else if (nameLen === 7 && name === 'upgrade') {
        this.#upgrade = true;
      }
    }
    // A plain object (fast properties, cheap to enumerate), so what a name inherits from
    // Object.prototype counts as absent: a `constructor` header shadows it, `__proto__` is dropped.
    // Repeats are found in the list of names seen so far, not by reading the object: with names
    // varying from message to message that read is a megamorphic lookup, ~2 % of the balancer's CPU.
    if (++this.#fieldCount > MAX_HEADER_FIELDS) {
      this.#fail(`more than ${MAX_HEADER_FIELDS} header fields`, 431);
      return;
    }
    const h = this.#headers;
    const names = this.#names;
    const count = this.#nameCount;
    let seen = false;
    for (let k = 0; k < count; k++) {
      if (names[k] === name) {
        seen = true;
        break;
      }
    }
    if (seen) {
      const prev: unknown = h[name];
      if (typeof prev === 'string') h[name] = [prev, value];
      else if (Array.isArray(prev)) prev.push(value);
    } else {
      names[count] = name;
      this.#nameCount = count + 1;
      h[name] = nameLen === 10 && name === 'set-cookie' ? [value] : value;
    }
  }

  /**
   * One `Connection` line: `close` ends the connection after this message, `keep-alive` keeps an
   * HTTP/1.0 one. Read token by token in place, not split into an array: nearly every message
   * carries the field, and a lone token costs no allocation (slicing and trimming return it as it is).
   */
  #connection(value: string): void {
    for (let start = 0; start <= value.length; ) {
      let end = value.indexOf(',', start);
      if (end === -1) end = value.length;
      const t = value.slice(start, end).trim();
      if (isToken(t, 'close')) this.keepAlive = false;
      else if (isToken(t, 'keep-alive')) {
        if (this.http10) this.keepAlive = true;
      } else if (isToken(t, 'upgrade')) this.#connectionUpgrade = true;
      else if (this.#connectionNames === '' && FRAMING_FIELDS.has(t.toLowerCase())) this.#connectionNames = t.toLowerCase();
      start = end + 1;
    }
  }

  /**
   * Refuses a head whose `Connection` names a field that frames or routes the message. Every field
   * named there is removed before the message is passed on (RFC 9110 §7.6.1), so naming
   * Content-Length or Transfer-Encoding would strip the framing a proxy reads the body by, and the
   * next hop would read the body as a new message (request smuggling); naming Host would strip the
   * routing. `upgrade` without an Upgrade field asks for nothing (§7.8) and is refused with them.
   */
  #connectionNamesFraming(): boolean {
    let named = this.#connectionNames;
    if (named === '' && this.#request && this.#connectionUpgrade && !this.#upgrade) named = 'upgrade';
    if (named === '') return false;
    this.#fail(`Connection names ${named}, which frames or routes the message`);
    return true;
  }

  /** One `Transfer-Encoding` line; repeated lines continue the list. The last coding decides the framing. */
  #transferCodings(value: string): void {
    this.#transferEncoding = true;
    for (const raw of value.toLowerCase().split(',')) {
      const coding = raw.trim();
      this.#chunked = coding === 'chunked';
      if (this.#chunked) this.#chunkedCount++;
      else if (coding === '') this.#emptyCoding = true;
      // Only chunked is understood: the body is passed on re-framed, so any other coding (gzip,
      // deflate…) would be dropped on the way and the next hop handed bytes it cannot read.
      else if (!this.#chunked) this.#unknownCoding = true;
    }
  }

  #endOfResponseHead(): void {
    const status = this.status;
    if (status === 101) {
      this.#fail('unexpected 101 Switching Protocols');
      return;
    }
    if (status < 200) {
      // An interim response (100 Continue, 103 Early Hints): the final one follows.
      this.status = 0;
      this.keepAlive = true;
      this.#startHead();
      return;
    }
    if (this.#connectionNamesFraming()) return;
    if (this.#transferEncoding && this.#contentLength !== -1) {
      // RFC 9112 §6.1: a sender must not send both; a proxy must not forward such a message.
      this.#fail('Content-Length together with Transfer-Encoding');
      return;
    }
    if (this.#unknownCoding || this.#emptyCoding) {
      this.#fail('unsupported transfer coding (only chunked is passed on)');
      return;
    }
    const framing = responseBodyFraming(this.#noBody, status, this.#chunked, this.#transferEncoding, this.#contentLength);
    if (framing === FRAMING_NONE) {
      this.#state = DONE;
    } else if (framing === FRAMING_CHUNKED) {
      this.#state = CHUNK_SIZE;
    } else if (framing === FRAMING_LENGTH) {
      this.#remaining = this.#contentLength;
      this.#state = this.#remaining === 0 ? DONE : BODY_LENGTH;
    } else {
      // No length: the body ends when the server closes the connection.
      this.keepAlive = false;
      this.#state = BODY_UNTIL_CLOSE;
    }
    this.#headMade();
  }

  #endOfRequestHead(): void {
    // RFC 9112 §3.2: a server must answer 400 to an HTTP/1.1 request without Host or with two.
    if (this.#hostCount === 0 && !this.http10) {
      this.#fail('HTTP/1.1 request without Host');
      return;
    }
    if (this.#connectionNamesFraming()) return;
    if (this.#transferEncoding) {
      if (this.#contentLength !== -1) {
        // RFC 9112 §6.1: the request-smuggling shape; refused rather than guessed.
        this.#fail('Content-Length together with Transfer-Encoding');
      } else if (this.http10) {
        // RFC 9112 §6.1: Transfer-Encoding in an HTTP/1.0 message means faulty framing.
        this.#fail('Transfer-Encoding in an HTTP/1.0 request');
      } else if (this.#emptyCoding) {
        this.#fail('empty transfer coding');
      } else if (this.#unknownCoding) {
        // RFC 9112 §6.1: a coding the server does not understand gets 501.
        this.#fail('unsupported transfer coding (only chunked is passed on)', 501);
      } else if (!this.#chunked || this.#chunkedCount !== 1) {
        // RFC 9112 §6.3: without chunked as the final coding (applied once) the body length is unknown.
        this.#fail('Transfer-Encoding must end in chunked, applied once');
      } else {
        this.#state = CHUNK_SIZE;
      }
      if (this.#state === ERROR) return;
    } else if (this.#contentLength > 0) {
      this.#remaining = this.#contentLength;
      this.#state = BODY_LENGTH;
    } else {
      // No length and no chunked: a request has no body (never read until close).
      this.#state = DONE;
    }
    this.#headMade();
  }

  /** Tells the handler about the head (and the end of a body-less message); the state is set. */
  #headMade(): void {
    this.hasBody = this.#state !== DONE;
    this.#handler.onMessageHead(this.#headers);
    if (this.#state === DONE) this.#handler.onMessageComplete();
  }

  #chunkSize(b: Buffer, s: number, e: number): void {
    const n = parseChunkSize(b, s, e);
    if (n < 0) {
      this.#fail(n === CHUNK_SIZE_TOO_LARGE ? 'chunk size too large' : 'malformed chunk size');
      return;
    }
    if (n === 0) {
      this.#state = TRAILER_LINE;
      this.#lines.counted = 0;
    } else {
      this.#remaining = n;
      this.#state = CHUNK_DATA;
    }
  }
}

function validHeaderLine(b: Buffer, s: number, e: number): boolean {
  const colon = b.indexOf(COLON, s);
  if (colon <= s || colon >= e) return false;
  for (let k = s; k < colon; k++) if (!isTokenChar(b[k] as number)) return false;
  return true;
}

/** Decimal digits only; -1 when empty, not a number, or beyond 2^53. */
function parseDecimal(text: string): number {
  if (text.length === 0 || text.length > 15) return -1;
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}
