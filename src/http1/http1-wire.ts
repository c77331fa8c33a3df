// The pieces of HTTP/1.1 framing (RFC 9112) that the balancer's parser (both directions) and the
// load generator's counting parser share: they parse in place from socket Buffers, one line at a
// time, and must agree on what a valid start line, token or chunk size is.

const SP = 32;
const TAB = 9;
const CR = 13;
const LF = 10;
const SEMICOLON = 59;

/** A byte table of `size` entries: 1 for ASCII letters, digits and the characters of `others`. */
function alphanumericTable(size: number, others: string): Uint8Array {
  const table = new Uint8Array(size);
  for (const c of others) table[c.charCodeAt(0)] = 1;
  for (let c = 48; c <= 57; c++) table[c] = 1;
  for (let c = 65; c <= 90; c++) table[c] = 1;
  for (let c = 97; c <= 122; c++) table[c] = 1;
  return table;
}

// RFC 9110 §5.6.2 token characters (header names, methods, transfer codings).
const TOKEN = alphanumericTable(256, "!#$%&'*+-.^_`|~");

/** Whether byte `c` may appear in a token (RFC 9110 §5.6.2): a header name, a method. */
export function isTokenChar(c: number): boolean {
  return TOKEN[c] === 1;
}

/** A status line that is not `HTTP/1.0` or `HTTP/1.1`, a space, three digits and a space or end. */
export const MALFORMED_STATUS_LINE = -1;
/** The three status digits are not a code from 100 to 999. */
export const MALFORMED_STATUS_CODE = -2;

/**
 * Parses the status line in `b[s..e)` (CR already trimmed): the status code, or
 * {@link MALFORMED_STATUS_LINE} / {@link MALFORMED_STATUS_CODE}. `b[s + 7] === 0x30` tells HTTP/1.0.
 */
export function parseStatusLine(b: Buffer, s: number, e: number): number {
  if (
    e - s < 12 ||
    b[s] !== 0x48 ||
    b[s + 1] !== 0x54 ||
    b[s + 2] !== 0x54 ||
    b[s + 3] !== 0x50 ||
    b[s + 4] !== 0x2f ||
    b[s + 5] !== 0x31 ||
    b[s + 6] !== 0x2e ||
    (b[s + 7] !== 0x31 && b[s + 7] !== 0x30) ||
    b[s + 8] !== SP ||
    (e - s > 12 && b[s + 12] !== SP)
  ) {
    return MALFORMED_STATUS_LINE;
  }
  const d0 = (b[s + 9] as number) - 48;
  const d1 = (b[s + 10] as number) - 48;
  const d2 = (b[s + 11] as number) - 48;
  if (d0 < 1 || d0 > 9 || d1 < 0 || d1 > 9 || d2 < 0 || d2 > 9) return MALFORMED_STATUS_CODE;
  return d0 * 100 + d1 * 10 + d2;
}

/** A request line that is not a token method, a space, a target, a space and `HTTP/d.d`. */
export const MALFORMED_REQUEST_LINE = -1;
/** The request-target is empty or holds a byte outside visible ASCII (RFC 9112 §3.2; obs-text refused too). */
export const MALFORMED_REQUEST_TARGET = -2;
/** A well-formed `HTTP/d.d` other than 1.0 and 1.1: answered with 505 (RFC 9110 §15.6.6). */
export const UNSUPPORTED_HTTP_VERSION = -3;

/**
 * Parses the request line `method SP request-target SP HTTP-version` in `b[s..e)` (CR already
 * trimmed; RFC 9112 §3). Returns the end of the method (the offset of the space after it): the
 * target runs from there + 1 to `e - 9`, and `b[e - 1] === 0x30` tells HTTP/1.0. Or, on failure,
 * {@link MALFORMED_REQUEST_LINE}, {@link MALFORMED_REQUEST_TARGET} or {@link UNSUPPORTED_HTTP_VERSION}.
 * Methods and the version are case-sensitive; no white space other than the two single spaces.
 */
