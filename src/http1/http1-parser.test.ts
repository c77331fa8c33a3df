import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type Http1Headers,
  Http1Parser,
  type Http1ParserHandler,
  MAX_HEADER_FIELDS,
  MAX_REQUEST_HEAD_BYTES,
  MAX_RESPONSE_HEAD_BYTES,
} from './http1-parser.ts';

/** A head as the handler saw it: the headers and the parser's fields at the time of the call. */
interface Head {
  status: number;
  method: string;
  target: string;
  http10: boolean;
  keepAlive: boolean;
  expectContinue: boolean;
  hasBody: boolean;
  headers: Http1Headers;
}

class Recorder implements Http1ParserHandler {
  parser: Http1Parser | null = null;
  heads: Head[] = [];
  body: Buffer[] = [];
  completions = 0;
  onMessageHead(headers: Http1Headers): void {
    const p = this.parser as Http1Parser;
    const { status, method, target, http10, keepAlive, expectContinue, hasBody } = p;
    this.heads.push({ status, method, target, http10, keepAlive, expectContinue, hasBody, headers: { ...headers } });
  }
  onMessageBody(buf: Buffer, start: number, end: number): void {
    // Copied: the slice is only valid during the call.
    this.body.push(Buffer.from(buf.subarray(start, end)));
  }
  onMessageComplete(): void {
    this.completions++;
  }
  get text(): string {
    return Buffer.concat(this.body).toString('latin1');
  }
}

/** Feeds the pieces to a new parser of `role`; returns the recorder, the parser and where the last piece stopped. */
function run(role: 'request' | 'response', pieces: Buffer[], head = false): { r: Recorder; p: Http1Parser; stoppedAt: number } {
  const r = new Recorder();
  const p = new Http1Parser(r, role);
  r.parser = p;
  if (role === 'response') p.reset(head);
  let stoppedAt = 0;
  for (const piece of pieces) {
    stoppedAt = p.execute(piece);
    if (p.failed || p.done) break;
  }
  return { r, p, stoppedAt };
}

/** A parser of `role` that halts itself from its head callback, and the recorder behind it. */
function haltingOnHead(role: 'request' | 'response'): { r: Recorder; p: Http1Parser } {
  const r = new Recorder();
  const p = new Http1Parser(
    {
      onMessageHead: (h) => {
        r.onMessageHead(h);
        p.halt();
      },
      onMessageBody: (b, s, e) => r.onMessageBody(b, s, e),
      onMessageComplete: () => r.onMessageComplete(),
    },
    role,
  );
  r.parser = p;
  return { r, p };
}

/** A response, fed in the given pieces. */
const parse = (pieces: Buffer[], head = false) => run('response', pieces, head);

/** Every way to cut `wire` in two, plus byte by byte. */
function splits(wire: string): Buffer[][] {
  const b = Buffer.from(wire, 'latin1');
  const out: Buffer[][] = [[b]];
  for (let i = 1; i < b.length; i++) out.push([b.subarray(0, i), b.subarray(i)]);
  out.push(bytes(wire));
  return out;
}

/** `wire` one byte per Buffer. */
function bytes(wire: string): Buffer[] {
  return [...Buffer.from(wire, 'latin1')].map((x) => Buffer.from([x]));
}

const FIXED =
  'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 11\r\nSet-Cookie: a=1\r\nX-Multi: one\r\nx-multi:  two  \r\n' +
  'Set-Cookie: b=2\r\nX-Case: MiXeD Value\r\n\r\nhello world';

