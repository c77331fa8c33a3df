import { type LlhttpCase, llhttpInput } from './llhttp-case-input.ts';
import { LLHTTP_REQUEST_CASES } from './llhttp-request-corpus.ts';
import { LLHTTP_RESPONSE_CASES } from './llhttp-response-corpus.ts';
import type { Role } from './piper-parse.ts';

/** A corpus input: an llhttp case, or a variant of one. */
export interface CorpusInput {
  name: string;
  role: Role;
  bytes: Buffer;
}

/**
 * The same request with `Host: h` after its request line: most of llhttp's cases omit Host, which
 * piper (rightly, RFC 9112 §3.2) refuses before reading anything else, so without the variant the
 * corpus would test little more than that.
 */
export function withHost(bytes: Buffer): Buffer {
  const lf = bytes.indexOf(0x0a);
  if (lf === -1) return bytes;
  return Buffer.concat([bytes.subarray(0, lf + 1), Buffer.from('Host: h\r\n'), bytes.subarray(lf + 1)]);
}

function fromCase(c: LlhttpCase): CorpusInput[] {
  const bytes = llhttpInput(c.http);
  const name = `${c.file}: ${c.title}`;
  const out: CorpusInput[] = [{ name, role: c.role, bytes }];
  const first = bytes.subarray(0, bytes.indexOf(0x0a) + 1).toString('latin1');
  if (c.role === 'request' && !/\r?\nhost:/i.test(bytes.toString('latin1')) && / HTTP\/1\.1\r?\n$/.test(first)) {
    out.push({ name: `${name} (Host added)`, role: c.role, bytes: withHost(bytes) });
  }
  return out;
}

/** Every llhttp case, with a Host variant for HTTP/1.1 requests without one. */
export const CORPUS: readonly CorpusInput[] = [...LLHTTP_REQUEST_CASES, ...LLHTTP_RESPONSE_CASES].flatMap(fromCase);

// Well-formed messages of every framing, for the mutator to start from besides the corpus.
const HAND_MADE: readonly CorpusInput[] = [
  { name: 'GET', role: 'request', bytes: Buffer.from('GET /a?b=c HTTP/1.1\r\nHost: h\r\nUser-Agent: x\r\n\r\n') },
  { name: 'POST with a length', role: 'request', bytes: Buffer.from('POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello') },
  {
    name: 'POST chunked with trailers',
    role: 'request',
    bytes: Buffer.from('POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5;e=1\r\nhello\r\n0\r\nT: v\r\n\r\n'),
  },
  { name: 'HTTP/1.0 keep-alive', role: 'request', bytes: Buffer.from('GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n') },
  { name: 'response with a length', role: 'response', bytes: Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello') },
  {
    name: 'chunked response',
    role: 'response',
    bytes: Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n'),
  },
  { name: 'response until close', role: 'response', bytes: Buffer.from('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil close') },
  {
    name: '100 then 200',
    role: 'response',
    bytes: Buffer.from('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx'),
  },
];

/** What the mutator starts from, per role: the corpus inputs and the hand-made ones. */
export function seedsFor(role: Role): Buffer[] {
  return [...CORPUS, ...HAND_MADE].filter((c) => c.role === role).map((c) => c.bytes);
}
