import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isPiperError } from '../core/index.ts';
import { guardArmCommand, guardBeatCommand, parseGuardShow } from './dead-man-guard.ts';

test('arming names every server with its safe weight, on one line', () => {
  assert.equal(
    guardArmCommand('web', 10_000, { 'vendor.v1': 256, 'inhouse.h1': 0 }),
    'piper guard arm web 10000 vendor.v1=256 inhouse.h1=0',
  );
  assert.equal(guardBeatCommand('web'), 'piper guard beat web');
});

test('a route or server name holding ";" cannot smuggle a second admin command into the guard line', () => {
  assert.throws(
    () => guardBeatCommand('web;set server web/a state maint'),
    (err) => isPiperError(err, 'PIPER_HAPROXY_INVALID_ARGUMENT'),
  );
  assert.throws(
    () => guardArmCommand('web', 1000, { 'a;disable': 1 }),
    (err) => isPiperError(err, 'PIPER_HAPROXY_INVALID_ARGUMENT'),
  );
  assert.throws(
    () => guardArmCommand('web', 50, { a: 1 }),
    (err) => isPiperError(err, 'PIPER_HAPROXY_INVALID_ARGUMENT'),
  );
  assert.throws(
    () => guardArmCommand('web', 1000, { a: 257 }),
    (err) => isPiperError(err, 'PIPER_HAPROXY_INVALID_ARGUMENT'),
  );
});

test('show lists armed guards and reverts; an HAProxy without the guard is PIPER_HAPROXY_NO_GUARD', () => {
  const report = parseGuardShow(['# piper guard 1', 'armed web 10000 250', 'fired 1 api 4000 1020 1000']);
  assert.deepEqual(report.armed.get('web'), { route: 'web', timeoutMs: 10_000, silentMs: 250 });
  assert.deepEqual(report.fired, [{ seq: 1, route: 'api', agoMs: 4000, silentMs: 1020, timeoutMs: 1000 }]);
  assert.equal(parseGuardShow(['# piper guard 1']).armed.size, 0);
  assert.throws(
    () => parseGuardShow(['Unknown command, but maybe one of the following ones is a better match:', '  show info']),
    (err) => isPiperError(err, 'PIPER_HAPROXY_NO_GUARD'),
  );
  assert.throws(
    () => parseGuardShow(['# piper guard 1', 'armed web ten 250']),
    (err) => isPiperError(err, 'PIPER_HAPROXY_BAD_RESPONSE'),
  );
  assert.throws(
    () => parseGuardShow(['HTTP/1.1 400 Bad request']),
    (err) => isPiperError(err, 'PIPER_HAPROXY_BAD_RESPONSE'),
  );
});
