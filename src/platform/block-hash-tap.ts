import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import type { StoredBlocks } from './file-record.ts';

/**
 * Passes bytes through while hashing them with SHA-256 twice over: as a whole, and block by block
 * (every `blockSize` bytes), so a later read can verify each block before it lets it go.
 */
export class BlockHashTap extends Transform {
  readonly #blockSize: number;
  readonly #whole: Hash = createHash('sha256');
  readonly #digests: Buffer[] = [];
  #block: Hash = createHash('sha256');
  #inBlock = 0;
  bytes = 0;
  #digest: string | undefined;

  constructor(blockSize: number) {
    super();
    this.#blockSize = blockSize;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.#whole.update(chunk);
    this.bytes += chunk.length;
    let at = 0;
    while (at < chunk.length) {
      const take = Math.min(this.#blockSize - this.#inBlock, chunk.length - at);
      this.#block.update(chunk.subarray(at, at + take));
      this.#inBlock += take;
      at += take;
      if (this.#inBlock === this.#blockSize) this.#endBlock();
    }
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    if (this.#inBlock > 0) this.#endBlock();
    done();
  }

  /** The hex digest of all bytes; only valid once the stream has ended. */
  digest(): string {
    this.#digest ??= this.#whole.digest('hex');
    return this.#digest;
  }

  /** The block hashes; only valid once the stream has ended. */
  blocks(): StoredBlocks {
    return { size: this.#blockSize, hashes: Buffer.concat(this.#digests) };
  }

  #endBlock(): void {
    this.#digests.push(this.#block.digest());
    this.#block = createHash('sha256');
    this.#inBlock = 0;
  }
}
