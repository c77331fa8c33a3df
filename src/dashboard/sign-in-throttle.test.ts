import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type SignInAdmission, type SignInAttempt, SignInThrottle } from './sign-in-throttle.ts';

function attemptOf(a: SignInAdmission): SignInAttempt {
  assert.ok('attempt' in a, `refused: retry after ${'retryAfterMs' in a ? a.retryAfterMs : 0} ms`);
  return a.attempt;
}

test('attempts under way hold their slots: the eleventh concurrent attempt from one address is refused', () => {
  let now = 0;
  const throttle = new SignInThrottle({ clock: { now: () => now } });
  const open = Array.from({ length: 10 }, () => attemptOf(throttle.begin('10.0.0.1')));
  assert.deepEqual(throttle.begin('10.0.0.1'), { retryAfterMs: 60_000 });
  // Given back by successes (or bodies that never came), the slots are free again.
  for (const a of open.slice(0, 3)) a.release();
  for (const a of open.slice(3)) a.failed();
  attemptOf(throttle.begin('10.0.0.1')).failed();
  attemptOf(throttle.begin('10.0.0.1')).release();
  now = 30_000;
  for (let i = 0; i < 2; i++) attemptOf(throttle.begin('10.0.0.1')).failed();
  assert.deepEqual(throttle.begin('10.0.0.1'), { retryAfterMs: 30_000 });
  attemptOf(throttle.begin('10.0.0.2')).release();
  now = 60_000;
  attemptOf(throttle.begin('10.0.0.1')).failed();
});

test('guessing from many addresses: failures are also counted for all addresses together', () => {
  let now = 0;
  const throttle = new SignInThrottle({ clock: { now: () => now }, maxFailures: 3, maxGlobalFailures: 20 });
  for (let i = 0; i < 20; i++) attemptOf(throttle.begin(`10.0.1.${i}`)).failed();
  assert.deepEqual(throttle.begin('10.0.2.1'), { retryAfterMs: 60_000 });
  now = 60_000;
  attemptOf(throttle.begin('10.0.2.1')).release();
});

test('a settled attempt settles once; one that outlives its window is still given back', () => {
  let now = 0;
  const throttle = new SignInThrottle({ clock: { now: () => now }, maxFailures: 2 });
  const slow = attemptOf(throttle.begin('10.0.0.1'));
  const other = attemptOf(throttle.begin('10.0.0.1'));
  other.failed();
  other.failed();
  other.release();
  assert.ok('retryAfterMs' in throttle.begin('10.0.0.1'));
  now = 90_000;
  // The new window starts clean of failures, but the slow attempt is still under way.
  attemptOf(throttle.begin('10.0.0.1')).failed();
  assert.ok('retryAfterMs' in throttle.begin('10.0.0.1'));
  slow.release();
  attemptOf(throttle.begin('10.0.0.1')).release();
});

test('memory stays bounded however many addresses try', () => {
  const throttle = new SignInThrottle({ clock: { now: () => 0 }, maxClients: 100, maxGlobalFailures: 1e9 });
  for (let i = 0; i < 1000; i++) attemptOf(throttle.begin(`10.1.${i >> 8}.${i & 255}`)).failed();
  assert.equal(throttle.trackedClients, 100);
});