export function parseRequestLine(b: Buffer, s: number, e: number): number {
  // The shortest valid line, `X / HTTP/1.1`, has 12 bytes.
  if (e - s < 12) return MALFORMED_REQUEST_LINE;
  const v = e - 8;
  if (
    b[v - 1] !== SP ||
    b[v] !== 0x48 ||
    b[v + 1] !== 0x54 ||
    b[v + 2] !== 0x54 ||
    b[v + 3] !== 0x50 ||
    b[v + 4] !== 0x2f ||
    !isDigit(b[v + 5] as number) ||
    b[v + 6] !== 0x2e ||
    !isDigit(b[v + 7] as number)
  ) {
    return MALFORMED_REQUEST_LINE;
  }
  let m = s;
  while (m < v && TOKEN[b[m] as number] === 1) m++;
  if (m === s || b[m] !== SP) return MALFORMED_REQUEST_LINE;
  const targetEnd = v - 1;
  if (m + 1 >= targetEnd) return MALFORMED_REQUEST_TARGET;
  for (let k = m + 1; k < targetEnd; k++) {
    const c = b[k] as number;
    if (c < 0x21 || c > 0x7e) return MALFORMED_REQUEST_TARGET;
  }
  if (b[v + 5] !== 0x31 || (b[v + 7] !== 0x31 && b[v + 7] !== 0x30)) return UNSUPPORTED_HTTP_VERSION;
  return m;
}

// RFC 3986 §3.2.2 reg-name characters: unreserved, sub-delims and '%' of pct-encoded.
const REG_NAME = alphanumericTable(128, "-._~!$&'()*+,;=%");

/**
 * Whether a `Host` field value is `uri-host [ ":" port ]` (RFC 9112 §3.2, RFC 3986 §3.2.2): a
 * reg-name or a bracketed IP literal, then optional digits after a colon. Empty is valid (a target
 * without authority); a server must answer 400 to anything else.
 */
export function isValidHost(value: string): boolean {
  const n = value.length;
  let i = 0;
  if (n > 0 && value.charCodeAt(0) === 0x5b) {
    const close = value.indexOf(']');
    if (close < 2) return false;
    // IPv6 and IPvFuture literals use only reg-name characters and ':'.
    for (i = 1; i < close; i++) {
      const c = value.charCodeAt(i);
      if (c !== 0x3a && (c > 127 || REG_NAME[c] !== 1 || c === 0x25)) return false;
    }
    i = close + 1;
  } else {
    while (i < n && value.charCodeAt(i) < 128 && REG_NAME[value.charCodeAt(i)] === 1) i++;
    if (i === 0 && n > 0) return false;
  }
  if (i === n) return true;
  if (value.charCodeAt(i) !== 0x3a) return false;
  for (i++; i < n; i++) if (!isDigit(value.charCodeAt(i))) return false;
  return true;
}

/** A chunk-size line that is not hex digits, optional white space and optional extensions. */
export const MALFORMED_CHUNK_SIZE = -1;
/** A chunk size of more than 13 hex digits (past 2^52): refused rather than trusted. */
export const CHUNK_SIZE_TOO_LARGE = -2;

/**
 * Parses the chunk-size line in `b[s..e)` (CR already trimmed): the size (0 for the last chunk), or
 * {@link MALFORMED_CHUNK_SIZE} / {@link CHUNK_SIZE_TOO_LARGE}. Extensions (`;name=value`) are skipped.
 */
export function parseChunkSize(b: Buffer, s: number, e: number): number {
  let n = 0;
  let i = s;
  for (; i < e; i++) {
    const d = hexDigit(b[i] as number);
    if (d < 0) break;
    if (i - s >= 13) return CHUNK_SIZE_TOO_LARGE;
    n = n * 16 + d;
  }
  if (i === s) return MALFORMED_CHUNK_SIZE;
  if (i === e) return n;
  // RFC 9112 §7.1.1: white space (BWS) may only come before an extension's `;`. A size followed by
  // spaces alone is refused, as llhttp refuses it: a hop that read it otherwise would frame apart.
  while (i < e && (b[i] === SP || b[i] === TAB)) i++;
  if (i === e || b[i] !== SEMICOLON) return MALFORMED_CHUNK_SIZE;
  // Extensions are skipped, but never with a control character in them: a bare CR there is a line
  // end to another parser (llhttp refuses it), which would then read the chunk data elsewhere.
  for (i++; i < e; i++) {
    const c = b[i] as number;
    if ((c < 0x20 && c !== TAB) || c === 0x7f) return MALFORMED_CHUNK_SIZE;
  }
  return n;
}

/** The end of the line `b[s..e)` without its CR, if it has one. */
export function trimCr(b: Buffer, s: number, e: number): number {
  return e > s && b[e - 1] === CR ? e - 1 : e;
}

