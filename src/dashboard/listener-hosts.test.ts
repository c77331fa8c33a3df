import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, test } from 'node:test';
import { isLoopbackAddress, isLoopbackHost, ListenerHosts, parseHost } from './listener-hosts.ts';
import { isCrossSite, isSameOrigin } from './request-origin.ts';

/** A request as node:http hands it over: headers, and the socket's local end. */
function req(headers: Record<string, string>, localAddress = '127.0.0.1', localPort = 9901): IncomingMessage {
  return { headers, socket: { localAddress, localPort, remoteAddress: '127.0.0.1' } } as unknown as IncomingMessage;
}

describe('the Host values a listener answers to (DNS rebinding)', () => {
  const plain = new ListenerHosts();

  test('on loopback: any loopback name with the listener port, nothing else', () => {
    for (const host of ['127.0.0.1:9901', 'localhost:9901', 'LocalHost:9901', '127.1:9901', '[::1]:9901']) {
      assert.ok(plain.accepts(req({ host })), host);
    }
    for (const host of [
      'rebind.attacker.example:9901',
      'localhost.:9901',
      '127.0.0.1.nip.io:9901',
      'attacker.example@127.0.0.1:9901',
      '127.0.0.1:9902',
      '127.0.0.1',
      '',
      '127.0.0.1:9901, evil.example',
    ]) {
      assert.ok(!plain.accepts(req({ host })), host);
    }
    assert.ok(!plain.accepts(req({})), 'no Host');
  });

  test('on an address reached from the network: that address only (the one the connection arrived on)', () => {
    assert.ok(plain.accepts(req({ host: '10.0.0.5:9901' }, '10.0.0.5')));
    assert.ok(plain.accepts(req({ host: '10.0.0.5:9901' }, '::ffff:10.0.0.5')));
    assert.ok(plain.accepts(req({ host: '[fd00::5]:9901' }, 'fd00:0:0::5')));
    assert.ok(!plain.accepts(req({ host: '10.0.0.6:9901' }, '10.0.0.5')));
    assert.ok(!plain.accepts(req({ host: 'localhost:9901' }, '10.0.0.5')), 'a loopback name on a non-loopback arrival');
    assert.ok(!plain.accepts(req({ host: 'piper.internal:9901' }, '10.0.0.5')));
  });

  test('configured names: with a port that port only, without one any port; a malformed entry throws', () => {
    const named = new ListenerHosts(['piper.internal', 'Admin.Example:8443']);
    assert.ok(named.accepts(req({ host: 'piper.internal:9901' }, '10.0.0.5')));
    assert.ok(named.accepts(req({ host: 'piper.internal' }, '10.0.0.5')));
    assert.ok(named.accepts(req({ host: 'admin.example:8443' }, '10.0.0.5')));
    assert.ok(!named.accepts(req({ host: 'admin.example:9901' }, '10.0.0.5')));
    assert.ok(!named.accepts(req({ host: 'other.internal:9901' }, '10.0.0.5')));
    assert.throws(() => new ListenerHosts(['http://piper.internal']), /not a host name/);
    assert.throws(() => new ListenerHosts(['a@b']), /not a host name/);
  });

  test('loopback helpers', () => {
    assert.ok(isLoopbackHost(req({ host: 'localhost:9901' })));
    assert.ok(!isLoopbackHost(req({ host: 'localhost:9902' })));
    assert.ok(!isLoopbackHost(req({ host: 'piper.internal:9901' })));
    for (const a of ['127.0.0.1', '127.4.5.6', '::1', '::ffff:127.0.0.1']) assert.ok(isLoopbackAddress(a), a);
    for (const a of ['10.0.0.1', '::', '0.0.0.0', '::ffff:10.0.0.1', undefined]) assert.ok(!isLoopbackAddress(a), String(a));
    assert.deepEqual(parseHost('Example.COM:80'), { name: 'example.com', port: 80 });
    assert.deepEqual(parseHost('[::1]'), { name: '[::1]', port: undefined });
  });
});

describe('where a browser says a request comes from (CSRF)', () => {
  test('foreign, null, same-site and scheme-less origins are cross-site; no header at all is not', () => {
    const host = '127.0.0.1:9901';
    for (const headers of [
      { host, origin: 'http://attacker.example' },
      { host, origin: 'null' },
      { host, origin: 'http://127.0.0.1:3000' },
      { host, origin: 'http://127.0.0.1:9901/path' },
      { host, origin: 'file://' },
      { host, 'sec-fetch-site': 'cross-site' },
      { host, 'sec-fetch-site': 'same-site', origin: 'http://127.0.0.1:9901' },
    ]) {
      assert.ok(isCrossSite(req(headers)), JSON.stringify(headers));
      assert.ok(!isSameOrigin(req(headers)), JSON.stringify(headers));
    }
    assert.ok(!isCrossSite(req({ host })));
    assert.ok(!isSameOrigin(req({ host })), 'no Origin: not from a page');
    for (const headers of [
      { host, origin: 'http://127.0.0.1:9901' },
      { host, origin: 'http://127.0.0.1:9901', 'sec-fetch-site': 'same-origin' },
      { host: 'piper.example', origin: 'https://piper.example' },
      { host: 'piper.example:80', origin: 'http://piper.example' },
    ]) {
      assert.ok(isSameOrigin(req(headers)), JSON.stringify(headers));
    }
  });
});
