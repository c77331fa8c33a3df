import assert from 'node:assert/strict';
import { test } from 'node:test';
import { coreErrors } from './core-errors.ts';
import { defineErrors, httpStatusOf, isPiperError, PiperError } from './piper-error.ts';

// Not a catalogue: its codes are not added to PiperErrorCodes.
const uncatalogued = defineErrors({
  PIPER_TEST_ONLY: { status: 503, source: 'internal', retryable: true, meaning: 'm', whatToDo: 'w' },
});

test('an error built from its catalogue entry takes its source, retryable and HTTP status from it', () => {
  const err = new PiperError(coreErrors.PIPER_CORE_BODY_TOO_LARGE, 'too big', { details: { limit: 10 } });
  assert.equal(err.code, 'PIPER_CORE_BODY_TOO_LARGE');
  assert.equal(err.source, 'downstream');
  assert.equal(err.retryable, false);
  assert.equal(httpStatusOf(err), 413);
  assert.deepEqual(err.details, { limit: 10 });
  assert.ok(isPiperError(err, 'PIPER_CORE_BODY_TOO_LARGE'));
});

test('one error may say better than its entry whether a retry helps, and which status it answers with', () => {
  const err = new PiperError(coreErrors.PIPER_CORE_BAD_JSON, 'half a body', { retryable: true, status: 422 });
  assert.equal(err.retryable, true);
  assert.equal(httpStatusOf(err), 422);
  assert.equal(new PiperError(coreErrors.PIPER_CORE_BAD_JSON, 'x').retryable, false);
});

test('the compiler refuses an entry no catalogue declared', () => {
  // @ts-expect-error PIPER_TEST_ONLY is in no part's catalogue, so not a PiperErrorCode.
  const err = new PiperError(uncatalogued.PIPER_TEST_ONLY, 'x');
  assert.equal(err.code, 'PIPER_TEST_ONLY');
});

test('httpStatusOf: entry status, else the old details.status, else by source; 500 for anything not a PiperError', () => {
  assert.equal(httpStatusOf(new PiperError(coreErrors.PIPER_CORE_INVALID_UNIT, 'x')), 400);
  assert.equal(httpStatusOf(new PiperError('PIPER_REMOTE', 'x', { source: 'upstream', details: { status: 409 } })), 409);
  assert.equal(httpStatusOf(new PiperError('PIPER_REMOTE', 'x', { source: 'upstream' })), 502);
  assert.equal(httpStatusOf(new PiperError('PIPER_REMOTE', 'x', { source: 'internal' })), 500);
  assert.equal(httpStatusOf(new Error('bug')), 500);
});

test('a code from another process keeps the source it was given and is retryable only when said so', () => {
  const err = new PiperError('PIPER_SOMEONE_ELSES', 'from the wire', { source: 'upstream', retryable: true });
  assert.equal(err.code, 'PIPER_SOMEONE_ELSES');
  assert.equal(err.retryable, true);
  assert.equal(new PiperError('PIPER_SOMEONE_ELSES', 'x', { source: 'upstream' }).retryable, false);
});
