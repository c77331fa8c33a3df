import {
  CHUNK_SIZE_TOO_LARGE,
  FRAMING_CHUNKED,
  FRAMING_LENGTH,
  FRAMING_NONE,
  LINE_TOO_LONG,
  LineReader,
  MALFORMED_STATUS_LINE,
  parseChunkSize,
  parseStatusLine,
  responseBodyFraming,
} from '../http1/index.ts';

/** Where {@link HttpResponseParser} stands after a call to `execute`. */
export type ParseState = 'more' | 'done' | 'error';

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

const SP = 32;
const TAB = 9;
const COLON = 58;

/** Longest response head (status line, headers, or trailers) accepted, in bytes. */
const MAX_HEAD_BYTES = 64 * 1024;

const CONTENT_LENGTH = Buffer.from('content-length');
const TRANSFER_ENCODING = Buffer.from('transfer-encoding');
const CONNECTION = Buffer.from('connection');
const KEEP_ALIVE = Buffer.from('keep-alive');

/**
 * An incremental HTTP/1.x response parser for the load generator: status line, headers,
 * Content-Length, chunked (extensions and trailers skipped) and read-until-close bodies, 1xx
 * interim responses skipped. It keeps only what the generator needs (status, keep-alive) and
 * works on the socket's Buffers in place: a head that arrives whole allocates nothing. Bodies
 * are counted and dropped. One instance per connection; {@link reset} before each request.
 */
export class HttpResponseParser {
  /** Status of the final response (0 until its status line is read). */
  status = 0;
  /** Whether the connection may carry another request after this response. */
  keepAlive = true;
  /** Why parsing failed (state `error`). */
  error = '';
  #state = DONE;
  #head = false;
  #http10 = false;
  #contentLength = -1;
  #chunked = false;
  #transferEncoding = false;
  #remaining = 0;
  /** Bytes of a line split across chunks (copied; rare). */
  /** Cuts lines out of the reads (a line split across reads is copied; rare). */
  readonly #lines = new LineReader();

  /** Expects a new response; `head` when the request was HEAD (no body whatever the headers say). */
  reset(head: boolean): void {
    this.#head = head;
    this.status = 0;
    this.keepAlive = true;
    this.error = '';
    this.#lines.clear();
    this.#startHead();
  }

  /** Where the parser stands. */
  get state(): ParseState {
    return this.#state === DONE ? 'done' : this.#state === ERROR ? 'error' : 'more';
  }

  /**
   * Parses `buf[start..]`. Returns the offset it stopped at: `buf.length` when it needs more, or
   * just past the final response once `state` is `done` (anything after is not part of it).
   */
  execute(buf: Buffer, start = 0): number {
    let i = start;
    const end = buf.length;
    while (i < end) {
      const s = this.#state;
      if (s === BODY_LENGTH) {
        const take = Math.min(this.#remaining, end - i);
        this.#remaining -= take;
        i += take;
        if (this.#remaining === 0) this.#state = DONE;
      } else if (s === CHUNK_DATA) {
        const take = Math.min(this.#remaining, end - i);
        this.#remaining -= take;
        i += take;
        if (this.#remaining === 0) this.#state = CHUNK_DATA_END;
      } else if (s === BODY_UNTIL_CLOSE) {
        return end;
      } else if (s === DONE || s === ERROR) {
        return i;
      } else {
        i = this.#line(buf, i, end);
      }
    }
    return i;
  }

  /** The peer closed the connection: true when that ends the response (a body read until close). */
  finishOnClose(): boolean {
    if (this.#state === BODY_UNTIL_CLOSE) {
      this.#state = DONE;
      return true;
    }
    return this.#state === DONE;
  }

  #startHead(): void {
    this.#state = STATUS_LINE;
    this.#lines.counted = 0;
    this.#http10 = false;
    this.#contentLength = -1;
    this.#chunked = false;
    this.#transferEncoding = false;
  }

  #fail(message: string): void {
    this.#state = ERROR;
    this.error = message;
    this.#lines.clear();
  }

  /** Reads one line (through LF) starting at `i`; returns the offset after what it consumed. */
  #line(buf: Buffer, i: number, end: number): number {
    const lines = this.#lines;
    const next = lines.read(buf, i, end, MAX_HEAD_BYTES);
    if (next === LINE_TOO_LONG) {
      this.#fail(`response head longer than ${MAX_HEAD_BYTES} bytes`);
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
        if (e === s) this.#state = DONE;
        else if (b.indexOf(COLON, s) === -1 || b.indexOf(COLON, s) >= e) this.#fail('malformed trailer line');
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
    const nameLen = colon - s;
    // Only three headers matter; the length check skips the rest without comparing bytes.
    if (nameLen !== 14 && nameLen !== 17 && nameLen !== 10) return;
    let vs = colon + 1;
    let ve = e;
    while (vs < ve && (b[vs] === SP || b[vs] === TAB)) vs++;
    while (ve > vs && (b[ve - 1] === SP || b[ve - 1] === TAB)) ve--;
    if (nameLen === 14 && equalsLower(b, s, colon, CONTENT_LENGTH)) {
      const n = parseDecimal(b, vs, ve);
      if (n < 0 || (this.#contentLength !== -1 && this.#contentLength !== n)) this.#fail('invalid Content-Length');
      else this.#contentLength = n;
    } else if (nameLen === 17 && equalsLower(b, s, colon, TRANSFER_ENCODING)) {
      // The last coding decides: chunked, or the body runs until the connection closes.
      const codings = b.toString('latin1', vs, ve).toLowerCase().split(',');
      this.#chunked = (codings[codings.length - 1] as string).trim() === 'chunked';
      this.#transferEncoding = true;
    } else if (nameLen === 10 && equalsLower(b, s, colon, CONNECTION)) {
      if (ve - vs === 10 && equalsLower(b, vs, ve, KEEP_ALIVE)) {
        this.keepAlive = true;
        return;
      }
      for (const token of b.toString('latin1', vs, ve).toLowerCase().split(',')) {
        const t = token.trim();
        if (t === 'close') this.keepAlive = false;
        else if (t === 'keep-alive' && this.#http10) this.keepAlive = true;
      }
    }
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
    const framing = responseBodyFraming(this.#head, status, this.#chunked, this.#transferEncoding, this.#contentLength);
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
  }

  #chunkSize(b: Buffer, s: number, e: number): void {
    const n = parseChunkSize(b, s, e);
    if (n < 0) {
      this.#fail(n === CHUNK_SIZE_TOO_LARGE ? 'chunk size too large' : 'malformed chunk size');
      return;
    }
    if (n === 0) {
      this.#state = TRAILER_LINE;
    } else {
      this.#remaining = n;
      this.#state = CHUNK_DATA;
    }
  }
}

/** Whether `b[s..e)` equals `lower` ignoring ASCII case. */
function equalsLower(b: Buffer, s: number, e: number, lower: Buffer): boolean {
  if (e - s !== lower.length) return false;
  for (let i = 0; i < lower.length; i++) {
    if (((b[s + i] as number) | 0x20) !== lower[i]) return false;
  }
  return true;
}

/** Decimal digits only; -1 when empty, not a number, or beyond 2^53. */
function parseDecimal(b: Buffer, s: number, e: number): number {
  if (e === s || e - s > 15) return -1;
  let n = 0;
  for (let i = s; i < e; i++) {
    const d = (b[i] as number) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}
