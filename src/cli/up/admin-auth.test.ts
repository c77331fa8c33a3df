import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, it } from 'node:test';
import { isPiperError } from '../../core/index.ts';
import { assertAdminExposureSafe, authorize, isLoopback } from './admin-auth.ts';

/** A request as node:http hands it over, from `peer` to a listener on 127.0.0.1:9901 addressed as `host`. */
const req = (method: string, token?: string, peer = '127.0.0.1', host = '127.0.0.1:9901') =>
  ({
    method,
    headers: { host, ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
    socket: { remoteAddress: peer, localAddress: '127.0.0.1', localPort: 9901 },
  }) as unknown as IncomingMessage;
const tokens = { admin: 'admin-token-0123456789', read: 'read-token-0123456789' };

describe('admin authentication', () => {
  it('reads need the read or admin token; writes only the admin token', () => {
    assert.equal(authorize(req('GET'), tokens)?.status, 401);
    assert.equal(authorize(req('GET', tokens.read), tokens), null);
    assert.equal(authorize(req('HEAD', tokens.admin), tokens), null);
    assert.equal(authorize(req('PUT', tokens.read), tokens)?.code, 'PIPER_BALANCER_FORBIDDEN');
    assert.equal(authorize(req('POST'), tokens)?.code, 'PIPER_BALANCER_UNAUTHORIZED');
    assert.equal(authorize(req('POST', 'wrong'), tokens)?.status, 401);
    assert.equal(authorize(req('POST', tokens.admin), tokens), null);
  });

  it('with no token configured, reads are open and changes come only from a loopback peer addressing a loopback name', () => {
    assert.equal(authorize(req('GET'), {}), null);
    assert.equal(authorize(req('PUT'), {}), null);
    assert.equal(authorize(req('POST', undefined, '::1', 'localhost:9901'), {}), null);
    assert.equal(authorize(req('POST', undefined, '::ffff:127.0.0.1', '[::1]:9901'), {}), null);
    assert.equal(authorize(req('POST', undefined, '10.0.0.7'), {})?.code, 'PIPER_BALANCER_LOOPBACK_ONLY');
    assert.equal(authorize(req('POST', undefined, '127.0.0.1', 'piper.internal:9901'), {})?.code, 'PIPER_BALANCER_LOOPBACK_ONLY');
    assert.equal(authorize(req('POST', undefined, '127.0.0.1', 'localhost:9902'), {})?.status, 403);
    assert.equal(authorize(req('PUT', undefined, '127.0.0.1', 'piper.internal:9901'), { read: tokens.read })?.status, 403);
  });

  it('refuses to expose writes on a non-loopback address without an admin token', () => {
    assert.throws(
      () => assertAdminExposureSafe('0.0.0.0', {}),
      (e) => isPiperError(e, 'PIPER_BALANCER_ADMIN_INSECURE'),
    );
    assert.throws(
      () => assertAdminExposureSafe('10.1.2.3', { read: tokens.read }),
      (e) => isPiperError(e, 'PIPER_BALANCER_ADMIN_INSECURE'),
    );
    assertAdminExposureSafe('0.0.0.0', tokens);
    assertAdminExposureSafe('127.0.0.1', {});
    assert.ok(isLoopback('::1') && isLoopback('127.0.0.2') && isLoopback('localhost'));
    assert.ok(!isLoopback('0.0.0.0') && !isLoopback('::'));
  });
});
