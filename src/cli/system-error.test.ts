import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { fromSystemError } from './system-error.ts';

function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

test('a port in use becomes PIPER_CLI_ADDRESS_IN_USE naming the address', async () => {
  const first = createServer();
  await new Promise<void>((resolve) => first.listen(0, '127.0.0.1', resolve));
  const port = (first.address() as { port: number }).port;
  const second = createServer();
  const err = await new Promise<unknown>((resolve) => second.once('error', resolve).listen(port, '127.0.0.1'));
  first.close();
  const e = fromSystemError(err);
  assert.equal(e?.code, 'PIPER_CLI_ADDRESS_IN_USE');
  assert.equal(e?.message, `address 127.0.0.1:${port} is already in use`);
});

test('a missing file becomes PIPER_CLI_NOT_FOUND naming the path', () => {
  const e = fromSystemError(caught(() => readFileSync('/nonexistent/piper.yaml')));
  assert.equal(e?.code, 'PIPER_CLI_NOT_FOUND');
  assert.equal(e?.message, 'no such file or folder: /nonexistent/piper.yaml');
});

test('a refused connection under fetch\'s "fetch failed" becomes PIPER_CLI_CONNECTION_REFUSED naming the address', async () => {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as { port: number }).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  const err = await fetch(`http://127.0.0.1:${port}/`).then(
    () => assert.fail('nothing listens there'),
    (e: unknown) => e,
  );
  const e = fromSystemError(err);
  assert.equal(e?.code, 'PIPER_CLI_CONNECTION_REFUSED');
  assert.equal(e?.message, `connection refused by 127.0.0.1:${port}: nothing listens there`);
  assert.equal(e?.retryable, true);
});

test('anything else is left to be reported as a bug', () => {
  assert.equal(fromSystemError(new TypeError('x is undefined')), undefined);
  assert.equal(fromSystemError('a string'), undefined);
});
