import { CHUNK_SIZE_TOO_LARGE, MALFORMED_STATUS_LINE, parseChunkSize, parseStatusLine, trimCr } from '../core/index.ts';

/** Response headers as the pipeline sees them: lower-case names, values as sent, repeats as arrays. */
export type UpstreamHeaders = Record<string, string | string[]>;

/** Told, in order, what {@link UpstreamResponseParser} found; called synchronously from `execute`. */
export interface ResponseParserHandler {
  /** The final response's head (interim 1xx answers are skipped). */
  onResponseHead(status: number, headers: UpstreamHeaders): void;
  /** Body bytes `buf[start..end)` (chunked framing already removed); valid only during the call. */
  onResponseBody(buf: Buffer, start: number, end: number): void;
  /** The response ended; the connection may carry another request if `keepAlive`. */
  onResponseComplete(): void;
}

// Parser states. Numbers, not strings: compared once per byte run on the hot path.
const STATUS_LINE = 0;
const HEADER_LINE = 1;
const BODY_LENGTH = 2;
const CHUNK_SIZE = 3;
const CHUNK_DATA = 4;
const CHUNK_DATA_END = 5;
const TRAILER_LINE = 6;
const BODY_UNTIL_CLOSE = 7;
const DONE = 8;
const ERROR = 9;
/** Abandoned by the connection: like DONE, but the response never completed. */
const HALTED = 10;

const LF = 10;
const SP = 32;
const TAB = 9;
const COLON = 58;

/** Longest response head (status line and headers, or trailers) accepted, in bytes. */
export const MAX_RESPONSE_HEAD_BYTES = 64 * 1024;

/** `Buffer#latin1Slice`: Node's fast path behind `toString('latin1', s, e)` (undici uses it too). */
type Latin1Buffer = Buffer & { latin1Slice(start: number, end: number): string };

// RFC 9110 §5.6.2 token characters, for header names.
const TOKEN = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~") TOKEN[c.charCodeAt(0)] = 1;
for (let c = 48; c <= 57; c++) TOKEN[c] = 1;
for (let c = 65; c <= 90; c++) TOKEN[c] = 1;
for (let c = 97; c <= 122; c++) TOKEN[c] = 1;

/**
 * An incremental HTTP/1.x response parser for the balancer's upstream connections. It works on
 * the socket's Buffers in place (a head that arrives whole is read without copying; a line split
 * across chunks is the only copy), hands body bytes on as slices, decodes chunked bodies
 * (extensions and trailers dropped), reads bodies without a length until the connection closes,
 * skips 1xx interim answers, and gives HEAD, 204 and 304 no body. It refuses what would make
 * framing ambiguous (RFC 9112 §6.3: `Content-Length` with `Transfer-Encoding`, differing repeated
 * lengths), malformed status lines, heads over 64 KiB and bad chunk sizes.
 * One instance per connection; {@link reset} before each response.
 */
export class UpstreamResponseParser {
  /** Status of the final response (0 until its status line is read). */
  status = 0;
  /** Whether the connection may carry another request after this response (RFC 9112 §9.3). */
  keepAlive = true;
  /** Why parsing failed (state `error`). */
  error = '';
  readonly #handler: ResponseParserHandler;
  #state = DONE;
  #noBody = false;
  #http10 = false;
  #contentLength = -1;
  #chunked = false;
  #transferEncoding = false;
  #remaining = 0;
  #headBytes = 0;
  #headers: UpstreamHeaders = {};
  /** Bytes of a line split across chunks (copied; rare). */
  #partial: Buffer | null = null;

  constructor(handler: ResponseParserHandler) {
    this.#handler = handler;
  }

  /** Expects a new response; `noBody` when the request was HEAD (no body whatever the headers say). */
  reset(noBody: boolean): void {
    this.#noBody = noBody;
    this.status = 0;
    this.keepAlive = true;
    this.error = '';
    this.#partial = null;
    this.#startHead();
  }

