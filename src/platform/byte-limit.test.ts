import assert from 'node:assert/strict';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { test } from 'node:test';
import { ByteLimit, formatSizes } from './byte-limit.ts';

test('sizes in a limit message are in binary units, with the bytes only where rounding would hide the difference', () => {
  assert.deepEqual(formatSizes(3 * 1024 * 1024, 1024 * 1024), ['3.00 MiB', '1.00 MiB']);
  assert.deepEqual(formatSizes(1536, 1024), ['1.50 KiB', '1.00 KiB']);
  assert.deepEqual(formatSizes(1024 * 1024 + 1, 1024 * 1024), ['1.00 MiB (1048577 bytes)', '1.00 MiB (1048576 bytes)']);
  assert.deepEqual(formatSizes(700, 512), ['700 B', '512 B']);
});

test('a body stopped at its limit says the limit in MiB and keeps the bytes in details', async () => {
  const sink = new Writable({ write: (_chunk, _enc, done) => done() });
  await assert.rejects(pipeline(Readable.from([Buffer.alloc(2 * 1024 * 1024)]), new ByteLimit(1024 * 1024, 'the upload'), sink), {
    code: 'PIPER_PLATFORM_TOO_LARGE',
    message: 'the upload is over the limit of 1.00 MiB',
    status: 413,
    details: { limit: 1024 * 1024 },
  });
});
