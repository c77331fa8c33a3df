import { CONNECTION_CL_PATH, LATE_BYTES_PATH } from './echo-backend.ts';

/** What a backend logged in one case, for a case's own rule. */
export interface CaseBackendView {
  method: string;
  target: string;
  rawHeaders: string[];
  body: string;
}

/**
 * One hand-made end-to-end case: raw bytes a client sends to each proxy. Every proxy routes
 * `/api/` to its `api` echo backend and the rest to `web`.
 */
export interface AttackCase {
  name: string;
  /** The bytes sent, as a latin1 string. */
  send: string;
  /** Requests in it as RFC 9112 reads it: how many answers the client waits for. */
  requests: number;
  /**
   * Targets of the requests the client meant to send: a proxy may forward these and answer them
   * itself (a 502 after a bad backend answer, say). A complete backend request for any other
   * target must have had its answer relayed to the client, or the proxy did not forward it as such.
   */
  targets: string[];
  /** A rule of this case's own, over what the backends read: a failure code, or null. */
  check?: (backend: CaseBackendView[]) => string | null;
  /** Set while a known hole is open (the case runs as a node:test todo): what is being fixed, and where. */
  todo?: string;
}

/** The request every smuggling case hides: a proxy must never let a backend read it on its own. */
export const SMUGGLED = 'GET /api/smuggled HTTP/1.1\r\nHost: x\r\n\r\n';

/** A POST to `target` with `fields` (framing fields included: none is added), then `body`. */
function post(target: string, fields: string[], body: string): string {
  return `POST ${target} HTTP/1.1\r\nHost: x\r\n${fields.map((f) => `${f}\r\n`).join('')}\r\n${body}`;
}

/** CL.TE: the length covers a chunked body's end and the smuggled request; chunked ends before it. */
function clTe(teLine: string): string {
  const body = `0\r\n\r\n${SMUGGLED}`;
  return post('/api/a', [`Content-Length: ${body.length}`, teLine], body);
}

/** TE.CL: chunked carries the smuggled request as chunk data; a short length ends before it. */
function teCl(teLine: string): string {
  return post('/api/a', ['Content-Length: 4', teLine], `${SMUGGLED.length.toString(16)}\r\n${SMUGGLED}\r\n0\r\n\r\n`);
}

/** Length-only smuggling: the body (per `lengthLine`) holds the smuggled request. */
function withLength(lengthLine: string, extra: string[] = []): string {
  return post('/api/a', [...extra, lengthLine], SMUGGLED);
}

/** The transfer codings the backend was told about, lower-case. */
function backendCodings(r: CaseBackendView): string {
  const out: string[] = [];
  for (let i = 0; i + 1 < r.rawHeaders.length; i += 2) {
    const name = (r.rawHeaders[i] as string).toLowerCase();
    if (name === 'transfer-encoding' || name === 'content-encoding') out.push((r.rawHeaders[i + 1] as string).toLowerCase());
  }
  return out.join(',');
}

