import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type PlatformFixture, sampleText, startFixture } from './platform-fixture.ts';

// The slowest levels (brotli 10-11, zstd 16-19) compress at 1-7 MB/s: on a large body one request
// holds a core for minutes. They are accepted only for bodies up to maxSlowLevelSize.

let fx: PlatformFixture;
before(async () => {
  fx = await startFixture({ maxSlowLevelSize: 64 * 1024 });
});
after(async () => {
  await fx.close();
});

const big = sampleText(256 * 1024);

/** A body without Content-Length (chunked), so the limit can only be found while reading. */
function chunked(body: Buffer): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (let i = 0; i < body.length; i += 16 * 1024) controller.enqueue(new Uint8Array(body.subarray(i, i + 16 * 1024)));
      controller.close();
    },
  });
}

async function expectRefused(r: Response): Promise<void> {
  assert.equal(r.status, 413);
  assert.equal(((await r.json()) as { error: { code: string } }).error.code, 'PIPER_PLATFORM_LEVEL_TOO_EXPENSIVE');
}

test('CPU exhaustion through brotli level 11 on a large body: /compress refuses it with 413 before compressing', async () => {
  await expectRefused(await fetch(`${fx.url}/api/v1/compress?codec=brotli&level=11`, { method: 'POST', body: new Uint8Array(big) }));
  await expectRefused(
    await fetch(`${fx.url}/api/v1/compress?codec=brotli&level=10`, { method: 'POST', body: chunked(big), duplex: 'half' } as RequestInit),
  );
  await expectRefused(await fetch(`${fx.url}/api/v1/compress?codec=zstd&level=19`, { method: 'POST', body: new Uint8Array(big) }));
});

test('CPU exhaustion through brotli level 11 on a large upload: /files refuses it with 413 and stores nothing', async () => {
  await expectRefused(await fetch(`${fx.url}/api/v1/files?codec=brotli&level=11`, { method: 'POST', body: new Uint8Array(big) }));
  await expectRefused(
    await fetch(`${fx.url}/api/v1/files?codec=brotli&level=11`, { method: 'POST', body: chunked(big), duplex: 'half' } as RequestInit),
  );
  assert.deepEqual(await readdir(join(fx.dataDir, 'tmp')), []);
  const list = (await (await fetch(`${fx.url}/api/v1/files`)).json()) as { total: number };
  assert.equal(list.total, 0);
});

test('slow levels still serve small bodies, and fast levels any size', async () => {
  const small = sampleText(32 * 1024);
  const r = await fetch(`${fx.url}/api/v1/compress?codec=brotli&level=11`, {
    method: 'POST',
    body: chunked(small),
    duplex: 'half',
  } as RequestInit);
  assert.equal(r.status, 200);
  await r.arrayBuffer();
  const f = await fetch(`${fx.url}/api/v1/files?codec=zstd&level=19`, { method: 'POST', body: new Uint8Array(small) });
  assert.equal(f.status, 201);
  const fast = await fetch(`${fx.url}/api/v1/compress?codec=brotli&level=9`, { method: 'POST', body: new Uint8Array(big) });
  assert.equal(fast.status, 200);
  await fast.arrayBuffer();
});
