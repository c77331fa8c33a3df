import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CHUNK_SIZE_TOO_LARGE,
  MALFORMED_CHUNK_SIZE,
  MALFORMED_STATUS_CODE,
  MALFORMED_STATUS_LINE,
  parseChunkSize,
  parseStatusLine,
  trimCr,
} from './http1-wire.ts';

const line = (text: string): [Buffer, number, number] => {
  const b = Buffer.from(`xx${text}`, 'latin1');
  return [b, 2, b.length];
};

describe('HTTP/1.1 wire pieces', () => {
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
    assert.equal(parseChunkSize(...line('10000000000000')), CHUNK_SIZE_TOO_LARGE);
  });

  it('trims one trailing CR', () => {
    const b = Buffer.from('ab\r');
    assert.equal(trimCr(b, 0, 3), 2);
    assert.equal(trimCr(b, 0, 2), 2);
    assert.equal(trimCr(b, 0, 0), 0);
  });
});
