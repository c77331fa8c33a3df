import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SeededRandom } from '../core/index.ts';
import { HttpResponseParser } from './http-response-parser.ts';

interface Outcome {
  state: string;
  status: number;
  keepAlive: boolean;
  /** Bytes left over after the final response. */
  rest: number;
  error: string;
}

/** Feeds `text` in the given pieces; stops at the first non-`more` state like a connection does. */
function feed(pieces: Buffer[], head = false): Outcome {
  const p = new HttpResponseParser();
  p.reset(head);
  let rest = 0;
  for (const piece of pieces) {
    const at = p.execute(piece);
    if (p.state !== 'more') {
      rest = piece.length - at;
      break;
    }
  }
  return { state: p.state, status: p.status, keepAlive: p.keepAlive, rest, error: p.error };
}

/** The same response fed whole, split once at every byte boundary, and one byte at a time. */
function everySplit(text: string, head = false): Outcome[] {
  const b = Buffer.from(text, 'latin1');
  const outcomes = [feed([b], head)];
  for (let i = 1; i < b.length; i++) outcomes.push(feed([b.subarray(0, i), b.subarray(i)], head));
  outcomes.push(
    feed(
      [...b].map((x) => Buffer.from([x])),
      head,
    ),
  );
  return outcomes;
}

function assertAll(text: string, expected: Partial<Outcome>, head = false): void {
  for (const [i, o] of everySplit(text, head).entries()) {
    for (const [k, v] of Object.entries(expected)) assert.equal(o[k as keyof Outcome], v, `split ${i}: ${k} (${JSON.stringify(o)})`);
  }
}

describe('HttpResponseParser', () => {
  it('reads a Content-Length response split at every byte boundary', () => {
    const text =
      'HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: text/plain\r\ncontent-length: 10\r\nConnection: keep-alive\r\n\r\n0123456789';
    assertAll(text, { state: 'done', status: 200, keepAlive: true, rest: 0 });
  });

  it('reads chunked bodies with extensions and trailers at every byte boundary', () => {
    const text =
      'HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n' +
      '4;name=value;flag\r\nWiki\r\n' +
      '5 ; x="quoted"\r\npedia\r\n' +
      'E\r\n in\r\n\r\nchunks.\r\n' +
      '0;last\r\nExpires: never\r\nX-Trailer: yes\r\n\r\n';
    assertAll(text, { state: 'done', status: 404, keepAlive: true, rest: 0 });
  });

  it('bounds each chunk-size line, not their sum: a body of 30,000 small chunks parses', () => {
    const chunks = '1\r\nx\r\n'.repeat(30_000);
    const o = feed([Buffer.from(`HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n${chunks}0\r\n\r\n`)]);
    assert.equal(o.state, 'done', o.error);
    assert.equal(o.rest, 0);
  });

  it('counts a head cut into many pieces once: 40 KiB fed byte by byte is within the 64 KiB limit', () => {
    const head = `HTTP/1.1 200 OK\r\n${`x-filler: ${'a'.repeat(990)}\r\n`.repeat(40)}content-length: 2\r\n\r\nok`;
    const b = Buffer.from(head, 'latin1');
    const pieces: Buffer[] = [];
    for (let i = 0; i < b.length; i++) pieces.push(b.subarray(i, i + 1));
    const o = feed(pieces);
    assert.equal(o.error, '');
    assert.equal(o.state, 'done');
  });

  it('stops right after the final response and says how much is left', () => {
    const o = feed([Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\n')]);
    assert.equal(o.state, 'done');
    assert.equal(o.rest, 'HTTP/1.1 200 OK\r\n'.length);
  });

  it('skips 1xx interim responses', () => {
    const text =
      'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n' +
      'HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n';
    assertAll(text, { state: 'done', status: 201, rest: 0 });
  });

  it('honours Connection: close and HTTP/1.0 keep-alive rules', () => {
    assertAll('HTTP/1.1 200 OK\r\nConnection: Upgrade, close\r\nContent-Length: 0\r\n\r\n', { state: 'done', keepAlive: false });
    assertAll('HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx', { state: 'done', keepAlive: false });
    assertAll('HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 1\r\n\r\nx', { state: 'done', keepAlive: true });
  });

  it('reads a body without length until the connection closes', () => {
    const p = new HttpResponseParser();
    p.reset(false);
    p.execute(Buffer.from('HTTP/1.1 200 OK\r\n\r\nsome body'));
    assert.equal(p.state, 'more');
    assert.equal(p.keepAlive, false);
    assert.equal(p.finishOnClose(), true);
    assert.equal(p.state, 'done');
    // A close in the middle of a Content-Length body does not end the response.
    p.reset(false);
    p.execute(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab'));
    assert.equal(p.finishOnClose(), false);
  });

  it('expects no body after HEAD, 204 and 304, and prefers chunked to Content-Length', () => {
    assertAll('HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n', { state: 'done', status: 200, rest: 0 }, true);
    assertAll('HTTP/1.1 204 No Content\r\nContent-Length: 3\r\n\r\n', { state: 'done', status: 204, rest: 0 });
    assertAll('HTTP/1.1 304 Not Modified\r\nContent-Length: 3\r\n\r\n', { state: 'done', status: 304, rest: 0 });
    assertAll('HTTP/1.1 200 OK\r\nContent-Length: 999\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n', {
      state: 'done',
      rest: 0,
    });
  });

  it('turns bad responses into an error state at every split, never a throw', () => {
    const bad: [string, RegExp][] = [
      ['garbage\r\n\r\n', /status line/],
      ['HTTP/2 200 OK\r\n\r\n', /status line/],
      ['HTTP/1.1 20 OK\r\n\r\n', /status line/],
      ['HTTP/1.1 2x0 OK\r\n\r\n', /status code/],
      ['HTTP/1.1 099 Low\r\n\r\n', /status code/],
      ['HTTP/1.1 200 OK\r\nContent-Length: 12a\r\n\r\n', /Content-Length/],
      ['HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n', /Content-Length/],
      ['HTTP/1.1 200 OK\r\nno colon here\r\n\r\n', /header line/],
      ['HTTP/1.1 200 OK\r\nX: a\r\n folded\r\n\r\n', /folding/],
      ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', /chunk size/],
      ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n', /chunk data/],
      ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\n', /too large/],
      ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nbad trailer\r\n\r\n', /trailer/],
      ['HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n', /101/],
    ];
    for (const [text, message] of bad) {
      for (const o of everySplit(text)) {
        assert.equal(o.state, 'error', text);
        assert.match(o.error, message, text);
      }
    }
    const huge = `HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(70_000)}\r\n\r\n`;
    assert.match(feed([Buffer.from(huge)]).error, /longer than/);
  });

  it('survives random bytes and random mutations of a valid response', () => {
    const random = new SeededRandom(7);
    const valid = Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;a=b\r\nabc\r\n0\r\nT: 1\r\n\r\n');
    for (let round = 0; round < 2000; round++) {
      const b = Buffer.from(valid);
      const flips = 1 + random.int(4);
      for (let k = 0; k < flips; k++) b[random.int(b.length)] = random.int(256);
      const cut = random.int(b.length);
      const o = feed([b.subarray(0, cut), b.subarray(cut)]);
      assert.ok(['more', 'done', 'error'].includes(o.state));
    }
  });
});
