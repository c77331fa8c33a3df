import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import type { StoredBlocks } from './file-record.ts';
import { corruptObject } from './hash-tap.ts';

const DIGEST_BYTES = 32;

/** Which blocks of an object a read covers, and where they lie in its file. */
export interface BlockSpan {
  /** First and last block index, inclusive. */
  first: number;
  last: number;
  /** Byte offsets in the file: from `start` up to and including `end`. */
  start: number;
  end: number;
}

/** The blocks holding bytes `from`..`to` (inclusive) of a file of `fileSize` bytes; `to` below `from` spans nothing. */
export function blockSpan(blocks: StoredBlocks, fileSize: number, from: number, to: number): BlockSpan {
  if (fileSize === 0 || to < from) return { first: 0, last: -1, start: 0, end: -1 };
  const first = Math.floor(from / blocks.size);
  const last = Math.floor(to / blocks.size);
  return { first, last, start: first * blocks.size, end: Math.min((last + 1) * blocks.size, fileSize) - 1 };
}

/**
 * Passes on the bytes at rest of blocks `span.first`..`span.last` of an object only once each
 * whole block has matched the SHA-256 recorded when it was written: a corrupt byte never goes
 * further than this stage, and a file shorter or longer than recorded fails too. Holds at most
 * one block.
 */
export class BlockVerifier extends Transform {
  readonly #blocks: StoredBlocks;
  readonly #span: BlockSpan;
  readonly #fileSize: number;
  readonly #id: string;
  readonly #pending: Buffer[] = [];
  #pendingBytes = 0;
  #hash: Hash = createHash('sha256');
  #index: number;

  constructor(blocks: StoredBlocks, fileSize: number, id: string, span: BlockSpan) {
    super();
    this.#blocks = blocks;
    this.#fileSize = fileSize;
    this.#id = id;
    this.#span = span;
    this.#index = span.first;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.#index > this.#span.last) {
        done(corruptObject(this.#id, `its file holds more than the ${this.#fileSize} bytes recorded`));
        return;
      }
      const take = Math.min(this.#blockLength() - this.#pendingBytes, chunk.length - at);
      const piece = chunk.subarray(at, at + take);
      this.#hash.update(piece);
      this.#pending.push(piece);
      this.#pendingBytes += take;
      at += take;
      if (this.#pendingBytes === this.#blockLength()) {
        const err = this.#release();
        if (err !== undefined) {
          done(err);
          return;
        }
      }
    }
    done();
  }

  override _flush(done: TransformCallback): void {
    if (this.#index <= this.#span.last) {
      done(corruptObject(this.#id, `its file ends inside block ${this.#index} (shorter than the ${this.#fileSize} bytes recorded)`));
      return;
    }
    done();
  }

  #blockLength(): number {
    return Math.min(this.#blocks.size, this.#fileSize - this.#index * this.#blocks.size);
  }

  #release(): Error | undefined {
    const expected = this.#blocks.hashes.subarray(this.#index * DIGEST_BYTES, (this.#index + 1) * DIGEST_BYTES);
    const got = this.#hash.digest();
    if (expected.length !== DIGEST_BYTES || !got.equals(expected)) {
      return corruptObject(this.#id, `block ${this.#index} does not match its hash`);
    }
    for (const piece of this.#pending.splice(0)) this.push(piece);
    this.#pendingBytes = 0;
    this.#hash = createHash('sha256');
    this.#index++;
    return undefined;
  }
}