/** The hand-made list: request smuggling shapes, routing tricks and misbehaving backends. */
export const ATTACK_CASES: readonly AttackCase[] = [
  // --- controls: what every proxy must pass ---
  { name: 'control: a GET', send: 'GET /api/plain HTTP/1.1\r\nHost: x\r\n\r\n', requests: 1, targets: ['/api/plain'] },
  {
    name: 'control: two pipelined GETs',
    send: 'GET /api/one HTTP/1.1\r\nHost: x\r\n\r\nGET /two HTTP/1.1\r\nHost: x\r\n\r\n',
    requests: 2,
    targets: ['/api/one', '/two'],
  },
  {
    name: 'control: a POST with a body, then a pipelined GET',
    send: `${post('/api/p', ['Content-Length: 5'], 'hello')}GET /api/after HTTP/1.1\r\nHost: x\r\n\r\n`,
    requests: 2,
    targets: ['/api/p', '/api/after'],
  },
  {
    name: 'control: a chunked POST with an extension and a trailer',
    send: post('/api/c', ['Transfer-Encoding: chunked'], '5;e=1\r\nhello\r\n0\r\nT: v\r\n\r\n'),
    requests: 1,
    targets: ['/api/c'],
  },

  // --- Content-Length against Transfer-Encoding ---
  {
    name: 'CL.TE: Content-Length and Transfer-Encoding: chunked',
    send: clTe('Transfer-Encoding: chunked'),
    requests: 1,
    targets: ['/api/a'],
  },
  {
    name: 'TE.CL: Transfer-Encoding: chunked and a short Content-Length',
    send: teCl('Transfer-Encoding: chunked'),
    requests: 1,
    targets: ['/api/a'],
  },
  { name: 'TE.TE: Transfer-Encoding: xchunked', send: clTe('Transfer-Encoding: xchunked'), requests: 1, targets: ['/api/a'] },
  { name: 'TE.TE: space before the colon', send: clTe('Transfer-Encoding : chunked'), requests: 1, targets: ['/api/a'] },
  { name: 'TE.TE: tab before the value', send: clTe('Transfer-Encoding:\tchunked'), requests: 1, targets: ['/api/a'] },
  { name: 'TE.TE: upper-case CHUNKED', send: clTe('Transfer-Encoding: CHUNKED'), requests: 1, targets: ['/api/a'] },
  { name: 'TE.TE: quoted "chunked"', send: clTe('Transfer-Encoding: "chunked"'), requests: 1, targets: ['/api/a'] },
  { name: 'TE.TE: chunked, identity', send: clTe('Transfer-Encoding: chunked, identity'), requests: 1, targets: ['/api/a'] },
  {
    name: 'TE.TE: a second Transfer-Encoding line',
    send: clTe('Transfer-Encoding: chunked\r\nTransfer-Encoding: x'),
    requests: 1,
    targets: ['/api/a'],
  },
  {
    name: 'TE.TE: folded onto the line before (obs-fold)',
    send: clTe('X: y\r\n Transfer-Encoding: chunked'),
    requests: 1,
    targets: ['/api/a'],
  },
  { name: 'TE.TE: value folded onto a second line', send: clTe('Transfer-Encoding:\r\n chunked'), requests: 1, targets: ['/api/a'] },
  { name: 'TE.TE: behind a bare LF', send: clTe('X: y\nTransfer-Encoding: chunked'), requests: 1, targets: ['/api/a'] },
  { name: 'TE.TE: behind a bare CR', send: clTe('X: y\rTransfer-Encoding: chunked'), requests: 1, targets: ['/api/a'] },
  { name: 'TE.CL: Transfer-Encoding: xchunked', send: teCl('Transfer-Encoding: xchunked'), requests: 1, targets: ['/api/a'] },
  {
    name: 'Transfer-Encoding in an HTTP/1.0 request',
    send: clTe('Transfer-Encoding: chunked').replace('HTTP/1.1', 'HTTP/1.0'),
    requests: 1,
    targets: ['/api/a'],
  },

  // --- Connection naming framing fields ---
  {
    name: 'request smuggling through Connection: content-length',
    send: withLength(`Content-Length: ${SMUGGLED.length}`, ['Connection: content-length']),
    requests: 1,
    targets: ['/api/a'],
  },
  {
    name: 'request smuggling through Connection: close, content-length',
    send: withLength(`Content-Length: ${SMUGGLED.length}`, ['Connection: close, content-length']),
    requests: 1,
    targets: ['/api/a'],
  },
  {
    name: 'Connection: transfer-encoding on a chunked request',
    send: post(
      '/api/a',
      ['Transfer-Encoding: chunked', 'Connection: transfer-encoding'],
      `${SMUGGLED.length.toString(16)}\r\n${SMUGGLED}\r\n0\r\n\r\n`,
    ),
    requests: 1,
    targets: ['/api/a'],
  },

  // --- Content-Length written oddly ---
  {
    name: 'two different Content-Length fields',
    send: withLength(`Content-Length: 0\r\nContent-Length: ${SMUGGLED.length}`),
    requests: 1,
    targets: ['/api/a'],
  },
  {
    name: 'one Content-Length repeated alike',
    send: withLength(`Content-Length: ${SMUGGLED.length}\r\nContent-Length: ${SMUGGLED.length}`),
    requests: 1,
    targets: ['/api/a'],
  },
  { name: 'Content-Length as a list "0, N"', send: withLength(`Content-Length: 0, ${SMUGGLED.length}`), requests: 1, targets: ['/api/a'] },
  { name: 'Content-Length with a plus sign', send: withLength(`Content-Length: +${SMUGGLED.length}`), requests: 1, targets: ['/api/a'] },
  { name: 'Content-Length with a minus sign', send: withLength('Content-Length: -1'), requests: 1, targets: ['/api/a'] },
  {
    name: 'Content-Length in hex',
    send: withLength(`Content-Length: 0x${SMUGGLED.length.toString(16)}`),
    requests: 1,
    targets: ['/api/a'],
  },
  {
    name: 'Content-Length with a space inside',
    send: withLength(`Content-Length: 0 ${SMUGGLED.length}`),
    requests: 1,
    targets: ['/api/a'],
  },
  {
    name: 'Content-Length behind a bare LF',
    send: withLength(`X: y\nContent-Length: ${SMUGGLED.length}`),
    requests: 1,
    targets: ['/api/a'],
  },
  {
    name: 'Content-Length folded (obs-fold)',
    send: withLength(`Content-Length:\r\n ${SMUGGLED.length}`),
    requests: 1,
    targets: ['/api/a'],
  },
  {
    name: 'GET with a body that holds a request',
    send: `GET /api/g HTTP/1.1\r\nHost: x\r\nContent-Length: ${SMUGGLED.length}\r\n\r\n${SMUGGLED}`,
    requests: 1,
    targets: ['/api/g'],
  },

  // --- chunk sizes and extensions ---
  {
    name: 'chunk extension holding a quoted CRLF and a request',
    send: post('/api/a', ['Transfer-Encoding: chunked'], `2;x="\r\n${SMUGGLED}"\r\nab\r\n0\r\n\r\n`),
    requests: 1,
    targets: ['/api/a'],
  },
  {
    name: 'chunk size overflowing 64 bits',
    send: post('/api/a', ['Transfer-Encoding: chunked'], `10000000000000029\r\n${SMUGGLED}\r\n0\r\n\r\n`),
    requests: 1,
    targets: ['/api/a'],
  },
  {
    name: 'huge chunk size that is never sent',
    send: post('/api/a', ['Transfer-Encoding: chunked'], 'ffffffff\r\nabc'),
    requests: 1,
    targets: ['/api/a'],
  },
  {
    name: 'chunk size with 0x prefix',
    send: post('/api/a', ['Transfer-Encoding: chunked'], `0x${SMUGGLED.length.toString(16)}\r\n${SMUGGLED}\r\n0\r\n\r\n`),
    requests: 1,
    targets: ['/api/a'],
  },
  {
    name: 'chunk size ended by a bare LF',
    send: post('/api/a', ['Transfer-Encoding: chunked'], `${SMUGGLED.length.toString(16)}\n${SMUGGLED}\r\n0\r\n\r\n`),
    requests: 1,
    targets: ['/api/a'],
  },
  {
    name: 'chunk data longer than its size',
    send: post('/api/a', ['Transfer-Encoding: chunked'], `1\r\nab\r\n0\r\n\r\n${SMUGGLED}`),
    requests: 1,
    targets: ['/api/a'],
  },

  // --- targets and methods ---
  {
    name: 'absolute-form target without a path: http://h?x=1',
    send: 'GET http://x?x=1 HTTP/1.1\r\nHost: x\r\n\r\n',
    requests: 1,
    targets: ['/?x=1'],
  },
  {
    name: 'request-target in no RFC 9112 form: api/x',
    send: 'GET api/x HTTP/1.1\r\nHost: x\r\n\r\n',
    requests: 1,
    targets: [],
  },
  {
    name: 'absolute-form target with a path',
    send: 'GET http://x/api/abs HTTP/1.1\r\nHost: x\r\n\r\n',
    requests: 1,
    targets: ['/api/abs'],
  },
  { name: 'CONNECT', send: 'CONNECT x:443 HTTP/1.1\r\nHost: x:443\r\n\r\n', requests: 1, targets: ['x:443'] },
  {
    name: 'TRACE',
    send: 'TRACE /api/trace HTTP/1.1\r\nHost: x\r\nCookie: secret=1\r\n\r\n',
    requests: 1,
    targets: ['/api/trace'],
  },
  {
    name: 'prefix route bypass with /api/../',
    send: 'GET /api/../secret HTTP/1.1\r\nHost: x\r\n\r\n',
    requests: 1,
    targets: ['/secret'],
  },
  {
    name: 'prefix route bypass with %2e%2e',
    send: 'GET /api/%2e%2e/secret HTTP/1.1\r\nHost: x\r\n\r\n',
    requests: 1,
    targets: ['/secret'],
  },
  {
    name: 'prefix route bypass with %2E%2E and ./',
    send: 'GET /api/./%2E%2E/secret HTTP/1.1\r\nHost: x\r\n\r\n',
    requests: 1,
    targets: ['/secret'],
  },
  {
    name: 'Transfer-Encoding: gzip, chunked (the gzip coding kept or refused)',
    send: post('/api/gzip', ['Transfer-Encoding: gzip, chunked'], '5\r\nhello\r\n0\r\n\r\n'),
    requests: 1,
    targets: ['/api/gzip'],
    check: (backend) => {
      const r = backend.find((b) => b.target === '/api/gzip');
      return r !== undefined && !backendCodings(r).includes('gzip') ? 'transfer-coding-dropped' : null;
    },
  },
  {
    name: 'Upgrade: h2c asked of the backend',
    send: 'GET /api/h2c HTTP/1.1\r\nHost: x\r\nUpgrade: h2c\r\nConnection: Upgrade, HTTP2-Settings\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n',
    requests: 1,
    targets: ['/api/h2c'],
  },

  // --- after a body, after a 1xx ---
  {
    name: 'request after a 100 Continue and its body',
    send: `${post('/api/continue', ['Expect: 100-continue', 'Content-Length: 5'], 'hello')}GET /api/after HTTP/1.1\r\nHost: x\r\n\r\n`,
    requests: 2,
    targets: ['/api/continue', '/api/after'],
  },
  {
    name: 'pipelined request after a chunked body',
    send: `${post('/api/c', ['Transfer-Encoding: chunked'], '5\r\nhello\r\n0\r\n\r\n')}GET /api/after HTTP/1.1\r\nHost: x\r\n\r\n`,
    requests: 2,
    targets: ['/api/c', '/api/after'],
  },

  // --- misbehaving backends (response side) ---
  {
    name: 'response splitting through Connection: content-length from the backend',
    send: `GET ${CONNECTION_CL_PATH} HTTP/1.1\r\nHost: x\r\n\r\nGET /api/after HTTP/1.1\r\nHost: x\r\n\r\n`,
    requests: 2,
    targets: [CONNECTION_CL_PATH, '/api/after'],
  },
  {
    name: 'late bytes from a backend after its response',
    send: `GET ${LATE_BYTES_PATH} HTTP/1.1\r\nHost: x\r\n\r\n`,
    requests: 1,
    targets: [LATE_BYTES_PATH],
  },
];
