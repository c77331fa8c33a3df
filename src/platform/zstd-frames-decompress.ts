import type { TransformCallback } from 'node:stream';
import zlib from 'node:zlib';
import { ZstdFrameScanner } from './zstd-frame-scanner.ts';

/**
 * Node's zstd decoder fed so that no chunk runs past the end of a frame: a body of several frames
 * (`cat a.zst b.zst`, a compressor that flushes to a new frame) decodes whole, as `zstd -d` does,
 * instead of stopping at the first frame end inside a chunk. One decoder (zstd goes on to the next
 * frame by itself); the chunks are cut with `subarray`, never copied.
 */
export class ZstdFramesDecompress extends zlib.ZstdDecompress {
  readonly #scanner = new ZstdFrameScanner();
  /** Compressed bytes given to the decoder; more than it took means input was dropped. */
  #fed = 0;

  override _transform(chunk: Buffer, encoding: BufferEncoding, done: TransformCallback): void {
    this.#fed += chunk.length;
    const ends = this.#scanner.frameEnds(chunk);
    if (ends.length === 0 || (ends.length === 1 && ends[0] === chunk.length)) {
      super._transform(chunk, encoding, done);
      return;
    }
    const cuts = ends[ends.length - 1] === chunk.length ? ends : [...ends, chunk.length];
    let from = 0;
    let i = 0;
    const next = (err?: Error | null): void => {
      if (err || i === cuts.length) {
        done(err);
        return;
      }
      const to = cuts[i++] as number;
      const piece = chunk.subarray(from, to);
      from = to;
      super._transform(piece, encoding, next);
    };
    next();
  }

  override _flush(done: TransformCallback): void {
    super._flush((err?: Error | null) => {
      // A frame end the scanner missed (corrupt headers) makes Node's stream drop the rest of the
      // chunk: never let that pass as a good, shorter output.
      if (!err && this.bytesWritten < this.#fed) {
        done(new Error(`the decoder stopped after ${this.bytesWritten} of ${this.#fed} compressed bytes`));
        return;
      }
      done(err);
    });
  }
}
