import { Transform, type TransformCallback } from 'node:stream';

/**
 * Passes on only bytes `start`..`end` (inclusive) of a stream, yet reads all of it, so a stage
 * before it (hash verification) still sees the whole object.
 */
export class ByteSlice extends Transform {
  readonly #start: number;
  readonly #end: number;
  #offset = 0;

  constructor(start: number, end: number) {
    super();
    this.#start = start;
    this.#end = end;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    const from = this.#offset;
    this.#offset += chunk.length;
    const a = Math.max(this.#start - from, 0);
    const b = Math.min(this.#end + 1 - from, chunk.length);
    done(null, a < b ? chunk.subarray(a, b) : undefined);
  }
}