describe('Http1Parser, response role', () => {
  it('parses a Content-Length response cut at every byte boundary, names lower-cased, values as sent', () => {
    for (const pieces of splits(FIXED)) {
      const { r, p } = parse(pieces);
      assert.equal(p.done, true);
      assert.equal(r.completions, 1);
      assert.equal(r.heads.length, 1);
      assert.equal(r.heads[0]?.status, 200);
      assert.deepEqual(r.heads[0]?.headers, {
        'content-type': 'text/plain',
        'content-length': '11',
        'set-cookie': ['a=1', 'b=2'],
        'x-multi': ['one', 'two'],
        'x-case': 'MiXeD Value',
      });
      assert.equal(r.text, 'hello world');
      assert.equal(p.keepAlive, true);
    }
  });

  it('keeps a single Set-Cookie as an array and collapses identical repeated Content-Length', () => {
    const { r, p } = parse([Buffer.from('HTTP/1.1 200 OK\r\nset-cookie: s=1\r\ncontent-length: 2\r\nContent-Length: 2\r\n\r\nok')]);
    assert.equal(p.done, true);
    assert.deepEqual(r.heads[0]?.headers, { 'set-cookie': ['s=1'], 'content-length': '2' });
    assert.equal(r.text, 'ok');
  });

  it('treats header names Object.prototype has as ordinary names, and drops __proto__', () => {
    const wire =
      'HTTP/1.1 200 OK\r\nConstructor: a\r\nconstructor: b\r\ntoString: c\r\n__proto__: d\r\n__proto__: e\r\nContent-Length: 0\r\n\r\n';
    const { r, p } = parse([Buffer.from(wire)]);
    assert.equal(p.done, true);
    const h = r.heads[0]?.headers as Http1Headers;
    assert.deepEqual(h.constructor, ['a', 'b']);
    assert.equal(h.tostring, 'c');
    assert.equal(Object.hasOwn(h, '__proto__'), false);
    assert.equal(Object.getPrototypeOf({}), Object.prototype, 'no prototype was touched');
  });

  it('decodes a chunked body with extensions, dropping trailers, cut at every byte boundary', () => {
    const wire =
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n1\r\n \r\nA ;x\r\n0123456789\r\n0\r\nX-Trailer: t\r\n\r\n';
    for (const pieces of splits(wire)) {
      const { r, p, stoppedAt } = parse(pieces);
      assert.equal(p.done, true, 'done');
      assert.equal(r.completions, 1);
      assert.equal(r.text, 'hello 0123456789');
      assert.equal(r.heads[0]?.headers['transfer-encoding'], 'chunked');
      assert.equal(stoppedAt, (pieces[pieces.length - 1] as Buffer).length);
    }
  });

  it('reads a body without length until the connection closes, and does not keep the connection', () => {
    for (const pieces of splits('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil close')) {
      const { r, p } = parse(pieces);
      assert.equal(p.done, false);
      assert.equal(p.untilClose, true);
      assert.equal(p.finishOnClose(), true);
      assert.equal(r.completions, 1);
      assert.equal(r.text, 'until close');
      assert.equal(p.keepAlive, false);
    }
    // A response still waiting for its head is not completed by a close.
    const { p } = parse([Buffer.from('HTTP/1.1 200 OK\r\nContent-Le')]);
    assert.equal(p.finishOnClose(), false);
  });

  it('skips 100 Continue and 103 Early Hints and reports only the final response', () => {
    const wire =
      'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 1\r\n\r\nx';
    for (const pieces of splits(wire)) {
      const { r, p } = parse(pieces);
      assert.equal(p.done, true);
      assert.deepEqual(
        r.heads.map((h) => h.status),
        [201],
      );
      assert.equal(r.heads[0]?.headers.link, undefined);
      assert.equal(r.text, 'x');
    }
  });

  it('gives HEAD, 204 and 304 answers no body whatever their headers say, and stops right after the head', () => {
    const head = 'HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n';
    const a = parse([Buffer.from(`${head}NEXT`)], true);
    assert.equal(a.p.done, true);
    assert.equal(a.r.text, '');
    assert.equal(a.stoppedAt, head.length, 'the bytes after the head are not this response');
    for (const status of ['204 No Content', '304 Not Modified']) {
      const b = parse([Buffer.from(`HTTP/1.1 ${status}\r\nContent-Length: 10\r\n\r\n`)]);
      assert.equal(b.p.done, true);
      assert.equal(b.r.completions, 1);
    }
  });

  it('reports where a response ends when more bytes follow it', () => {
    const first = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok';
    const { p, stoppedAt } = parse([Buffer.from(`${first}HTTP/1.1 200 OK\r\n`)]);
    assert.equal(p.done, true);
    assert.equal(stoppedAt, first.length);
  });

  it('decides keep-alive from the version and Connection', () => {
    const ka = (wire: string): boolean => parse([Buffer.from(wire)]).p.keepAlive;
    assert.equal(ka('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'), true);
    assert.equal(ka('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n'), false);
    assert.equal(ka('HTTP/1.1 200 OK\r\nConnection: x-a, Close\r\nContent-Length: 0\r\n\r\n'), false);
    assert.equal(ka('HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n'), false);
    assert.equal(ka('HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n'), true);
  });

  it('refuses ambiguous framing, malformed heads and bad chunks', () => {
    const cases: [string, RegExp][] = [
      ['HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n', /Content-Length together with Transfer-Encoding/],
      ['HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n', /invalid Content-Length/],
      ['HTTP/1.1 200 OK\r\nContent-Length: 3x\r\n\r\n', /invalid Content-Length/],
      ['HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n', /invalid Content-Length/],
      ['HTTP/2 200 OK\r\n\r\n', /malformed status line/],
      ['HTTP/1.1 20 OK\r\n\r\n', /malformed status line/],
      ['HTTP/1.1 2x0 OK\r\n\r\n', /malformed status code/],
      ['HTTP/1.1 099 Low\r\n\r\n', /malformed status code/],
      ['ICY 200 OK\r\n\r\n', /malformed status line/],
      ['HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n', /101/],
      ['HTTP/1.1 200 OK\r\nno colon here\r\n\r\n', /malformed header line/],
      ['HTTP/1.1 200 OK\r\nbad name: v\r\n\r\n', /malformed header name/],
      ['HTTP/1.1 200 OK\r\nx: a\x00b\r\n\r\n', /invalid character/],
      ['HTTP/1.1 200 OK\r\nx: a\r\n folded\r\n\r\n', /folding/],
      ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', /malformed chunk size/],
      ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5 x\r\nhello\r\n', /malformed chunk size/],
      ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffff\r\n', /chunk size too large/],
      ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhello\r\n', /chunk data longer than its size/],
      ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nbad trailer\r\n\r\n', /malformed trailer/],
    ];
    for (const [wire, error] of cases) {
      for (const pieces of [[Buffer.from(wire, 'latin1')], [...Buffer.from(wire, 'latin1')].map((x) => Buffer.from([x]))]) {
        const { p } = parse(pieces);
        assert.equal(p.failed, true, `${JSON.stringify(wire)} should fail`);
        assert.match(p.error, error, JSON.stringify(wire));
        assert.equal(p.keepAlive, false);
        assert.equal(p.errorStatus, 502, 'what a proxy answers for a response it cannot parse');
      }
    }
  });

  it('response splitting through Connection: content-length is refused as a bad gateway (502)', () => {
    // Passed on without its length, this body would be read by the client as a second response.
    const inner = 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nforged';
    const wire = `HTTP/1.1 200 OK\r\nContent-Length: ${inner.length}\r\nConnection: Content-Length\r\n\r\n${inner}`;
    for (const pieces of splits(wire)) {
      const { r, p } = parse(pieces);
      assert.equal(p.failed, true);
      assert.equal(p.errorStatus, 502);
      assert.equal(r.heads.length, 0);
    }
    assert.equal(
      parse([Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: transfer-encoding\r\n\r\n0\r\n\r\n')]).p.failed,
      true,
    );
    // A response may name upgrade without Upgrade (some servers do); nothing frames by it.
    assert.equal(parse([Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: upgrade\r\n\r\n')]).p.done, true);
  });

  it('refuses a head longer than 64 KiB, even one that never ends a line', () => {
    const big = `HTTP/1.1 200 OK\r\n${`x-filler: ${'a'.repeat(990)}\r\n`.repeat(Math.ceil(MAX_RESPONSE_HEAD_BYTES / 1000) + 1)}\r\n`;
    assert.match(parse([Buffer.from(big)]).p.error, /longer than 65536 bytes/);
    const endless = Buffer.alloc(MAX_RESPONSE_HEAD_BYTES + 10, 'a');
    const r = parse([Buffer.from('HTTP/1.1 200 OK\r\nx: '), endless.subarray(0, 40_000), endless.subarray(40_000)]);
    assert.match(r.p.error, /longer than 65536 bytes/);
  });

  it('counts a head cut into many pieces once: 40 KiB fed byte by byte is within the limit', () => {
    const wire = `HTTP/1.1 200 OK\r\n${`x-filler: ${'a'.repeat(990)}\r\n`.repeat(40)}Content-Length: 0\r\n\r\n`;
    const { p } = parse(bytes(wire));
    assert.equal(p.failed, false, p.error);
    assert.equal(p.done, true);
  });

  it('does not count a long chunked body against the head limit', () => {
    const chunks = 'a\r\n0123456789\r\n'.repeat(10_000);
    const { r, p } = parse([Buffer.from(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${chunks}0\r\n\r\n`)]);
    assert.equal(p.failed, false, p.error);
    assert.equal(p.done, true);
    assert.equal(Buffer.concat(r.body).length, 100_000);
  });

  it('stops at once when halted from a callback', () => {
    const { r, p } = haltingOnHead('response');
    p.reset(false);
    p.execute(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'));
    assert.equal(r.heads.length, 1);
    assert.equal(r.completions, 0, 'a halted response never completes');
    assert.equal(p.done, false);
  });
});

/** A request, fed in the given pieces. */
const request = (pieces: Buffer[]) => run('request', pieces);
/** A request sent whole. */
const requestOf = (wire: string) => run('request', [Buffer.from(wire, 'latin1')]);

describe('Http1Parser, response role, on damaged input', () => {
  it('survives random mutations of a valid response at any cut: more, done or failed, never a throw', () => {
    // A small linear congruential generator: this part imports nothing of ours, tests included.
    let seed = 7;
    const int = (n: number): number => {
      seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0;
      return seed % n;
    };
    const valid = Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;a=b\r\nabc\r\n0\r\nT: 1\r\n\r\n');
    for (let round = 0; round < 2000; round++) {
      const b = Buffer.from(valid);
      const flips = 1 + int(4);
      for (let k = 0; k < flips; k++) b[int(b.length)] = int(256);
      const cut = int(b.length);
      const { p } = parse([b.subarray(0, cut), b.subarray(cut)]);
      // Whatever the damage, a failure is a bad gateway with a reason, never an exception.
      if (p.failed) {
        assert.equal(p.errorStatus, 502);
        assert.notEqual(p.error, '');
      }
    }
  });
});

describe('Http1Parser, request role', () => {
  const GET = 'GET /a/b?c=d%20e HTTP/1.1\r\nHost: example.com:8080\r\nUser-Agent: t\r\nAccept: */*\r\nX-Multi: 1\r\nx-multi: 2\r\n\r\n';

  it('parses a GET cut at every byte boundary: method, target, headers, done right after the head', () => {
    for (const pieces of splits(GET)) {
      const { r, p, stoppedAt } = request(pieces);
      assert.equal(p.failed, false, p.error);
      assert.equal(p.done, true);
      assert.equal(r.completions, 1);
      assert.deepEqual(r.heads, [
        {
          status: 0,
          method: 'GET',
          target: '/a/b?c=d%20e',
          http10: false,
          keepAlive: true,
          expectContinue: false,
          hasBody: false,
          headers: { host: 'example.com:8080', 'user-agent': 't', accept: '*/*', 'x-multi': ['1', '2'] },
        },
      ]);
      assert.equal(stoppedAt, (pieces[pieces.length - 1] as Buffer).length);
    }
  });

  it('keeps methods as sent (case-sensitive, extension methods) and any request-target form', () => {
    for (const [line, method, target] of [
      ['get / HTTP/1.1', 'get', '/'],
      ['PURGE /x HTTP/1.1', 'PURGE', '/x'],
      ['OPTIONS * HTTP/1.1', 'OPTIONS', '*'],
      ['CONNECT example.com:443 HTTP/1.1', 'CONNECT', 'example.com:443'],
      ['GET http://example.com/p?q HTTP/1.1', 'GET', 'http://example.com/p?q'],
    ] as const) {
      const { r, p } = requestOf(`${line}\r\nHost: example.com\r\n\r\n`);
      assert.equal(p.done, true, p.error);
      assert.equal(r.heads[0]?.method, method);
      assert.equal(r.heads[0]?.target, target);
    }
  });

  it('reads a Content-Length body cut at every byte boundary and stops just past it', () => {
    const wire = 'POST /submit HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\nContent-Type: text/plain\r\n\r\nhello world';
    for (const pieces of splits(`${wire}\r\n`)) {
      const { r, p } = request(pieces);
      assert.equal(p.done, true, p.error);
      assert.equal(r.heads[0]?.hasBody, true);
      assert.equal(r.text, 'hello world');
      assert.equal(r.completions, 1);
    }
    const { p, stoppedAt } = requestOf(`${wire}GET`);
    assert.equal(p.done, true);
    assert.equal(stoppedAt, wire.length);
  });

  it('decodes a chunked body cut at every byte boundary, extensions and trailers dropped', () => {
    const wire =
      'POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: Chunked\r\n\r\n5;ext=1\r\nhello\r\n1\r\n \r\nA ;x\r\n0123456789\r\n0\r\nX-Trailer: t\r\n\r\n';
    for (const pieces of splits(wire)) {
      const { r, p, stoppedAt } = request(pieces);
      assert.equal(p.done, true, p.error);
      assert.equal(r.heads[0]?.hasBody, true);
      assert.equal(r.heads[0]?.headers['transfer-encoding'], 'Chunked');
      assert.equal(r.text, 'hello 0123456789');
      assert.equal(r.completions, 1);
      assert.equal(stoppedAt, (pieces[pieces.length - 1] as Buffer).length);
    }
  });

  it('parses pipelined requests from one buffer: execute stops past each, reset readies the next', () => {
    const first = 'POST /1 HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc';
    // The CRLF a client sends after a POST body comes before the next request line: ignored.
    const second = '\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\n';
    const third = 'DELETE /3 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n';
    const buf = Buffer.from(first + second + third);
    const r = new Recorder();
    const p = new Http1Parser(r, 'request');
    r.parser = p;
    const ends: number[] = [];
    let at = 0;
    while (at < buf.length) {
      at = p.execute(buf, at);
      assert.equal(p.done, true, p.error);
      ends.push(at);
      p.reset();
    }
    assert.deepEqual(ends, [first.length, first.length + second.length, buf.length]);
    assert.deepEqual(
      r.heads.map((h) => [h.method, h.target, h.keepAlive]),
      [
        ['POST', '/1', true],
        ['GET', '/2', true],
        ['DELETE', '/3', false],
      ],
    );
    assert.equal(r.text, 'abc');
    assert.equal(r.completions, 3);
  });

  it('ignores empty lines (CRLF or LF) before a request line, and stays idle through them', () => {
    const r = new Recorder();
    const p = new Http1Parser(r, 'request');
    r.parser = p;
    assert.equal(p.idle, true, 'a new connection is idle');
    p.execute(Buffer.from('\r\n\n\r'));
    assert.equal(p.idle, true, 'empty lines are not a request');
    assert.equal(p.awaitingHead, true);
    p.execute(Buffer.from('\nG'));
    assert.equal(p.idle, false, 'the first byte of a request line ends idleness');
    p.execute(Buffer.from('ET / HTTP/1.1\r\nHost: h\r\n\r\n'));
    assert.equal(p.done, true, p.error);
    assert.equal(p.idle, false);
    p.reset();
    assert.equal(p.idle, true);
  });

  it('counts empty lines toward the head limit: an endless stream of CRLFs gets 431', () => {
    const r = new Recorder();
    const p = new Http1Parser(r, 'request');
    r.parser = p;
    const crlfs = Buffer.from('\r\n'.repeat(1024));
    for (let n = 0; n < 100 && !p.failed; n++) p.execute(crlfs);
    assert.equal(p.failed, true);
    assert.equal(p.errorStatus, 431);
  });

  it('accepts 100 header fields and answers 431 to 101, repeats counted (a response with 101 fails as 502)', () => {
    const fields = (n: number): string => 'x-a: 1\r\n'.repeat(n - 1);
    const ok = requestOf(`GET / HTTP/1.1\r\nHost: x\r\n${fields(MAX_HEADER_FIELDS)}\r\n`);
    assert.equal(ok.p.failed, false, ok.p.error);
    assert.equal((ok.r.heads[0]?.headers['x-a'] as string[] | undefined)?.length, MAX_HEADER_FIELDS - 1);
    const over = requestOf(`GET / HTTP/1.1\r\nHost: x\r\n${fields(MAX_HEADER_FIELDS + 1)}\r\n`);
    assert.equal(over.p.errorStatus, 431);
    assert.match(over.p.error, /more than 100 header fields/);
    const response = parse([Buffer.from(`HTTP/1.1 200 OK\r\n${fields(MAX_HEADER_FIELDS + 2)}\r\n`)]);
    assert.equal(response.p.errorStatus, 502);
  });

  it('accepts a head of exactly 16 KiB, whole or byte by byte, and answers 431 one byte over', () => {
    const headOf = (size: number): string => {
      const start = 'GET / HTTP/1.1\r\nHost: h\r\nx-pad: ';
      return `${start}${'a'.repeat(size - start.length - 4)}\r\n\r\n`;
    };
    const exact = headOf(MAX_REQUEST_HEAD_BYTES);
    assert.equal(exact.length, MAX_REQUEST_HEAD_BYTES);
    for (const pieces of [[Buffer.from(exact)], bytes(exact)]) {
      const { p } = request(pieces);
      assert.equal(p.done, true, p.error);
    }
    // Leading empty lines are part of the head.
    const shifted = request([Buffer.from(`\r\n${exact}`)]);
    assert.equal(shifted.p.errorStatus, 431);
    const over = headOf(MAX_REQUEST_HEAD_BYTES + 1);
    for (const pieces of [[Buffer.from(over)], bytes(over)]) {
      const { p } = request(pieces);
      assert.equal(p.failed, true);
      assert.equal(p.errorStatus, 431);
      assert.match(p.error, /request head longer than 16384 bytes/);
    }
    // A line that never ends is refused once it passes the limit, not buffered forever.
    const endless = request([Buffer.from('GET /'), Buffer.alloc(MAX_REQUEST_HEAD_BYTES, 'a')]);
    assert.equal(endless.p.errorStatus, 431);
  });

  it('decides keep-alive: HTTP/1.1 unless Connection: close, HTTP/1.0 only with keep-alive', () => {
    const ka = (wire: string): [boolean, boolean] => {
      const { r, p } = requestOf(wire);
      assert.equal(p.done, true, p.error);
      return [p.keepAlive, r.heads[0]?.http10 as boolean];
    };
    assert.deepEqual(ka('GET / HTTP/1.1\r\nHost: h\r\n\r\n'), [true, false]);
    assert.deepEqual(ka('GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n'), [false, false]);
    assert.deepEqual(ka('GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade, CLOSE\r\n\r\n'), [false, false]);
    assert.deepEqual(ka('GET / HTTP/1.0\r\n\r\n'), [false, true]);
    assert.deepEqual(ka('GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n'), [true, true]);
    assert.deepEqual(ka('GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n'), [false, true]);
  });

  it('reports Expect: 100-continue in any case, and only that expectation', () => {
    const expect = (value: string): boolean =>
      requestOf(`PUT /x HTTP/1.1\r\nHost: h\r\nExpect: ${value}\r\nContent-Length: 1\r\n\r\nx`).r.heads[0]?.expectContinue as boolean;
    assert.equal(expect('100-continue'), true);
    assert.equal(expect('100-Continue'), true);
    assert.equal(expect('200-ok'), false);
    assert.equal(requestOf(GET).r.heads[0]?.expectContinue, false);
  });

  it('requires one valid Host from HTTP/1.1, and none from HTTP/1.0', () => {
    assert.equal(requestOf('GET / HTTP/1.0\r\n\r\n').p.done, true);
    assert.equal(requestOf('GET / HTTP/1.1\r\nHost:\r\n\r\n').p.done, true, 'an empty Host is valid');
    assert.equal(requestOf('GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n').p.done, true);
  });

  it('answers each malformed request with its status', () => {
    const cases: [string, number, RegExp][] = [
      ['GET / HTTP/1.1 \r\nHost: h\r\n\r\n', 400, /malformed request line/],
      ['GET  / HTTP/1.1\r\nHost: h\r\n\r\n', 400, /invalid request-target/],
      ['GET /a b HTTP/1.1\r\nHost: h\r\n\r\n', 400, /invalid request-target/],
      ['GET /\xe9 HTTP/1.1\r\nHost: h\r\n\r\n', 400, /invalid request-target/],
      ['GET /\x7f HTTP/1.1\r\nHost: h\r\n\r\n', 400, /invalid request-target/],
      ['G(T / HTTP/1.1\r\nHost: h\r\n\r\n', 400, /malformed request line/],
      ['GET / http/1.1\r\nHost: h\r\n\r\n', 400, /malformed request line/],
      ['GET / HTTP/1\r\nHost: h\r\n\r\n', 400, /malformed request line/],
      ['GET /\r\n\r\n', 400, /malformed request line/],
      ['\rGET / HTTP/1.1\r\nHost: h\r\n\r\n', 400, /malformed request line/],
      ['GET / HTTP/2.0\r\nHost: h\r\n\r\n', 505, /unsupported HTTP version/],
      ['GET / HTTP/1.2\r\nHost: h\r\n\r\n', 505, /unsupported HTTP version/],
      ['GET / HTTP/0.9\r\nHost: h\r\n\r\n', 505, /unsupported HTTP version/],
      ['GET / HTTP/1.1\r\n\r\n', 400, /without Host/],
      ['GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n', 400, /more than one Host/],
      ['GET / HTTP/1.0\r\nHost: a\r\nhost: b\r\n\r\n', 400, /more than one Host/],
      ['GET / HTTP/1.1\r\nHost: a b\r\n\r\n', 400, /invalid Host/],
      ['GET / HTTP/1.1\r\nHost: a/b\r\n\r\n', 400, /invalid Host/],
      ['GET / HTTP/1.1\r\nHost: a:80x\r\n\r\n', 400, /invalid Host/],
      ['GET / HTTP/1.1\r\nHost: h\r\nno colon\r\n\r\n', 400, /malformed header line/],
      ['GET / HTTP/1.1\r\nHost: h\r\nbad name: v\r\n\r\n', 400, /malformed header name/],
      ['GET / HTTP/1.1\r\nHost: h\r\nx: a\x00b\r\n\r\n', 400, /invalid character/],
      ['GET / HTTP/1.1\r\nHost: h\r\nx: a\r\n folded\r\n\r\n', 400, /folding/],
      ['POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n', 400, /together/],
      ['POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n', 400, /together/],
      ['POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n', 400, /invalid Content-Length/],
      ['POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3, 3\r\n\r\n', 400, /invalid Content-Length/],
      ['POST / HTTP/1.1\r\nHost: h\r\nContent-Length: +3\r\n\r\n', 400, /invalid Content-Length/],
      ['POST / HTTP/1.1\r\nHost: h\r\nContent-Length:\r\n\r\n', 400, /invalid Content-Length/],
      ['POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n', 501, /unsupported transfer coding/],
      ['POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, gzip\r\n\r\n', 501, /unsupported transfer coding/],
      ['POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, chunked\r\n\r\n', 400, /must end in chunked/],
      ['POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n', 400, /must end in chunked/],
      ['POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: , chunked\r\n\r\n', 400, /empty transfer coding/],
      ['POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: foo\r\n\r\n', 501, /unsupported transfer coding/],
      ['POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: foo, chunked\r\n\r\n', 501, /unsupported transfer coding/],
      ['POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n', 400, /HTTP\/1.0/],
      ['POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', 400, /malformed chunk size/],
      ['POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffff\r\n', 400, /chunk size too large/],
      ['POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhello\r\n', 400, /chunk data longer/],
      ['POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nbad trailer\r\n\r\n', 400, /malformed trailer/],
    ];
    for (const [wire, status, error] of cases) {
      for (const pieces of [[Buffer.from(wire, 'latin1')], bytes(wire)]) {
        const { r, p } = request(pieces);
        assert.equal(p.failed, true, `${JSON.stringify(wire)} should fail`);
        assert.equal(p.errorStatus, status, JSON.stringify(wire));
        assert.match(p.error, error, JSON.stringify(wire));
        assert.equal(p.keepAlive, false);
        assert.equal(r.completions, 0);
      }
    }
  });

  it('answers 400 to a chunk-size line longer than the limit, not 431', () => {
    const wire = `POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n1;${'e'.repeat(MAX_REQUEST_HEAD_BYTES)}\r\n`;
    const { p } = requestOf(wire);
    assert.equal(p.errorStatus, 400);
    assert.match(p.error, /chunk line or trailers longer/);
  });

  it('never reads a request body until close: a request without length ends with its head', () => {
    const { r, p, stoppedAt } = requestOf('POST / HTTP/1.1\r\nHost: h\r\n\r\nnot a body');
    assert.equal(p.done, true);
    assert.equal(p.untilClose, false);
    assert.equal(p.finishOnClose(), false);
    assert.equal(r.heads[0]?.hasBody, false);
    assert.equal(stoppedAt, 'POST / HTTP/1.1\r\nHost: h\r\n\r\n'.length);
    const zero = requestOf('POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n');
    assert.equal(zero.p.done, true);
    assert.equal(zero.r.heads[0]?.hasBody, false);
  });

  it('request smuggling through Connection: content-length (or transfer-encoding, host, upgrade alone) is refused with 400', () => {
    // The audit's case: the length is named in Connection, so a proxy removing the fields named
    // there would forward the body without framing, and the backend would read it as a request.
    const smuggle =
      'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 35\r\nConnection: content-length\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n';
    for (const pieces of [[Buffer.from(smuggle, 'latin1')], bytes(smuggle)]) {
      const { r, p } = run('request', pieces);
      assert.equal(p.failed, true);
      assert.equal(p.errorStatus, 400);
      assert.match(p.error, /Connection names content-length/);
      assert.equal(r.heads.length, 0, 'no head is handed on');
    }
    const refused = (connection: string, extra = ''): string => {
      const { p } = requestOf(
        `POST / HTTP/1.1\r\nHost: x\r\n${extra}Transfer-Encoding: chunked\r\nConnection: ${connection}\r\n\r\n0\r\n\r\n`,
      );
      return p.failed ? `${p.errorStatus} ${p.error}` : 'accepted';
    };
    assert.match(refused('Transfer-Encoding'), /^400 Connection names transfer-encoding/);
    assert.match(refused('keep-alive, HOST'), /^400 Connection names host/);
    assert.match(refused('close, upgrade'), /^400 Connection names upgrade/);
    // Upgrade named with an Upgrade field is a real (if unsupported) upgrade request, not a trick.
    assert.equal(refused('upgrade', 'Upgrade: websocket\r\n'), 'accepted');
    assert.equal(refused('close, x-custom'), 'accepted');
  });

  it('a coding dropped on the way (Transfer-Encoding: gzip, chunked) is refused with 501, both ways', () => {
    // The body is passed on re-chunked: the gzip coding would be lost and the backend handed
    // compressed bytes as if they were the content.
    for (const te of ['gzip, chunked', 'deflate,chunked', 'x-gzip, chunked', 'chunked\r\nTransfer-Encoding: chunked, gzip']) {
      const { r, p } = requestOf(`POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: ${te}\r\n\r\n5\r\nhello\r\n0\r\n\r\n`);
      assert.equal(p.errorStatus, 501, te);
      assert.match(p.error, /unsupported transfer coding/);
      assert.equal(r.heads.length, 0);
    }
    const response = parse([Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n')]);
    assert.equal(response.p.errorStatus, 502);
    assert.equal(parse([Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nhello')]).p.failed, true);
  });

  it('Transfer-Encoding: chunked with a tab (llhttp reads an unknown coding, then the body until close) is refused, both ways', () => {
    for (const te of ['chunked\t', '\tchunked', 'gzip,\tchunked']) {
      const { p } = requestOf(`POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: ${te}\r\n\r\n2\r\nok\r\n0\r\n\r\n`);
      assert.equal(p.errorStatus, 400, JSON.stringify(te));
      assert.match(p.error, /a tab in Transfer-Encoding/);
    }
    const response = parse([Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\t\r\n\r\n2\r\nOK\r\n0\r\n\r\n')]);
    assert.equal(response.p.errorStatus, 502);
  });

  it('reports the Content-Length the body is read by, and -1 for chunked or none', () => {
    assert.equal(requestOf('POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok').p.contentLength, 2);
    assert.equal(requestOf('POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n').p.contentLength, -1);
    assert.equal(requestOf('GET / HTTP/1.1\r\nHost: h\r\n\r\n').p.contentLength, -1);
  });

  it('stops at once when halted from the head callback, and resets cleanly after a failure', () => {
    const { r, p } = haltingOnHead('request');
    const wire = Buffer.from('POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nok');
    assert.equal(p.execute(wire), wire.length - 2);
    assert.equal(r.completions, 0);
    assert.equal(r.body.length, 0);
    p.reset();
    p.execute(Buffer.from('BAD\r\n'));
    assert.equal(p.errorStatus, 400);
    p.reset();
    assert.equal(p.errorStatus, 0);
    assert.equal(p.error, '');
  });
});