/** How a response's body is delimited (RFC 9112 §6.3), from {@link responseBodyFraming}. */
export const FRAMING_NONE = 0;
export const FRAMING_CHUNKED = 1;
export const FRAMING_LENGTH = 2;
export const FRAMING_UNTIL_CLOSE = 3;

/**
 * How the body of a final response is delimited (RFC 9112 §6.3): none for a HEAD request
 * (`noBody`), 204 and 304; chunked when that is the final transfer coding; the Content-Length
 * (`contentLength`, -1 when absent) when there is no Transfer-Encoding; else until the server closes.
 */
export function responseBodyFraming(
  noBody: boolean,
  status: number,
  chunked: boolean,
  transferEncoding: boolean,
  contentLength: number,
): number {
  if (noBody || status === 204 || status === 304) return FRAMING_NONE;
  if (chunked) return FRAMING_CHUNKED;
  if (!transferEncoding && contentLength >= 0) return FRAMING_LENGTH;
  return FRAMING_UNTIL_CLOSE;
}

/** {@link LineReader.read}'s answer when a line takes the count past its limit. */
export const LINE_TOO_LONG = -1;

/**
 * Cuts HTTP/1.1 lines (heads, chunk sizes, trailers) out of socket reads, for both parsers. A
 * line that a read cut short is copied (the reads' buffers are not kept) until its LF arrives; the
 * copy grows by doubling, so a line arriving a byte at a time costs linear work, not a
 * concatenation per byte (a slow peer's cheap CPU lever). Bytes are counted exactly toward the
 * caller's limit (the LF once it arrives), so a head cut into many pieces counts as one.
 */
export class LineReader {
  /** Bytes counted toward the limit; the caller sets it back to 0 where its limit starts over. */
  counted = 0;
  /** After a `read` that found a whole line: it is `line[start..end)`, LF and a CR before it dropped. */
  line: Buffer | null = null;
  start = 0;
  end = 0;
  #buf: Buffer | null = null;
  #length = 0;

  /**
   * Reads from `buf[i..end)` up to the end of one line. Returns the offset after what it consumed
   * (with `line` set when the line is whole, null when its piece was kept for the next read), or
   * {@link LINE_TOO_LONG} when the count passed `limit`.
   */
  read(buf: Buffer, i: number, end: number, limit: number): number {
    const lf = findLf(buf, i, end);
    const complete = lf !== -1;
    const lineEnd = complete ? lf : end;
    this.line = null;
    this.counted += lineEnd - i + (complete ? 1 : 0);
    if (this.counted > limit) return LINE_TOO_LONG;
    if (!complete) {
      this.#keep(buf, i, end);
      return end;
    }
    if (this.#buf !== null) {
      this.#keep(buf, i, lineEnd);
      const whole = this.#buf.subarray(0, this.#length);
      this.clear();
      this.line = whole;
      this.start = 0;
      this.end = trimCr(whole, 0, whole.length);
    } else {
      this.line = buf;
      this.start = i;
      this.end = trimCr(buf, i, lineEnd);
    }
    return lineEnd + 1;
  }

  /** Forgets a line kept in part (the count stays). */
  clear(): void {
    this.#buf = null;
    this.#length = 0;
  }

  #keep(buf: Buffer, s: number, e: number): void {
    const n = e - s;
    let p = this.#buf;
    if (p === null) {
      p = Buffer.allocUnsafe(Math.max(256, n));
      this.#length = 0;
    } else if (this.#length + n > p.length) {
      const grown = Buffer.allocUnsafe(Math.max(p.length * 2, this.#length + n));
      p.copy(grown, 0, 0, this.#length);
      p = grown;
    }
    buf.copy(p, this.#length, s, e);
    this.#length += n;
    this.#buf = p;
  }
}

/**
 * Bytes scanned in JavaScript before handing the search to Buffer#indexOf (memchr): most header
 * lines are shorter, and for them the call out of JavaScript costs more than the scan.
 */
const SHORT_LINE = 64;

/** The offset of the first LF in `buf[i..end)`, or -1. */
function findLf(buf: Buffer, i: number, end: number): number {
  const stop = Math.min(end, i + SHORT_LINE);
  for (let k = i; k < stop; k++) if (buf[k] === LF) return k;
  if (stop === end) return -1;
  const lf = buf.indexOf(LF, stop);
  return lf !== -1 && lf < end ? lf : -1;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 0x20;
  if (l >= 97 && l <= 102) return l - 87;
  return -1;
}
