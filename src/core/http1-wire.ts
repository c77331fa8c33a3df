// The pieces of HTTP/1.1 response framing (RFC 9112) that the balancer's upstream parser and the
// load generator's counting parser share: both parse in place from socket Buffers, one line at a
// time, and must agree on what a valid status line or chunk size is.

const SP = 32;
const TAB = 9;
const CR = 13;
const SEMICOLON = 59;

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
  while (i < e && (b[i] === SP || b[i] === TAB)) i++;
  if (i < e && b[i] !== SEMICOLON) return MALFORMED_CHUNK_SIZE;
  return n;
}

/** The end of the line `b[s..e)` without its CR, if it has one. */
export function trimCr(b: Buffer, s: number, e: number): number {
  return e > s && b[e - 1] === CR ? e - 1 : e;
}

function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 0x20;
  if (l >= 97 && l <= 102) return l - 87;
  return -1;
}
