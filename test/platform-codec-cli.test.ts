import assert from 'node:assert/strict';
import { access, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import zlib from 'node:zlib';
import { runPiper } from './cli-run.ts';
import { sampleText } from './platform-fixture.ts';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'piper-codec-cli-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('piper compress writes FILE.zst that zstd decodes, and reports ratio and the Weissman score as JSON', async () => {
  const input = sampleText(3_000_000);
  await writeFile(join(dir, 'big.txt'), input);
  const r = await runPiper(['compress', 'big.txt', '--weissman', '--json'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as {
    codec: string;
    level: number;
    size: number;
    compressedSize: number;
    ratio: number;
    weissman: { reference: string; unit: string };
  };
  assert.equal(out.codec, 'zstd');
  assert.equal(out.level, 3);
  assert.equal(out.size, input.length);
  assert.equal(out.weissman.reference, 'gzip-6');
  assert.equal(out.weissman.unit, 'ms');
  const packed = await readFile(join(dir, 'big.txt.zst'));
  assert.equal(packed.length, out.compressedSize);
  assert.ok(zlib.zstdDecompressSync(packed).equals(input));

  // decompress back to a new name, detecting the format by its magic bytes
  const d = await runPiper(['decompress', 'big.txt.zst', '-o', 'back.txt', '--json'], { cwd: dir });
  assert.equal(d.code, 0, d.stderr);
  assert.ok((await readFile(join(dir, 'back.txt'))).equals(input));
});

test('piper decompress refuses a truncated file with PIPER_PLATFORM_CORRUPT_INPUT and leaves no output', async () => {
  const packed = zlib.gzipSync(sampleText(200_000));
  await writeFile(join(dir, 'cut.gz'), packed.subarray(0, packed.length - 100));
  const r = await runPiper(['decompress', 'cut.gz'], { cwd: dir });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /PIPER_PLATFORM_CORRUPT_INPUT/);
  await assert.rejects(access(join(dir, 'cut')));
});
