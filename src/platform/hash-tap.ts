import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { PiperError } from '../core/index.ts';
import { platformErrors } from './platform-errors.ts';

/** Passes bytes through while hashing them with SHA-256 and counting them. */
export class HashTap extends Transform {
  readonly #hash: Hash = createHash('sha256');
  bytes = 0;
  #digest: string | undefined;

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.#hash.update(chunk);
    this.bytes += chunk.length;
    done(null, chunk);
  }

  /** The hex digest; only valid once the stream has ended. */
  digest(): string {
    this.#digest ??= this.#hash.digest('hex');
    return this.#digest;
  }
}

/**
 * Passes bytes through and, at the end, errors with PIPER_PLATFORM_OBJECT_CORRUPT unless their
 * SHA-256 is `expected`: a stored object is never served as good without its hash matching.
 */
export class HashVerifier extends Transform {
  readonly #hash: Hash = createHash('sha256');
  readonly #expected: string;
  readonly #id: string;
  /** Bytes checked so far. */
  bytes = 0;

  constructor(expected: string, id: string) {
    super();
    this.#expected = expected;
    this.#id = id;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.#hash.update(chunk);
    this.bytes += chunk.length;
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    const got = this.#hash.digest('hex');
    if (got !== this.#expected) {
      done(corruptObject(this.#id, `hash mismatch (expected ${this.#expected}, got ${got})`));
      return;
    }
    done();
  }
}

/** The error of a stored object that failed verification. */
export function corruptObject(id: string, why: string, cause?: unknown): PiperError {
  return new PiperError(platformErrors.PIPER_PLATFORM_OBJECT_CORRUPT, `stored object ${id} is corrupt: ${why}`, {
    cause,
    details: { id },
  });
}
