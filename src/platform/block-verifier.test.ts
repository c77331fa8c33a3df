import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { test } from 'node:test';
import { BlockHashTap } from './block-hash-tap.ts';
import { blockSpan, BlockVerifier } from './block-verifier.ts';
import type { StoredBlocks } from './file-record.ts';

const id = 'a'.repeat(64);

async function hashed(data: Buffer, blockSize: number): Promise<StoredBlocks> {
  const tap = new BlockHashTap(blockSize);
  // Odd chunk sizes, so blocks straddle chunks.
  const chunks = [];
  for (let i = 0; i < data.length; i += 777) chunks.push(data.subarray(i, i + 777));
  await pipeline(Readable.from(chunks), tap, new Writable({ write: (_c, _e, done) => done() }));
  return tap.blocks();
}

async function through(verifier: BlockVerifier, data: Buffer): Promise<Buffer> {
  const out: Buffer[] = [];
  await pipeline(
    Readable.from([data.subarray(0, 1000), data.subarray(1000)]),
    verifier,
    new Writable({
      write: (c: Buffer, _e, done) => {
        out.push(c);
        done();
      },
    }),
  );
  return Buffer.concat(out);
}

test('blocks hashed on write verify on read, whole or from any span of blocks', async () => {
  const data = randomBytes(10_000);
  const blocks = await hashed(data, 4096);
  assert.equal(blocks.hashes.length, 3 * 32);
  assert.ok(
    (await through(new BlockVerifier(blocks, data.length, id, blockSpan(blocks, data.length, 0, data.length - 1)), data)).equals(data),
  );
  const span = blockSpan(blocks, data.length, 5000, 9000);
  assert.deepEqual(span, { first: 1, last: 2, start: 4096, end: 9999 });
  const part = data.subarray(span.start, span.end + 1);
  assert.ok((await through(new BlockVerifier(blocks, data.length, id, span), part)).equals(part));
});

test('a flipped byte fails its block before any of it passes; a short or long file fails too', async () => {
  const data = randomBytes(10_000);
  const blocks = await hashed(data, 4096);
  const whole = blockSpan(blocks, data.length, 0, data.length - 1);
  const flipped = Buffer.from(data);
  flipped[9000] = (flipped[9000] as number) ^ 1;
  const passed: Buffer[] = [];
  const verifier = new BlockVerifier(blocks, data.length, id, whole);
  verifier.on('data', (c: Buffer) => passed.push(c));
  await assert.rejects(pipeline(Readable.from([flipped]), verifier, new Writable({ write: (_c, _e, done) => done() })), {
    code: 'PIPER_PLATFORM_OBJECT_CORRUPT',
  });
  assert.ok(Buffer.concat(passed).length <= 8192, 'the corrupt third block was let through');
  await assert.rejects(through(new BlockVerifier(blocks, data.length, id, whole), data.subarray(0, 9000)), /ends inside block 2/);
  await assert.rejects(through(new BlockVerifier(blocks, data.length, id, whole), Buffer.concat([data, Buffer.from('x')])), /more than/);
});

test('an empty object has no blocks and verifies empty', async () => {
  const blocks = await hashed(Buffer.alloc(0), 4096);
  assert.equal(blocks.hashes.length, 0);
  assert.equal((await through(new BlockVerifier(blocks, 0, id, blockSpan(blocks, 0, 0, -1)), Buffer.alloc(0))).length, 0);
});
