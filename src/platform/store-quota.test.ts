import assert from 'node:assert/strict';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { test } from 'node:test';
import { StoreQuota } from './store-quota.ts';

test('concurrent uploads cannot together pass the limit: each reserves what it declared or what has arrived', async () => {
  const quota = new StoreQuota(1000, 400);
  const a = quota.reserve(300);
  assert.throws(() => quota.reserve(301), { code: 'PIPER_PLATFORM_STORE_FULL' });
  const b = quota.reserve();
  const sink = new Writable({ write: (_c, _e, done) => done() });
  await assert.rejects(pipeline(Readable.from([Buffer.alloc(200), Buffer.alloc(200)]), b.meter(), sink), {
    code: 'PIPER_PLATFORM_STORE_FULL',
  });
  assert.equal(quota.reserved, 300 + 200);
  b.release();
  b.release();
  assert.equal(quota.reserved, 300);
  quota.stored(300);
  a.release();
  assert.equal(quota.used, 700);
  assert.equal(quota.reserved, 0);
  quota.removed(700);
  assert.equal(quota.reserve(1000).release(), undefined);
});
