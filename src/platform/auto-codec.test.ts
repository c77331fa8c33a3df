import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { SystemClock } from '../core/index.ts';
import { chooseCodec, DEFAULT_AUTO_POLICY, pickCodec } from './auto-codec.ts';
import type { Codec } from './codec.ts';
import type { ProbeResult } from './sample-probe.ts';
import { brotliCodec, gzipCodec, zstdCodec } from './zlib-codecs.ts';

function probe(codec: Codec, level: number, ratio: number, mbPerSecond: number): ProbeResult {
  return { codec, level, ratio, mbPerSecond, inputBytes: 1e6, outputBytes: 1e6 / ratio, timeMs: 1000 / mbPerSecond };
}

const probes = [probe(zstdCodec, 3, 7.4, 350), probe(brotliCodec, 5, 8.5, 80), probe(gzipCodec, 6, 5.7, 67)];

test('ratio objective: best ratio among codecs at least as fast as gzip 6', () => {
  assert.equal(pickCodec(probes, DEFAULT_AUTO_POLICY).codec, brotliCodec);
  assert.equal(pickCodec(probes, { ...DEFAULT_AUTO_POLICY, minRelativeSpeed: 2 }).codec, zstdCodec);
});

test('speed objective: the fastest codec that reaches the minimum ratio', () => {
  assert.equal(pickCodec(probes, { ...DEFAULT_AUTO_POLICY, objective: 'speed' }).codec, zstdCodec);
  const choice = pickCodec(probes, { ...DEFAULT_AUTO_POLICY, objective: 'speed', minRatio: 8 });
  assert.equal(choice.codec, brotliCodec);
});

test('stores as identity when no codec reaches the minimum ratio', () => {
  const flat = [probe(zstdCodec, 3, 1.0, 900), probe(brotliCodec, 5, 1.01, 80), probe(gzipCodec, 6, 0.99, 67)];
  const choice = pickCodec(flat, DEFAULT_AUTO_POLICY);
  assert.equal(choice.codec.name, 'identity');
  assert.match(choice.reason, /stored as is/);
});

test('measures real samples: random bytes are stored as identity, text is compressed', async () => {
  const clock = new SystemClock();
  assert.equal((await chooseCodec(randomBytes(128 * 1024), DEFAULT_AUTO_POLICY, clock)).codec.name, 'identity');
  const text = Buffer.from('the quick brown fox jumps over the lazy dog; '.repeat(3000));
  const choice = await chooseCodec(text, DEFAULT_AUTO_POLICY, clock);
  assert.notEqual(choice.codec.name, 'identity');
  assert.equal(choice.probes.length, 3);
  assert.ok(choice.probes.every((p) => p.ratio > 10));
});
