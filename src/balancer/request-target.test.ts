import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { absoluteTarget, normalizedTarget } from './request-target.ts';

describe('absoluteTarget', () => {
  it('takes an http(s) target apart: authority, and a path that is / when it has none', () => {
    assert.deepEqual(absoluteTarget('http://example.com:8080/p?q=1'), { authority: 'example.com:8080', path: '/p?q=1' });
    assert.deepEqual(absoluteTarget('HTTPS://h'), { authority: 'h', path: '/' });
    assert.deepEqual(absoluteTarget('http://h?x=1'), { authority: 'h', path: '/?x=1' });
    assert.deepEqual(absoluteTarget('http://h/a#frag'), { authority: 'h', path: '/a' });
    assert.deepEqual(absoluteTarget('http://[::1]:80/'), { authority: '[::1]:80', path: '/' });
  });

  it('refuses userinfo, an empty or malformed authority and other schemes', () => {
    for (const t of ['http://good@evil/', 'http:///x', 'http://h:8o/', 'ftp://h/', 'h:80', '//h/x', 'http:/h']) {
      assert.equal(absoluteTarget(t), null, t);
    }
  });
});

describe('normalizedTarget', () => {
  it('returns a target with nothing to normalise as it is', () => {
    for (const t of ['/', '/api/v1/x?y=1', '/a.b/c..d/.e', '/a//b', '/x?next=/../y']) assert.equal(normalizedTarget(t), t);
  });

  it('prefix-route bypass through dot segments: /api/../admin is /admin (RFC 3986 §5.2.4), never above the root', () => {
    const cases: [string, string][] = [
      ['/api/../admin', '/admin'],
      ['/api/./v1/../x', '/api/x'],
      ['/a/b/..', '/a/'],
      ['/a/.', '/a/'],
      ['/..', '/'],
      ['/../../etc/passwd', '/etc/passwd'],
      ['/a//../b', '/a/b'],
      ['/api/..?q=/../x', '/?q=/../x'],
    ];
    for (const [from, to] of cases) assert.equal(normalizedTarget(from), to, from);
  });

  it('prefix-route bypass through percent-encoding: %2e%2e and %61pi are decoded before matching', () => {
    const cases: [string, string][] = [
      ['/api/%2e%2e/admin', '/admin'],
      ['/api/%2E%2e/admin', '/admin'],
      ['/api/.%2e/admin', '/admin'],
      ['/%61pi/x', '/api/x'],
      ['/a%7eb', '/a~b'],
      // Reserved characters stay encoded (an encoded slash is data), in upper-case hex.
      ['/a%2fb/%2f..', '/a%2Fb/%2F..'],
      ['/a%c3%a9', '/a%C3%A9'],
      ['/a?q=%2e%2e', '/a?q=%2e%2e'],
    ];
    for (const [from, to] of cases) assert.equal(normalizedTarget(from), to, from);
  });

  it('refuses a % that is not followed by two hex digits in the path', () => {
    for (const t of ['/a%', '/a%4', '/a%zz', '/a%4?x', '/%%32e']) assert.equal(normalizedTarget(t), null, t);
  });
});
