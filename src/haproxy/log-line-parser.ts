import { userIdOfBytes } from '../telemetry/index.ts';
import { LOG_LINE_TAG } from './haproxy-log-format.ts';

/** One request's line in {@link LOG_FORMAT}, parsed. Timers are ms, -1 when the phase was never reached. */
export interface LogLine {
  /** Epoch ms when HAProxy built the line (the response's end). */
  endMs: number;
  frontend: string;
  /** The backend = piper route. */
  backend: string;
  /** `<pool>.<backend>` (`.failover` after it for a failover pool's copy), or `<NOSRV>`. */
  server: string;
  /** Status sent to the client; -1 when none. */
  status: number;
  /** %TR: from the first byte of the request to the end of its head. */
  requestMs: number;
  /** %Tw: in queues. */
  queueMs: number;
  /** %Tc: connecting to the server. */
  connectMs: number;
  /** %Tr: from the connection to the server's response head. */
  responseMs: number;
  /** %Ta: from the first byte of the request to the last byte of the response. */
  activeMs: number;
  bytesIn: number;
  bytesOut: number;
  /** %ts, two characters. */
  termination: string;
  retries: number;
  /** `+` before %rc: the request was redispatched to another server. */
  redispatched: boolean;
  /** %ci as a user id (`userIdOfBytes`, the balancer's id of the same address): the client's address is never kept. */
  clientId: number;
}

/** What {@link parseLogLine} made of a datagram. */
export type ParseOutcome = 'ok' | 'foreign' | 'truncated' | 'unparsable';

const MARKER = Buffer.from(`${LOG_LINE_TAG} `, 'latin1');
const SPACE = 0x20;
const DOT = 0x2e;

/** A fresh, zeroed line to parse into (reused across calls on the hot path). */
export function emptyLogLine(): LogLine {
  return {
    endMs: 0,
    frontend: '',
    backend: '',
    server: '',
    status: 0,
    requestMs: 0,
    queueMs: 0,
    connectMs: 0,
    responseMs: 0,
    activeMs: 0,
    bytesIn: 0,
    bytesOut: 0,
    termination: '',
    retries: 0,
    redispatched: false,
    clientId: 0,
  };
}

/**
 * Parses one syslog datagram holding a line in {@link LOG_FORMAT} into `out`. Whatever
 * header precedes the marker (RFC 3164, RFC 5424, `short`, `raw`) is skipped. Returns `foreign`
 * when there is no marker (HAProxy's own messages, anything else sent to the port), `truncated`
 * when the line ends before its end mark (cut by `len` or in transit), `unparsable` when a field
 * is not what the format puts there. Works on the bytes: nothing is allocated but the four strings
 * (the client's address is hashed in place).
 */
export function parseLogLine(buf: Buffer, out: LogLine): ParseOutcome {
  const at = indexOfMarker(buf);
  if (at < 0) return 'foreign';
  const c = new Cursor(buf, at + MARKER.length);
  out.endMs = c.int();
  out.frontend = c.word();
  out.backend = c.word();
  out.server = c.word();
  out.status = c.int();
  out.requestMs = c.int();
  out.queueMs = c.int();
  out.connectMs = c.int();
  out.responseMs = c.int();
  out.activeMs = c.int();
  out.bytesIn = c.int();
  out.bytesOut = c.int();
  out.termination = c.word();
  out.redispatched = buf[c.pos] === 0x2b;
  out.retries = c.int();
  out.clientId = c.wordId();
  if (c.failed !== null) return c.failed;
  // The end mark, then only a line end (HAProxy ends UDP lines with LF; some relays add NUL or CR).
  if (c.pos >= c.end) return 'truncated';
  if (buf[c.pos] !== DOT) return 'unparsable';
  for (let i = c.pos + 1; i < c.end; i++) {
    const b = buf[i];
    if (b !== 0x0a && b !== 0x0d && b !== 0) return 'unparsable';
  }
  if (out.endMs <= 0 || out.termination.length !== 2 || out.activeMs < 0 || out.bytesIn < 0 || out.bytesOut < 0 || out.retries < 0) {
    return 'unparsable';
  }
  return 'ok';
}

/** The marker, looked for within the first 512 bytes (a syslog header is shorter; a line is not searched end to end). */
function indexOfMarker(buf: Buffer): number {
  const at = buf.indexOf(MARKER);
  return at > 512 ? -1 : at;
}

/** Reads space-separated fields; the first failure sticks (`failed`), later reads return zeros. */
class Cursor {
  readonly buf: Buffer;
  readonly end: number;
  pos: number;
  failed: ParseOutcome | null = null;

  constructor(buf: Buffer, pos: number) {
    this.buf = buf;
    this.pos = pos;
    let end = buf.length;
    // A line end (and any NUL a relay added) is not part of the last field.
    while (end > pos && (buf[end - 1] === 0x0a || buf[end - 1] === 0x0d || buf[end - 1] === 0)) end--;
    this.end = end;
  }

  /** A decimal integer with an optional sign ('+' as in `+3` retries or logasap's `+Ta`), then a space. */
  int(): number {
    if (this.failed !== null) return 0;
    const buf = this.buf;
    let i = this.pos;
    let negative = false;
    if (buf[i] === 0x2d) {
      negative = true;
      i++;
    } else if (buf[i] === 0x2b) {
      i++;
    }
    const digits = i;
    let n = 0;
    while (i < this.end) {
      const d = (buf[i] as number) - 0x30;
      if (d < 0 || d > 9) break;
      n = n * 10 + d;
      i++;
    }
    if (i === digits || i - digits > 15) return this.#fail(i);
    return this.#next(i, negative ? -n : n);
  }

  /** A run of printable bytes up to the next space. */
  word(): string {
    const start = this.pos;
    const i = this.#wordEnd();
    if (i < 0) return '';
    return this.#next(i, this.buf.toString('latin1', start, i));
  }

  /** A word, as the user id of its text (no string made). */
  wordId(): number {
    const start = this.pos;
    const i = this.#wordEnd();
    if (i < 0) return 0;
    return this.#next(i, userIdOfBytes(this.buf, start, i));
  }

  /** Where the word at `pos` ends, or -1 after recording the failure (none, too long, or unprintable bytes). */
  #wordEnd(): number {
    if (this.failed !== null) return -1;
    const buf = this.buf;
    const start = this.pos;
    let i = start;
    while (i < this.end) {
      const b = buf[i] as number;
      if (b === SPACE) break;
      if (b < 0x21 || b > 0x7e) return this.#fail(i, -1);
      i++;
    }
    if (i === start || i - start > 255) return this.#fail(i, -1);
    return i;
  }

  #next<T>(i: number, value: T): T {
    if (i >= this.end) {
      this.failed = 'truncated';
      return value;
    }
    if (this.buf[i] !== SPACE) {
      this.failed = 'unparsable';
      return value;
    }
    this.pos = i + 1;
    return value;
  }

  #fail<T>(i: number, value?: T): T {
    this.failed = i >= this.end ? 'truncated' : 'unparsable';
    return (value ?? 0) as T;
  }
}
