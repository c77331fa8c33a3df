import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CHUNK_SIZE_TOO_LARGE,
  isTokenChar,
  isValidHost,
  LINE_TOO_LONG,
  LineReader,
  MALFORMED_CHUNK_SIZE,
  MALFORMED_REQUEST_LINE,
  MALFORMED_REQUEST_TARGET,
  MALFORMED_STATUS_CODE,
  MALFORMED_STATUS_LINE,
  parseChunkSize,
  parseRequestLine,
  parseStatusLine,
  trimCr,
  UNSUPPORTED_HTTP_VERSION,
} from './http1-wire.ts';

const line = (text: string): [Buffer, number, number] => {
  const b = Buffer.from(`xx${text}`, 'latin1');
  return [b, 2, b.length];
};

describe('HTTP/1.1 wire pieces', () => {
  it('LineReader keeps the pieces of a line, byte by byte or in runs, and gives them back whole', () => {
    const lines = new LineReader();
    const text = Buffer.from(`x-long: ${'v'.repeat(5_000)}\r\nnext\n`, 'latin1');
    const lf = text.indexOf(10);
    for (let i = 0; i < 1_000; i++) {
      assert.equal(lines.read(text, i, i + 1, 1 << 20), i + 1);
      assert.equal(lines.line, null);
    }
    assert.equal(lines.read(text, 1_000, text.length, 1 << 20), lf + 1);
    const whole = lines.line as Buffer;
    assert.equal(whole.toString('latin1', lines.start, lines.end), `x-long: ${'v'.repeat(5_000)}`);
    // The line given back stays valid after the next one is read; a whole line is read in place.
    assert.equal(lines.read(text, lf + 1, text.length, 1 << 20), text.length);
    assert.equal(lines.line, text);
    assert.equal(text.toString('latin1', lines.start, lines.end), 'next');
    assert.equal(whole.toString('latin1', 0, 8), 'x-long: ');
    // Counted exactly, LF included once: two lines are their length.
    assert.equal(lines.counted, text.length);
    // A line longer than the bytes scanned in JavaScript, its LF past `end`: kept, not taken whole.
    const cut = Buffer.from(`${'a'.repeat(100)}\nrest`, 'latin1');
    lines.counted = 0;
    assert.equal(lines.read(cut, 0, 90, 1 << 20), 90);
    assert.equal(lines.line, null);
    assert.equal(lines.read(cut, 90, cut.length, 1 << 20), 101);
    assert.equal((lines.line as Buffer).toString('latin1', lines.start, lines.end), 'a'.repeat(100));
    assert.equal(lines.counted, 101);
    lines.read(Buffer.from('dropped'), 0, 7, 1 << 20);
    lines.clear();
    lines.counted = 0;
    assert.equal(lines.read(Buffer.from('ab\n'), 0, 3, 2), LINE_TOO_LONG);
  });

  it('reads status lines of HTTP/1.0 and 1.1, with and without a reason', () => {
    assert.equal(parseStatusLine(...line('HTTP/1.1 200 OK')), 200);
    assert.equal(parseStatusLine(...line('HTTP/1.0 503 ')), 503);
    assert.equal(parseStatusLine(...line('HTTP/1.1 204')), 204);
  });

  it('refuses other versions, codes that are not three digits, and missing spaces', () => {
    for (const bad of [
      'HTTP/2.0 200 OK',
      'HTTP/1.2 200 OK',
      'HTTP/1.1  200 OK',
      'HTTP/1.1 20 OK',
      'HTTP/1.1 2000 OK',
      'http/1.1 200 OK',
      '',
    ]) {
      assert.equal(parseStatusLine(...line(bad)), MALFORMED_STATUS_LINE, bad);
    }
    assert.equal(parseStatusLine(...line('HTTP/1.1 0xx OK')), MALFORMED_STATUS_CODE);
    assert.equal(parseStatusLine(...line('HTTP/1.1 099 OK')), MALFORMED_STATUS_CODE);
  });

  it('reads chunk sizes in hex, any case, with white space and extensions skipped', () => {
    assert.equal(parseChunkSize(...line('1a')), 26);
    assert.equal(parseChunkSize(...line('FF ;name=value')), 255);
    assert.equal(parseChunkSize(...line('0')), 0);
    assert.equal(parseChunkSize(...line('fffffffffffff')), 0xfffffffffffff);
  });

  it('refuses empty, non-hex and oversized chunk sizes', () => {
    assert.equal(parseChunkSize(...line('')), MALFORMED_CHUNK_SIZE);
    assert.equal(parseChunkSize(...line('g1')), MALFORMED_CHUNK_SIZE);
    assert.equal(parseChunkSize(...line('1 x')), MALFORMED_CHUNK_SIZE);
    // Chunk size with trailing white space and no extension: refused, as llhttp refuses it.
    assert.equal(parseChunkSize(...line('25  ')), MALFORMED_CHUNK_SIZE);
    assert.equal(parseChunkSize(...line('a\t')), MALFORMED_CHUNK_SIZE);
    // A control character in an extension (a bare CR is a line end to llhttp): refused.
    assert.equal(parseChunkSize(...line('6;blah\rrld')), MALFORMED_CHUNK_SIZE);
    assert.equal(parseChunkSize(...line('6;a=\0')), MALFORMED_CHUNK_SIZE);
    assert.equal(parseChunkSize(...line('6 ;a=b\tc')), 6);
    assert.equal(parseChunkSize(...line('10000000000000')), CHUNK_SIZE_TOO_LARGE);
  });

  it('trims one trailing CR', () => {
    const b = Buffer.from('ab\r');
    assert.equal(trimCr(b, 0, 3), 2);
    assert.equal(trimCr(b, 0, 2), 2);
    assert.equal(trimCr(b, 0, 0), 0);
  });

  it('reads request lines: the method ends where it returns, the target up to the version, HTTP/1.0 from the last digit', () => {
    for (const [text, method, target, http10] of [
      ['GET / HTTP/1.1', 'GET', '/', false],
      ['X * HTTP/1.0', 'X', '*', true],
      ["M-SEARCH!#$%&'*+.^_`|~ /a?b=%20&c HTTP/1.1", "M-SEARCH!#$%&'*+.^_`|~", '/a?b=%20&c', false],
      ['CONNECT h:443 HTTP/1.1', 'CONNECT', 'h:443', false],
    ] as const) {
      const [b, s, e] = line(text);
      const m = parseRequestLine(b, s, e);
      assert.ok(m > s, text);
      assert.equal(b.toString('latin1', s, m), method);
      assert.equal(b.toString('latin1', m + 1, e - 9), target);
      assert.equal(b[e - 1] === 0x30, http10);
    }
  });

  it('refuses malformed request lines, bad targets and other versions, each with its own code', () => {
    for (const bad of [
      '',
      'GET',
      'GET /',
      'GET / HTTP/1.1 ',
      ' GET / HTTP/1.1',
      'GET\t/ HTTP/1.1',
      'GE(T / HTTP/1.1',
      'GET / http/1.1',
      'GET / HTTP/11',
      'GET / HTTP/1.x',
      'GET / HTTP/1.10',
      'GET / \tHTTP/1.1',
    ]) {
      assert.equal(parseRequestLine(...line(bad)), MALFORMED_REQUEST_LINE, JSON.stringify(bad));
    }
    for (const bad of [
      'GET  HTTP/1.1',
      'GET  / HTTP/1.1',
      'GET /a b HTTP/1.1',
      'GET /\x7f HTTP/1.1',
      'GET /\xe9 HTTP/1.1',
      'GET /\x00 HTTP/1.1',
    ]) {
      assert.equal(parseRequestLine(...line(bad)), MALFORMED_REQUEST_TARGET, JSON.stringify(bad));
    }
    for (const other of ['GET / HTTP/2.0', 'GET / HTTP/1.2', 'GET / HTTP/0.9', 'GET / HTTP/9.1']) {
      assert.equal(parseRequestLine(...line(other)), UNSUPPORTED_HTTP_VERSION, other);
    }
  });

  it('tells token characters (RFC 9110 §5.6.2)', () => {
    for (const c of "aZ09!#$%&'*+-.^_`|~") assert.equal(isTokenChar(c.charCodeAt(0)), true, c);
    for (const c of ' \t"(),/:;<=>?@[\\]{}\x7f\x80\xff\x00') assert.equal(isTokenChar(c.charCodeAt(0)), false, JSON.stringify(c));
  });

  it('accepts Host values of uri-host and an optional port, and nothing else', () => {
    for (const ok of [
      '',
      'example.com',
      'example.com:8080',
      'a_b-c~d.e',
      'h:',
      '127.0.0.1:80',
      '[::1]',
      '[::1]:443',
      '[v1.x]',
      'xn--bcher-kva.example',
      '%41',
    ]) {
      assert.equal(isValidHost(ok), true, ok);
    }
    for (const bad of [':80', 'a b', 'a/b', 'a@b', 'a:80x', 'a:8:0', '[::1', '[]', '[::1]x', '[::1]:a', 'caf\xe9', 'a?b', 'a#b']) {
      assert.equal(isValidHost(bad), false, bad);
    }
  });
});
