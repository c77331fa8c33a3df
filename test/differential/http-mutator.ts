import type { Random } from '../../src/core/index.ts';

// Byte-level and line-level mutations of HTTP/1.1 messages, chosen for where parsers disagree:
// framing fields written oddly, chunk sizes, line endings, folding, control bytes, pipelining.

/** Bytes that mean something to an HTTP/1.1 parser. */
const INTERESTING_BYTES = [
  0x00, 0x09, 0x0a, 0x0d, 0x20, 0x22, 0x2c, 0x2b, 0x2d, 0x30, 0x35, 0x3a, 0x3b, 0x3d, 0x41, 0x5c, 0x61, 0x66, 0x7f, 0x80, 0xff,
];

/** Framing and routing fields written the ways parsers have disagreed on. */
const FRAMING_LINES = [
  'Content-Length: 5',
  'Content-Length: 0',
  'Content-Length: +5',
  'Content-Length: -5',
  'Content-Length: 05',
  'Content-Length: 5, 5',
  'Content-Length: 5,6',
  'Content-Length: 5 5',
  'Content-Length: 0x5',
  'Content-Length: 99999999999999999999',
  'Content-Length : 5',
  ' Content-Length: 5',
  'Content-Length:\t5\t',
  'Content-Length:5',
  'Content_Length: 5',
  'Transfer-Encoding: chunked',
  'Transfer-Encoding: Chunked',
  'Transfer-Encoding:  chunked ',
  'Transfer-Encoding: xchunked',
  'Transfer-Encoding: chunked, identity',
  'Transfer-Encoding: identity, chunked',
  'Transfer-Encoding: gzip, chunked',
  'Transfer-Encoding: chunked, chunked',
  'Transfer-Encoding: identity',
  'Transfer-Encoding: "chunked"',
  'Transfer-Encoding:\tchunked',
  'Transfer-Encoding : chunked',
  'Transfer-Encoding: chunked\r\n x',
  'Transfer-Encoding:\r\n chunked',
  'Transfer-Encoding: \x0bchunked',
  'Transfer-Encoding\n: chunked',
  'Connection: close',
  'Connection: content-length',
  'Connection: transfer-encoding',
  'Connection: keep-alive, upgrade',
  'Upgrade: websocket',
  'Expect: 100-continue',
  'Host: h',
  'Host: h\r\nHost: h',
  'Trailer: Content-Length',
];

/** Chunk-size lines that bend the grammar (RFC 9112 §7.1). */
const CHUNK_SIZE_LINES = [
  '5',
  '05',
  '0x5',
  '5 ',
  ' 5',
  '5\t',
  '5;',
  '5;a',
  '5;a=b',
  '5 ;a',
  '5;a="b;c"',
  '+5',
  '-5',
  '5 6',
  'fffffffffffffff',
  '00000000000000000005',
  '5\r',
  '',
];

function lines(b: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let s = 0;
  for (let i = 0; i < b.length; i++) {
    if (b[i] === 0x0a) {
      out.push(b.subarray(s, i + 1));
      s = i + 1;
    }
  }
  if (s < b.length) out.push(b.subarray(s));
  return out;
}

function pick<T>(r: Random, xs: readonly T[]): T {
  return xs[r.int(xs.length)] as T;
}

/** Indexes of the lines that look like header fields (a colon, not the first line). */
function headerLineIndexes(ls: Buffer[]): number[] {
  const out: number[] = [];
  for (let i = 1; i < ls.length; i++) {
    const l = ls[i] as Buffer;
    if (l.length <= 2) break;
    if (l.includes(0x3a)) out.push(i);
  }
  return out;
}

/** Indexes of the lines that look like chunk sizes (hex digits, maybe an extension). */
function chunkSizeLineIndexes(ls: Buffer[]): number[] {
  const out: number[] = [];
  for (let i = 1; i < ls.length; i++) if (/^[0-9a-fA-F]+(;[^\r\n]*)?\r?\n$/.test((ls[i] as Buffer).toString('latin1'))) out.push(i);
  return out;
}

type Mutation = (r: Random, b: Buffer, others: readonly Buffer[]) => Buffer;

