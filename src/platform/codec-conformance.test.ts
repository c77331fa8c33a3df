import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, test } from 'node:test';
import { SeededRandom } from '../core/index.ts';
import { type Codec, checkLevel } from './codec.ts';
import { codecs } from './codec-registry.ts';

// One conformance suite, run against every Codec (STYLE.md, "one conformance suite per pluggable interface").

async function run(stream: NodeJS.ReadWriteStream, input: Buffer, chunk = 10_000): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (let i = 0; i < input.length; i += chunk) parts.push(input.subarray(i, i + chunk));
  const out: Buffer[] = [];
  await pipeline(
    Readable.from(parts),
    stream,
    new Writable({
      write(c: Buffer, _e, done) {
        out.push(c);
        done();
      },
    }),
  );
  return Buffer.concat(out);
}

const texts = new Map<number, Buffer>();

function text(bytes: number): Buffer {
  const cached = texts.get(bytes);
  if (cached !== undefined) return cached;
  const rnd = new SeededRandom(7);
  const words = ['pied', 'piper', 'middle', 'out', 'compression', 'hooli', 'nucleus', 'weissman', 'score', 'stream'];
  const parts: string[] = [];
  let size = 0;
  while (size < bytes) {
    const w = words[rnd.int(words.length)] as string;
    parts.push(w);
    size += w.length + 1;
  }
  const made = Buffer.from(parts.join(' ')).subarray(0, bytes);
  texts.set(bytes, made);
  return made;
}

const inputs: Record<string, () => Buffer> = {
  empty: () => Buffer.alloc(0),
  'one byte': () => Buffer.from([0x2a]),
  tiny: () => Buffer.from('hello, piper'),
  'large text (3 MiB)': () => text(3 * 1024 * 1024),
  'random (1 MiB)': () => randomBytes(1024 * 1024),
  'highly repetitive (4 MiB of one byte)': () => Buffer.alloc(4 * 1024 * 1024, 0x61),
};

for (const codec of Object.values(codecs) as Codec[]) {
  describe(`codec conformance: ${codec.name}`, () => {
    for (const [name, make] of Object.entries(inputs)) {
      test(`round-trips ${name} at the default level`, async () => {
        const input = make();
        const packed = await run(codec.createCompressor(codec.levels.default), input);
        const unpacked = await run(codec.createDecompressor(), packed);
        assert.ok(unpacked.equals(input), `${codec.name} ${name}: output differs from input`);
      });
    }

    test('round-trips at the lowest and highest level', async () => {
      const input = text(16 * 1024);
      for (const level of [codec.levels.min, codec.levels.max]) {
        const packed = await run(codec.createCompressor(level), input);
        assert.ok((await run(codec.createDecompressor(), packed)).equals(input), `level ${level}`);
      }
    });

    test('accepts levels within its range and refuses those outside with PIPER_PLATFORM_BAD_LEVEL', () => {
      assert.equal(checkLevel(codec, undefined), codec.levels.default);
      assert.equal(checkLevel(codec, codec.levels.min), codec.levels.min);
      assert.equal(checkLevel(codec, codec.levels.max), codec.levels.max);
      for (const bad of [codec.levels.min - 1, codec.levels.max + 1, 1.5, Number.NaN]) {
        assert.throws(() => checkLevel(codec, bad), { code: 'PIPER_PLATFORM_BAD_LEVEL' });
      }
    });

    if (codec.name !== 'identity') {
      test('compresses repetitive input to a small fraction', async () => {
        const input = text(1024 * 1024);
        const packed = await run(codec.createCompressor(codec.levels.default), input);
        assert.ok(packed.length < input.length / 2, `${packed.length} bytes from ${input.length}`);
      });

      test('errors on truncated input', async () => {
        const packed = await run(codec.createCompressor(codec.levels.default), text(200_000));
        await assert.rejects(run(codec.createDecompressor(), packed.subarray(0, Math.floor(packed.length / 2))));
      });

      test('errors on input that is not in its format', async () => {
        await assert.rejects(run(codec.createDecompressor(), Buffer.from('this is plain text, not a compressed stream at all')));
      });

      test('errors on empty input (no frame at all)', async () => {
        await assert.rejects(run(codec.createDecompressor(), Buffer.alloc(0)));
      });
    }
  });
}
