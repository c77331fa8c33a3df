import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Clock } from '../core/index.ts';
import type { Codec } from './codec.ts';

/** How one codec at one level did on a sample. */
export interface ProbeResult {
  codec: Codec;
  level: number;
  inputBytes: number;
  outputBytes: number;
  /** inputBytes / outputBytes; above 1 means it shrank. */
  ratio: number;
  /** Wall time to compress the sample on the threadpool, in milliseconds. */
  timeMs: number;
  /** Uncompressed MB (10^6 bytes) per second. */
  mbPerSecond: number;
}

/** Compresses `sample` with one codec through the same streams the server uses, and times it. */
export async function probeCodec(sample: Buffer, codec: Codec, level: number, clock: Clock): Promise<ProbeResult> {
  let outputBytes = 0;
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      outputBytes += chunk.length;
      done();
    },
  });
  const started = clock.monotonic();
  await pipeline(Readable.from([sample]), codec.createCompressor(level), sink);
  const timeMs = Math.max(clock.monotonic() - started, 1e-6);
  return {
    codec,
    level,
    inputBytes: sample.length,
    outputBytes,
    ratio: sample.length / Math.max(outputBytes, 1),
    timeMs,
    mbPerSecond: sample.length / 1e6 / (timeMs / 1000),
  };
}
