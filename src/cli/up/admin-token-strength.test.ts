import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { isPiperError } from '../../core/index.ts';
import { assertTokensUnguessable, PUBLISHED_TOKENS, tokenWeakness } from './admin-token-strength.ts';

test('published, placeholder and few-character tokens are weak; random ones (as the demo makes) are not', () => {
  for (const t of [
    ...PUBLISHED_TOKENS,
    'Change-Me-Please-0123456789',
    'please-changeme-now-0123',
    'aaaaaaaaaaaaaaaaaaaa',
    'abcabcabcabcabcabc',
  ]) {
    assert.notEqual(tokenWeakness(t), null, t);
  }
  for (let i = 0; i < 50; i++) assert.equal(tokenWeakness(randomBytes(16).toString('hex')), null);
  assert.equal(tokenWeakness('admin-token-for-the-browser-test'), null);
});

test('the refusal names the key and what to do, never the token', () => {
  assert.throws(
    () => assertTokensUnguessable({ admin: randomBytes(16).toString('hex'), read: 'zzzzzzzzzzzzzzzzzzzz' }),
    (e) => isPiperError(e, 'PIPER_BALANCER_ADMIN_WEAK_TOKEN') && /^admin\.readToken /.test(e.message) && !e.message.includes('zzzz'),
  );
  assertTokensUnguessable({});
});
