import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hostMatches, parseHostHeader } from './host-match.ts';
import { downstreamResponseHeaders, upstreamRequestHeaders, validRequestId } from './proxy-headers.ts';

describe('proxy headers', () => {
  it('removes hop-by-hop headers, including those named in Connection, and appends forwarding headers', () => {
    const out = upstreamRequestHeaders(
      {
        host: 'shop.test',
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
    assert.deepEqual(out, {
      host: 'shop.test',
      accept: 'text/html',
      'x-forwarded-for': '10.0.0.1, 192.0.2.7',
      'x-forwarded-proto': 'http',
      'x-forwarded-host': 'shop.test',
      via: '1.0 edge, 1.1 piper',
      'x-request-id': 'abc',
    });
  });

  it('cleans response headers and appends Via', () => {
    assert.deepEqual(
      downstreamResponseHeaders({
        'content-type': 'text/plain',
        connection: 'close',
        'transfer-encoding': 'chunked',
        'set-cookie': ['a=1', 'b=2'],
      }),
      {
        'content-type': 'text/plain',
        'set-cookie': ['a=1', 'b=2'],
        via: '1.1 piper',
      },
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
