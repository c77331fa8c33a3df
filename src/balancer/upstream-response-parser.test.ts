import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  MAX_RESPONSE_HEAD_BYTES,
  type ResponseParserHandler,
  type UpstreamHeaders,
  UpstreamResponseParser,
} from './upstream-response-parser.ts';

class Recorder implements ResponseParserHandler {
  heads: { status: number; headers: UpstreamHeaders }[] = [];
  body: Buffer[] = [];
  completions = 0;
  onResponseHead(status: number, headers: UpstreamHeaders): void {
    this.heads.push({ status, headers: { ...headers } });
  }
  onResponseBody(buf: Buffer, start: number, end: number): void {
    // Copied: the slice is only valid during the call.
    this.body.push(Buffer.from(buf.subarray(start, end)));
  }
  onResponseComplete(): void {
    this.completions++;
  }
  get text(): string {
    return Buffer.concat(this.body).toString('latin1');
  }
}

/** Feeds `wire` in the given pieces; returns the recorder, the parser and where the last piece stopped. */
function parse(pieces: Buffer[], head = false): { r: Recorder; p: UpstreamResponseParser; stoppedAt: number } {
  const r = new Recorder();
  const p = new UpstreamResponseParser(r);
  p.reset(head);
  let stoppedAt = 0;
  for (const piece of pieces) {
    stoppedAt = p.execute(piece);
    if (p.failed || p.done) break;
  }
  return { r, p, stoppedAt };
}

/** Every way to cut `wire` in two, plus byte by byte. */
function splits(wire: string): Buffer[][] {
  const b = Buffer.from(wire, 'latin1');
  const out: Buffer[][] = [[b]];
  for (let i = 1; i < b.length; i++) out.push([b.subarray(0, i), b.subarray(i)]);
  out.push([...b].map((x) => Buffer.from([x])));
  return out;
}

const FIXED =
  'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 11\r\nSet-Cookie: a=1\r\nX-Multi: one\r\nx-multi:  two  \r\n' +
  'Set-Cookie: b=2\r\nX-Case: MiXeD Value\r\n\r\nhello world';

describe('UpstreamResponseParser', () => {
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
    const h = r.heads[0]?.headers as UpstreamHeaders;
    assert.deepEqual(h.constructor, ['a', 'b']);
    assert.equal(h.tostring, 'c');
    assert.equal(Object.hasOwn(h, '__proto__'), false);
    assert.equal(Object.getPrototypeOf({}), Object.prototype, 'no prototype was touched');
  });

  it('decodes a chunked body with extensions, dropping trailers, cut at every byte boundary', () => {
    const wire =
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n1\r\n \r\nA \r\n0123456789\r\n0\r\nX-Trailer: t\r\n\r\n';
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
      }
    }
  });

  it('refuses a head longer than 64 KiB, even one that never ends a line', () => {
    const big = `HTTP/1.1 200 OK\r\n${'x-filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n'.repeat(MAX_RESPONSE_HEAD_BYTES / 50)}\r\n`;
    assert.match(parse([Buffer.from(big)]).p.error, /longer than 65536 bytes/);
    const endless = Buffer.alloc(MAX_RESPONSE_HEAD_BYTES + 10, 'a');
    const r = parse([Buffer.from('HTTP/1.1 200 OK\r\nx: '), endless.subarray(0, 40_000), endless.subarray(40_000)]);
    assert.match(r.p.error, /longer than 65536 bytes/);
  });

  it('does not count a long chunked body against the head limit', () => {
    const chunks = 'a\r\n0123456789\r\n'.repeat(10_000);
    const { r, p } = parse([Buffer.from(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${chunks}0\r\n\r\n`)]);
    assert.equal(p.failed, false, p.error);
    assert.equal(p.done, true);
    assert.equal(Buffer.concat(r.body).length, 100_000);
  });

  it('stops at once when halted from a callback', () => {
    const r = new Recorder();
    const p = new UpstreamResponseParser({
      onResponseHead: (s, h) => {
        r.onResponseHead(s, h);
        p.halt();
      },
      onResponseBody: (b, s, e) => r.onResponseBody(b, s, e),
      onResponseComplete: () => r.onResponseComplete(),
    });
    p.reset(false);
    p.execute(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'));
    assert.equal(r.heads.length, 1);
    assert.equal(r.completions, 0, 'a halted response never completes');
    assert.equal(p.done, false);
  });
});