  /** Stops parsing (the exchange was abandoned): `execute` returns at once from now on. */
  halt(): void {
    if (this.#state !== ERROR) this.#state = HALTED;
    this.#partial = null;
  }

  get done(): boolean {
    return this.#state === DONE;
  }

  get failed(): boolean {
    return this.#state === ERROR;
  }

  /** True while the status line or headers of the final response are still awaited. */
  get awaitingHead(): boolean {
    return this.#state === STATUS_LINE || this.#state === HEADER_LINE;
  }

  /** True while the body runs until the connection closes. */
  get untilClose(): boolean {
    return this.#state === BODY_UNTIL_CLOSE;
  }

  /**
   * Parses `buf[start..]`, calling the handler as parts complete. Returns the offset it stopped
   * at: `buf.length` when it needs more, or just past the response once it is done (bytes after
   * it are not part of it). Check `failed` afterwards.
   */
  execute(buf: Buffer, start = 0): number {
    let i = start;
    const end = buf.length;
    while (i < end) {
      const s = this.#state;
      if (s === BODY_LENGTH || s === CHUNK_DATA) {
        const take = Math.min(this.#remaining, end - i);
        this.#remaining -= take;
        const from = i;
        i += take;
        if (this.#remaining === 0) this.#state = s === BODY_LENGTH ? DONE : CHUNK_DATA_END;
        this.#handler.onResponseBody(buf, from, i);
        if (this.#state === DONE) this.#handler.onResponseComplete();
      } else if (s === BODY_UNTIL_CLOSE) {
        this.#handler.onResponseBody(buf, i, end);
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
    this.#handler.onResponseComplete();
    return true;
  }

  #startHead(): void {
    this.#state = STATUS_LINE;
    this.#headBytes = 0;
    this.#http10 = false;
    this.#contentLength = -1;
    this.#chunked = false;
    this.#transferEncoding = false;
    this.#headers = {};
  }

  #fail(message: string): void {
    this.#state = ERROR;
    this.error = message;
    this.keepAlive = false;
    this.#partial = null;
  }

  /** Reads one line (through LF) starting at `i`; returns the offset after what it consumed. */
  #line(buf: Buffer, i: number, end: number): number {
    const lf = buf.indexOf(LF, i);
    const lineEnd = lf === -1 || lf >= end ? end : lf;
    this.#headBytes += lineEnd - i + 1;
    if (this.#headBytes > MAX_RESPONSE_HEAD_BYTES) {
      this.#fail(`response head longer than ${MAX_RESPONSE_HEAD_BYTES} bytes`);
      return end;
    }
    if (lineEnd === end) {
      // No LF yet: keep the piece for the next chunk.
      const piece = buf.subarray(i, end);
      this.#partial = this.#partial === null ? Buffer.from(piece) : Buffer.concat([this.#partial, piece]);
      return end;
    }
    if (this.#partial !== null) {
      const whole = Buffer.concat([this.#partial, buf.subarray(i, lineEnd)]);
      this.#partial = null;
      this.#onLine(whole, 0, trimCr(whole, 0, whole.length));
    } else {
      this.#onLine(buf, i, trimCr(buf, i, lineEnd));
    }
    // Within a chunked body the limit bounds each size line, not the sum of them.
    const st = this.#state;
    if (st === CHUNK_SIZE || st === CHUNK_DATA) this.#headBytes = 0;
    return lineEnd + 1;
  }

  #onLine(b: Buffer, s: number, e: number): void {
    switch (this.#state) {
      case STATUS_LINE:
        this.#statusLine(b, s, e);
        return;
      case HEADER_LINE:
        if (e === s) this.#endOfHead();
        else this.#header(b, s, e);
        return;
      case CHUNK_SIZE:
        this.#chunkSize(b, s, e);
        return;
      case CHUNK_DATA_END:
        if (e !== s) this.#fail('chunk data longer than its size');
        else this.#state = CHUNK_SIZE;
        return;
      case TRAILER_LINE:
        // Trailers are dropped: the client's response head is gone by now (RFC 9110 §6.5.1).
        if (e === s) {
          this.#state = DONE;
          this.#handler.onResponseComplete();
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
    this.#http10 = b[s + 7] === 0x30;
    this.keepAlive = !this.#http10;
    this.#state = HEADER_LINE;
  }

  #header(b: Buffer, s: number, e: number): void {
    const first = b[s] as number;
    if (first === SP || first === TAB) {
      this.#fail('obsolete header line folding');
      return;
    }
    const colon = b.indexOf(COLON, s);
    if (colon === -1 || colon >= e || colon === s) {
      this.#fail('malformed header line');
      return;
    }
    for (let k = s; k < colon; k++) {
      if (TOKEN[b[k] as number] !== 1) {
        this.#fail('malformed header name');
        return;
      }
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
      // The last coding decides: chunked, or the body runs until the connection closes.
      const codings = value.toLowerCase().split(',');
      this.#chunked = (codings[codings.length - 1] as string).trim() === 'chunked';
      this.#transferEncoding = true;
    } else if (nameLen === 10 && name === 'connection') {
      for (const token of value.toLowerCase().split(',')) {
        const t = token.trim();
        if (t === 'close') this.keepAlive = false;
        else if (t === 'keep-alive' && this.#http10) this.keepAlive = true;
      }
    }
    // A plain object (fast properties, cheap to enumerate), so what a name inherits from
    // Object.prototype counts as absent: a `constructor` header shadows it, `__proto__` is dropped.
    const h = this.#headers;
    const prev: unknown = h[name];
    if (typeof prev === 'string') h[name] = [prev, value];
    else if (Array.isArray(prev)) prev.push(value);
    else h[name] = nameLen === 10 && name === 'set-cookie' ? [value] : value;
  }

  #endOfHead(): void {
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
    if (this.#transferEncoding && this.#contentLength !== -1) {
      // RFC 9112 §6.1: a sender must not send both; a proxy must not forward such a message.
      this.#fail('Content-Length together with Transfer-Encoding');
      return;
    }
    const headers = this.#headers;
    if (this.#noBody || status === 204 || status === 304) {
      this.#state = DONE;
    } else if (this.#chunked) {
      this.#state = CHUNK_SIZE;
    } else if (!this.#transferEncoding && this.#contentLength >= 0) {
      this.#remaining = this.#contentLength;
      this.#state = this.#remaining === 0 ? DONE : BODY_LENGTH;
    } else {
      // No length: the body ends when the server closes the connection.
      this.keepAlive = false;
      this.#state = BODY_UNTIL_CLOSE;
    }
    this.#handler.onResponseHead(status, headers);
    if (this.#state === DONE) this.#handler.onResponseComplete();
  }

  #chunkSize(b: Buffer, s: number, e: number): void {
    const n = parseChunkSize(b, s, e);
    if (n < 0) {
      this.#fail(n === CHUNK_SIZE_TOO_LARGE ? 'chunk size too large' : 'malformed chunk size');
      return;
    }
    if (n === 0) {
      this.#state = TRAILER_LINE;
      this.#headBytes = 0;
    } else {
      this.#remaining = n;
      this.#state = CHUNK_DATA;
    }
  }
}

// Names most responses carry, as string literals: a known name costs a few byte compares instead
// of a new string, its lower-casing and a string-table lookup when it is stored.
const KNOWN_NAMES: (string[] | undefined)[] = [];
for (const n of [
  'via',
  'date',
  'etag',
  'vary',
  'server',
  'expires',
  'location',
  'connection',
  'keep-alive',
  'set-cookie',
  'retry-after',
  'content-type',
  'x-request-id',
  'accept-ranges',
  'cache-control',
  'last-modified',
  'content-length',
  'content-encoding',
  'transfer-encoding',
]) {
  const list = KNOWN_NAMES[n.length] ?? [];
  list.push(n);
  KNOWN_NAMES[n.length] = list;
}

/** The literal for a known header name in `b[s..e)` (any case; already checked to be a token), else null. */
function knownName(b: Buffer, s: number, e: number): string | null {
  const list = KNOWN_NAMES[e - s];
  if (list === undefined) return null;
  next: for (const n of list) {
    for (let i = 0; i < n.length; i++) {
      // Token characters: `| 0x20` folds only letters onto lower case ('-' stays '-').
      if (((b[s + i] as number) | 0x20) !== n.charCodeAt(i)) continue next;
    }
    return n;
  }
  return null;
}

function validHeaderLine(b: Buffer, s: number, e: number): boolean {
  const colon = b.indexOf(COLON, s);
  if (colon <= s || colon >= e) return false;
  for (let k = s; k < colon; k++) if (TOKEN[b[k] as number] !== 1) return false;
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