const MUTATIONS: ReadonlyArray<[string, Mutation]> = [
  [
    'flip a byte',
    (r, b) => {
      if (b.length === 0) return b;
      const c = Buffer.from(b);
      c[r.int(c.length)] = r.int(256);
      return c;
    },
  ],
  [
    'insert a byte',
    (r, b) => {
      const at = r.int(b.length + 1);
      return Buffer.concat([b.subarray(0, at), Buffer.from([pick(r, INTERESTING_BYTES)]), b.subarray(at)]);
    },
  ],
  [
    'delete bytes',
    (r, b) => {
      const at = r.int(b.length + 1);
      return Buffer.concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + 1 + r.int(4)))]);
    },
  ],
  [
    'duplicate a header line',
    (r, b) => {
      const ls = lines(b);
      const hs = headerLineIndexes(ls);
      if (hs.length === 0) return b;
      const i = pick(r, hs);
      ls.splice(i, 0, ls[i] as Buffer);
      return Buffer.concat(ls);
    },
  ],
  [
    'drop a header line',
    (r, b) => {
      const ls = lines(b);
      const hs = headerLineIndexes(ls);
      if (hs.length === 0) return b;
      ls.splice(pick(r, hs), 1);
      return Buffer.concat(ls);
    },
  ],
  [
    'add a framing field',
    (r, b) => {
      const ls = lines(b);
      const hs = headerLineIndexes(ls);
      const at = hs.length === 0 ? Math.min(1, ls.length) : pick(r, hs);
      ls.splice(at, 0, Buffer.from(`${pick(r, FRAMING_LINES)}\r\n`, 'latin1'));
      return Buffer.concat(ls);
    },
  ],
  [
    'replace a header with a framing field',
    (r, b) => {
      const ls = lines(b);
      const hs = headerLineIndexes(ls);
      if (hs.length === 0) return b;
      ls[pick(r, hs)] = Buffer.from(`${pick(r, FRAMING_LINES)}\r\n`, 'latin1');
      return Buffer.concat(ls);
    },
  ],
  [
    'rewrite a chunk size',
    (r, b) => {
      const ls = lines(b);
      const cs = chunkSizeLineIndexes(ls);
      if (cs.length === 0) return b;
      ls[pick(r, cs)] = Buffer.from(`${pick(r, CHUNK_SIZE_LINES)}\r\n`, 'latin1');
      return Buffer.concat(ls);
    },
  ],
  [
    'fold a header line (obs-fold)',
    (r, b) => {
      const ls = lines(b);
      const hs = headerLineIndexes(ls);
      if (hs.length === 0) return b;
      const i = pick(r, hs);
      const l = ls[i] as Buffer;
      ls[i] = Buffer.concat([Buffer.from(pick(r, [' ', '\t'])), l]);
      return Buffer.concat(ls);
    },
  ],
  [
    'bare LF or bare CR for a CRLF',
    (r, b) => {
      const ends: number[] = [];
      for (let i = 0; i + 1 < b.length; i++) if (b[i] === 0x0d && b[i + 1] === 0x0a) ends.push(i);
      if (ends.length === 0) return b;
      const at = pick(r, ends);
      const keep = r.int(2) === 0 ? 0x0a : 0x0d;
      return Buffer.concat([b.subarray(0, at), Buffer.from([keep]), b.subarray(at + 2)]);
    },
  ],
  ['cut short', (r, b) => b.subarray(0, r.int(b.length + 1))],
  ['pipeline another message after it', (r, b, others) => Buffer.concat([b, pick(r, others)])],
  [
    'change the case of a header name',
    (r, b) => {
      const ls = lines(b);
      const hs = headerLineIndexes(ls);
      if (hs.length === 0) return b;
      const i = pick(r, hs);
      const l = Buffer.from(ls[i] as Buffer);
      const colon = l.indexOf(0x3a);
      for (let k = 0; k < colon; k++) {
        const c = (l[k] as number) | 0x20;
        if (c >= 0x61 && c <= 0x7a && r.int(2) === 0) l[k] = (l[k] as number) ^ 0x20;
      }
      ls[i] = l;
      return Buffer.concat(ls);
    },
  ],
];

/** The mutation names, for a summary. */
export const MUTATION_NAMES: readonly string[] = MUTATIONS.map(([name]) => name);

/** One mutated input and the mutations that made it. */
export interface Mutant {
  bytes: Buffer;
  steps: string[];
}

/** Applies 1 to 3 mutations, drawn with `r`, to `seed`; `others` feed pipelining. */
export function mutate(r: Random, seed: Buffer, others: readonly Buffer[]): Mutant {
  let bytes = seed;
  const steps: string[] = [];
  const n = 1 + r.int(3);
  for (let k = 0; k < n; k++) {
    const [name, fn] = MUTATIONS[r.int(MUTATIONS.length)] as [string, Mutation];
    bytes = fn(r, bytes, others);
    steps.push(name);
  }
  return { bytes, steps };
}
