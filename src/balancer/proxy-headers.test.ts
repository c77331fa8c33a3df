import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hostMatches, parseHostHeader } from './host-match.ts';
import { downstreamResponseHeaderBlock, upstreamRequestHeaderBlock, validRequestId } from './proxy-headers.ts';

describe('proxy headers', () => {
  it('removes hop-by-hop headers, including those named in Connection, and appends forwarding headers', () => {
    const out = upstreamRequestHeaderBlock(
      {
        host: 'shop.test',
        'x-request-id': 'from-client',
        'x-forwarded-proto': 'https',
        connection: 'keep-alive, x-private',
        'x-private': 'secret',
        'keep-alive': 'timeout=5',
        'transfer-encoding': 'chunked',
        te: 'trailers',
        upgrade: 'websocket',
        'proxy-authorization': 'Basic x',
        'x-forwarded-for': '10.0.0.1',
        via: '1.0 edge',
        accept: 'text/html',
      },
      { clientIp: '192.0.2.7', host: 'shop.test', proto: 'http', requestId: 'abc' },
    );
    assert.equal(
      out,
      'host: shop.test\r\naccept: text/html\r\nx-forwarded-for: 10.0.0.1, 192.0.2.7\r\nx-forwarded-proto: http\r\n' +
        'x-forwarded-host: shop.test\r\nvia: 1.0 edge, 1.1 piper\r\nx-request-id: abc\r\n',
    );
    // Repeated fields stay separate lines.
    assert.equal(
      upstreamRequestHeaderBlock({ host: 'a', cookie: ['x=1', 'y=2'] }, { clientIp: '::1', host: 'a', proto: 'http', requestId: 'r' }),
      'host: a\r\ncookie: x=1\r\ncookie: y=2\r\nx-forwarded-for: ::1\r\nx-forwarded-proto: http\r\nx-forwarded-host: a\r\nvia: 1.1 piper\r\nx-request-id: r\r\n',
    );
  });

  it('cleans response headers and appends Via', () => {
    assert.equal(
      downstreamResponseHeaderBlock({
        'content-type': 'text/plain',
        connection: 'close, x-hop',
        'x-hop': '1',
        'keep-alive': 'timeout=5',
        'transfer-encoding': 'chunked',
        'set-cookie': ['a=1', 'b=2'],
        via: '1.1 origin',
      }),
      'content-type: text/plain\r\nset-cookie: a=1\r\nset-cookie: b=2\r\nvia: 1.1 origin, 1.1 piper\r\n',
    );
  });

  it('removes the fields a Connection header names in any letter case, over repeated lines', () => {
    assert.equal(
      downstreamResponseHeaderBlock({
        connection: ['Keep-Alive, X-Hop ', ' ,X-Other'],
        'x-hop': '1',
        'x-other': '2',
        'x-kept': '3',
      }),
      'x-kept: 3\r\nvia: 1.1 piper\r\n',
    );
    assert.equal(
      downstreamResponseHeaderBlock({ connection: 'CLOSE', close: 'x', 'keep-alive': 'timeout=5' }),
      'close: x\r\nvia: 1.1 piper\r\n',
    );
  });

  it('accepts a sane X-Request-Id only', () => {
    assert.equal(validRequestId('req-1'), 'req-1');
    assert.equal(validRequestId('has space'), null);
    assert.equal(validRequestId('x'.repeat(200)), null);
    assert.equal(validRequestId(['a', 'b']), null);
  });
});

describe('host matching', () => {
  it('parses Host headers by the RFC 3986 host syntax (checked against a regular expression on random input)', () => {
    const reference = /^(?:\[[0-9a-f:.]+\]|[a-z0-9](?:[a-z0-9._-]{0,252}))(?::\d{1,5})?$/i;
    const alphabet = 'aZ09.-_:[]/@ %f';
    let seed = 7;
    const next = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    for (let i = 0; i < 20_000; i++) {
      let v = '';
      const len = 1 + next(12);
      for (let k = 0; k < len; k++) v += alphabet[next(alphabet.length)];
      const expected = reference.test(v) ? v.toLowerCase().replace(/^(\[[^\]]*\]|[^:]*).*$/, '$1') : null;
      assert.equal(parseHostHeader(v), expected, JSON.stringify(v));
    }
    assert.equal(parseHostHeader(`${'a'.repeat(253)}:1`), 'a'.repeat(253));
    assert.equal(parseHostHeader('a'.repeat(254)), null);
  });

  it('parses Host headers and refuses malformed ones', () => {
    assert.equal(parseHostHeader('Shop.Test:8080'), 'shop.test');
    assert.equal(parseHostHeader('[::1]:8080'), '[::1]');
    assert.equal(parseHostHeader('127.0.0.1'), '127.0.0.1');
    for (const bad of [undefined, '', 'a b', 'a/b', 'user@host', 'host:99999999', '-bad'])
      assert.equal(parseHostHeader(bad), null, String(bad));
  });

  it('matches exact hosts, subdomain wildcards and *', () => {
    assert.ok(hostMatches('*', 'anything'));
    assert.ok(hostMatches('shop.test', 'shop.test'));
    assert.ok(hostMatches('*.shop.test', 'eu.shop.test'));
    assert.ok(!hostMatches('*.shop.test', 'shop.test'));
    assert.ok(!hostMatches('*.shop.test', 'evilshop.test'));
    assert.ok(!hostMatches('shop.test', 'eu.shop.test'));
  });
});
